package signing

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
)

// AzureDevOps returns the x-port-signature value berth sends to Azure DevOps
// incoming webhooks by default (spec 8.4): lowercase hex HMAC-SHA1(secret,
// body) over the exact body bytes, no prefix and no timestamp — what an Azure
// "Incoming WebHook" service connection with Secret = client secret checks.
func AzureDevOps(secret, body []byte) string {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
