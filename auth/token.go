// Package auth issues and checks the bearer tokens of berth's API. Tokens are
// JWTs signed with HS256 under a key kept in the store, so every instance
// sharing a database accepts every other instance's tokens. Credentials are
// the organization's client id and secret (spec 11.2), or a user's
// credentials (checked by the caller, IssueUser).
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth"
)

// Lifetime is how long an access token is valid (spec 11.2: three hours).
const Lifetime = 3 * time.Hour

// Principal is the identity a request acts as.
type Principal struct {
	OrgID    string
	ClientID string
	// UserID is the user the credentials act as; for the organization's
	// own (machine) credentials it is the client id.
	UserID string
	// User is the user object when the credentials belong to a user.
	User *berth.User
	// Machine is true for the organization's own credentials, false for
	// credentials that act as a user (IssueUser).
	Machine bool
}

// Claims are the fields of berth's access tokens.
type Claims struct {
	OrgID    string `json:"orgId"`
	ClientID string `json:"clientId"`
	Subject  string `json:"sub"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	ID       string `json:"jti"`
	// Kind is "user" for tokens that act as a user (the subject); empty
	// for the organization's machine tokens.
	Kind string `json:"knd,omitempty"`
}

// Issuer issues and verifies tokens for one organization.
type Issuer struct {
	orgID        string
	clientID     string
	clientSecret string
	key          []byte
	now          func() time.Time

	mu     sync.Mutex
	active map[string]issued // by client id: the token to hand out again
}

type issued struct {
	token   string
	expires time.Time
}

// NewIssuer returns an Issuer for the organization's credentials that signs
// with key. now may be nil (time.Now).
func NewIssuer(orgID, clientID, clientSecret string, key []byte, now func() time.Time) *Issuer {
	if now == nil {
		now = time.Now
	}
	return &Issuer{orgID: orgID, clientID: clientID, clientSecret: clientSecret, key: key, now: now, active: map[string]issued{}}
}

// Issue checks the credentials and returns the active token for them (a new
// one when none is active or it is about to expire) and its remaining
// lifetime in seconds. Errors: unauthorized.
func (i *Issuer) Issue(clientID, clientSecret string) (string, int, error) {
	if !equal(clientID, i.clientID) || !equal(clientSecret, i.clientSecret) {
		return "", 0, berth.Errorf(berth.CodeUnauthorized, "the client id or client secret is wrong")
	}
	tok, expiresIn := i.issue(clientID, clientID, "")
	return tok, expiresIn, nil
}

// IssueUser returns the active token for a user credential (clientID) that
// the caller has checked, acting as userID (the user's email), and its
// remaining lifetime in seconds.
func (i *Issuer) IssueUser(clientID, userID string) (string, int) {
	return i.issue(clientID, userID, "user")
}

func (i *Issuer) issue(clientID, subject, kind string) (string, int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	if t, ok := i.active[clientID]; ok && t.expires.Sub(now) > time.Minute {
		return t.token, int(t.expires.Sub(now).Seconds())
	}
	c := Claims{OrgID: i.orgID, ClientID: clientID, Subject: subject, IssuedAt: now.Unix(),
		Expires: now.Add(Lifetime).Unix(), ID: berth.NewID("", 16), Kind: kind}
	tok := i.sign(c)
	i.active[clientID] = issued{token: tok, expires: time.Unix(c.Expires, 0)}
	return tok, int(Lifetime.Seconds())
}

// Verify checks a token's signature and expiry and returns who it acts as.
// Errors: unauthorized.
func (i *Issuer) Verify(token string) (*Principal, error) {
	c, ok := i.parse(token)
	if !ok {
		return nil, berth.Errorf(berth.CodeUnauthorized, "the access token is invalid")
	}
	if i.now().Unix() >= c.Expires {
		return nil, berth.Errorf(berth.CodeUnauthorized, "the access token has expired")
	}
	if c.OrgID != i.orgID {
		return nil, berth.Errorf(berth.CodeUnauthorized, "the access token is for another organization")
	}
	return &Principal{OrgID: c.OrgID, ClientID: c.ClientID, UserID: c.Subject, Machine: c.Kind != "user"}, nil
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (i *Issuer) sign(c Claims) string {
	payload, _ := json.Marshal(c)
	signed := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(i.mac(signed))
}

func (i *Issuer) parse(token string) (Claims, bool) {
	var c Claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != jwtHeader {
		return c, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, i.mac(parts[0]+"."+parts[1])) {
		return c, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, false
	}
	return c, true
}

func (i *Issuer) mac(s string) []byte {
	m := hmac.New(sha256.New, i.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of the request ctx belongs to, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
