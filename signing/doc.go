// Package signing computes and verifies the signatures berth puts on what it
// delivers, and encrypts Port-managed secret inputs (spec section 8).
//
// Every scheme is keyed with the organization's client secret, as Port does:
//
//   - Port v1 (spec 8.1–8.2): X-Port-Timestamp and X-Port-Signature =
//     "v1," + Base64(HMAC-SHA256(secret, "<timestamp>.<body>")).
//   - Standard Webhooks (https://www.standardwebhooks.com): webhook-id,
//     webhook-timestamp and webhook-signature = "v1," +
//     Base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")), sent alongside
//     the Port headers so receivers can use an off-the-shelf verifier.
//   - Azure DevOps incoming webhooks (spec 8.4): lowercase hex
//     HMAC-SHA1(secret, body).
//   - Secret user inputs with "encryption": "aes256-gcm" (spec 8.5).
//
// Signatures cover the exact bytes sent. A body must therefore be serialized
// once, compactly and without HTML escaping (spec 8.2), and those bytes both
// signed and sent; a verifier that re-serializes with
// JSON.stringify(JSON.parse(raw)), as Port's documentation does, then agrees
// with one that checks the raw bytes.
package signing
