package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// appAuth authenticates as a GitHub App installation: a JWT signed with the
// App's private key (RS256) finds the installation on the repository's
// owner and exchanges it for an installation token, cached until shortly
// before it expires.
type appAuth struct {
	id  string
	key *rsa.PrivateKey

	mu            sync.Mutex
	installations map[string]int64 // owner → installation id
	tokens        map[int64]installationToken
}

type installationToken struct {
	token   string
	expires time.Time
}

// parsePrivateKey reads an RSA private key in PEM, PKCS #1 (what GitHub
// gives) or PKCS #8.
func parsePrivateKey(pemText []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

// jwt returns the App's JWT: issued a minute ago (clock drift), valid nine
// minutes (GitHub allows ten).
func (a *appAuth) jwt(now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	var iss any = a.id
	if n, err := strconv.ParseInt(a.id, 10, 64); err == nil {
		iss = n // an App ID; a client ID ("Iv1.…") stays a string
	}
	claims, _ := json.Marshal(map[string]any{"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix(), "iss": iss})
	input := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// token returns an installation token for the installation on owner (found
// through owner/repo the first time).
func (b *Backend) appToken(ctx context.Context, owner, repo string) (string, error) {
	a := b.app
	now := b.cfg.Now()
	a.mu.Lock()
	id, known := a.installations[owner]
	tok, cached := a.tokens[id]
	a.mu.Unlock()
	if known && cached && now.Before(tok.expires.Add(-5*time.Minute)) {
		return tok.token, nil
	}
	jwt, err := a.jwt(now)
	if err != nil {
		return "", err
	}
	if !known {
		var inst struct {
			ID int64 `json:"id"`
		}
		if _, err := b.call(ctx, http.MethodGet, "/repos/"+owner+"/"+repo+"/installation", jwt, nil, &inst); err != nil {
			return "", err
		}
		id = inst.ID
	}
	var fresh struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if _, err := b.call(ctx, http.MethodPost, "/app/installations/"+strconv.FormatInt(id, 10)+"/access_tokens", jwt, nil, &fresh); err != nil {
		return "", err
	}
	a.mu.Lock()
	a.installations[owner] = id
	a.tokens[id] = installationToken{fresh.Token, fresh.ExpiresAt}
	a.mu.Unlock()
	return fresh.Token, nil
}
