package signing

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Headers returns the signature headers for one delivery of body at now:
// X-Port-Timestamp and X-Port-Signature (Port v1) and Webhook-Id,
// Webhook-Timestamp and Webhook-Signature (Standard Webhooks). msgID should
// be stable across retries of the same delivery so receivers can de-duplicate;
// each attempt is signed afresh with its own timestamp.
func Headers(secret []byte, msgID string, now time.Time, body []byte) http.Header {
	ts := now.Unix()
	h := make(http.Header, 5)
	h.Set(HeaderPortTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderPortSignature, PortV1(secret, ts, body))
	h.Set(HeaderWebhookID, msgID)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderWebhookSignature, StandardWebhooks(secret, msgID, ts, body))
	return h
}

// VerifyHeaders checks the signatures that Headers produces: always the Port
// v1 pair, and the Standard Webhooks triple when Webhook-Signature is present.
// It is meant for receivers and tests; see VerifyPortV1 for the errors.
func VerifyHeaders(secret []byte, h http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	sig := h.Get(HeaderPortSignature)
	if sig == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, HeaderPortSignature)
	}
	if err := VerifyPortV1(secret, sig, h.Get(HeaderPortTimestamp), body, tolerance, now); err != nil {
		return fmt.Errorf("%s: %w", HeaderPortSignature, err)
	}
	std := h.Get(HeaderWebhookSignature)
	if std == "" {
		return nil
	}
	err := VerifyStandardWebhooks(secret, h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), std, body, tolerance, now)
	if err != nil {
		return fmt.Errorf("%s: %w", HeaderWebhookSignature, err)
	}
	return nil
}
