package signing

import (
	"encoding/base64"
	"strconv"
	"time"
)

// Header names of the Standard Webhooks scheme, in canonical form (the
// standard writes them in lower case: webhook-id, webhook-timestamp,
// webhook-signature).
const (
	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
)

// StandardWebhooks returns the webhook-signature value of the Standard
// Webhooks scheme: "v1," + Base64(HMAC-SHA256(secret, "<msgID>.<timestamp>.<body>")).
//
// The key is the organization's client secret bytes, as for PortV1. The
// standard's own secrets look like "whsec_<base64>" and its libraries use the
// Base64-decoded bytes as the key; to verify berth's signatures with such a
// library, configure it with StandardWebhooksSecret(clientSecret).
func StandardWebhooks(secret []byte, msgID string, timestamp int64, body []byte) string {
	return "v1," + standardMAC(secret, msgID, strconv.FormatInt(timestamp, 10), body)
}

func standardMAC(secret []byte, msgID, timestamp string, body []byte) string {
	return macBase64(secret, []byte(msgID), []byte("."), []byte(timestamp), []byte("."), body)
}

// StandardWebhooksSecret returns secret in the "whsec_<base64>" form that
// Standard Webhooks libraries expect, so that they verify signatures made by
// StandardWebhooks with the same secret.
func StandardWebhooksSecret(secret []byte) string {
	return "whsec_" + base64.StdEncoding.EncodeToString(secret)
}

// VerifyStandardWebhooks checks a webhook-signature header (space-separated
// "v1,<sig>" entries, one match is enough) against the webhook-id and
// webhook-timestamp header values and the raw body, with secret used as the
// key exactly as StandardWebhooks does. A tolerance <= 0 turns the timestamp
// window check off.
//
// It returns nil, ErrNoSignature, ErrBadSignature, ErrBadTimestamp or
// ErrTimestampSkew.
func VerifyStandardWebhooks(secret []byte, msgID, timestamp, header string, body []byte, tolerance time.Duration, now time.Time) error {
	if err := checkTimestamp(timestamp, tolerance, now); err != nil {
		return err
	}
	return matchV1(header, standardMAC(secret, msgID, timestamp, body))
}
