package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Header names of the Port v1 scheme, in canonical form. Port's docs write
// them in lower case; HTTP header names are case-insensitive.
const (
	HeaderPortTimestamp = "X-Port-Timestamp"
	HeaderPortSignature = "X-Port-Signature"
)

// DefaultTolerance is how far a signed timestamp may be from the verifier's
// clock before a signature is refused as a possible replay.
const DefaultTolerance = 5 * time.Minute

// Errors returned by this package. They are plain errors, not berth.Error:
// a caller that answers an HTTP request decides what to tell the client.
var (
	ErrNoSignature         = errors.New("signing: no v1 signature in header")
	ErrBadSignature        = errors.New("signing: signature does not match")
	ErrBadTimestamp        = errors.New("signing: timestamp is not a decimal Unix time in seconds")
	ErrTimestampSkew       = errors.New("signing: timestamp is outside the tolerance")
	ErrMissingHeader       = errors.New("signing: signature header missing")
	ErrSecretTooShort      = errors.New("signing: client secret is shorter than 32 bytes")
	ErrMalformedCiphertext = errors.New("signing: encrypted value is not Base64 of IV, ciphertext and tag")
	ErrDecryptionFailure   = errors.New("signing: encrypted value does not decrypt with this secret")
)

// PortV1 returns the X-Port-Signature value for body sent at timestamp (Unix
// seconds): "v1," + Base64(HMAC-SHA256(secret, "<timestamp>.<body>")). A
// request without a body is signed as "<timestamp>." (spec 13.1 row 5).
func PortV1(secret []byte, timestamp int64, body []byte) string {
	return "v1," + portV1MAC(secret, strconv.FormatInt(timestamp, 10), body)
}

func portV1MAC(secret []byte, timestamp string, body []byte) string {
	return macBase64(secret, []byte(timestamp), []byte("."), body)
}

// VerifyPortV1 checks an X-Port-Signature header against the X-Port-Timestamp
// header value and the raw body. The header may hold several space-separated
// "v1,<sig>" entries (as during a secret rotation); one match is enough. The
// timestamp must be within tolerance of now; a tolerance <= 0 turns that check
// off.
//
// It returns nil, ErrNoSignature, ErrBadSignature, ErrBadTimestamp or
// ErrTimestampSkew.
func VerifyPortV1(secret []byte, header, timestamp string, body []byte, tolerance time.Duration, now time.Time) error {
	if err := checkTimestamp(timestamp, tolerance, now); err != nil {
		return err
	}
	return matchV1(header, portV1MAC(secret, timestamp, body))
}

// macBase64 returns Base64(HMAC-SHA256(secret, parts...)).
func macBase64(secret []byte, parts ...[]byte) string {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// matchV1 reports whether any "v1,<sig>" entry of header equals want, in
// constant time per entry.
func matchV1(header, want string) error {
	found := false
	for entry := range strings.FieldsSeq(header) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		found = true
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	if !found {
		return ErrNoSignature
	}
	return ErrBadSignature
}

func checkTimestamp(timestamp string, tolerance time.Duration, now time.Time) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts < 0 {
		return fmt.Errorf("%w: %q", ErrBadTimestamp, timestamp)
	}
	if tolerance <= 0 {
		return nil
	}
	skew := math.Abs(float64(now.Unix() - ts))
	if skew > tolerance.Seconds() {
		return fmt.Errorf("%w: %ds from now", ErrTimestampSkew, int64(skew))
	}
	return nil
}
