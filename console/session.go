package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/service"
)

// cookieName is the session cookie. Its value is the API access token the
// sign-in issued: signed by the organization's token key, checked on every
// request, and expiring with the token (three hours).
const cookieName = "berth_session"

// session is a signed-in operator.
type session struct {
	principal *auth.Principal
	change    service.Change // who the console's writes are by
}

// who names the operator for the page header.
func (s *session) who() string {
	if s.principal.Machine {
		return s.principal.ClientID + " (organization credentials)"
	}
	return s.principal.UserID
}

// pageFunc is a handler for signed-in operators that returns its error.
type pageFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// pageOn registers a page that needs a session: without one, a GET is
// redirected to the sign-in form (and back after), anything else is 401.
func (c *Console) pageOn(mux *http.ServeMux, pattern string, h pageFunc) {
	mux.Handle(pattern, c.handle(func(w http.ResponseWriter, r *http.Request) error {
		s, err := c.session(r)
		if err != nil {
			if r.Method == http.MethodGet && r.URL.Path != "/events" {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			return err
		}
		if err := h(w, r, s); err != nil {
			c.writeError(w, r, s, err)
		}
		return nil
	}))
}

// session checks the session cookie. Errors: unauthorized.
func (c *Console) session(r *http.Request) (*session, error) {
	cookie, err := r.Cookie(cookieName)
	if err != nil || cookie.Value == "" {
		return nil, berth.Errorf(berth.CodeUnauthorized, "sign in first")
	}
	p, err := c.cfg.Issuer.Verify(cookie.Value)
	if err != nil {
		return nil, err
	}
	if !p.Machine {
		if p.User, err = c.cfg.Users.Principal(r.Context(), p.ClientID, p.UserID); err != nil {
			return nil, err
		}
	}
	return &session{principal: p, change: service.Change{
		Actor:  berth.Actor{OrgID: c.cfg.OrgID, UserID: p.UserID, User: p.User},
		Origin: berth.OriginUI,
	}}, nil
}

type signinView struct {
	base
	ClientID string
	Next     string
	Problem  string
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) error {
	return c.render(w, r, http.StatusOK, "signin", &signinView{base: base{Title: "Sign in"}, Next: safeNext(r.URL.Query().Get("next"))})
}

// signin checks API credentials (the organization's, or a user's) as
// POST /v1/auth/access_token does and keeps the token in the session
// cookie.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) error {
	clientID, secret := strings.TrimSpace(r.PostFormValue("client_id")), r.PostFormValue("client_secret")
	next := safeNext(r.PostFormValue("next"))
	token, expiresIn, err := c.issue(r, clientID, secret)
	if berth.ErrorCode(err) == berth.CodeUnauthorized {
		c.cfg.Log.InfoContext(r.Context(), "console sign-in refused", "clientId", clientID)
		v := &signinView{base: base{Title: "Sign in"}, ClientID: clientID, Next: next,
			Problem: "Those credentials were not accepted. Check the client ID and secret."}
		return c.render(w, r, http.StatusUnauthorized, "signin", v)
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", MaxAge: expiresIn,
		Expires:  time.Now().Add(time.Duration(expiresIn) * time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isTLS(r)})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (c *Console) issue(r *http.Request, clientID, secret string) (string, int, error) {
	if clientID == "" || secret == "" {
		return "", 0, berth.Errorf(berth.CodeUnauthorized, "client id and secret are required")
	}
	token, expiresIn, err := c.cfg.Issuer.Issue(clientID, secret)
	if berth.ErrorCode(err) != berth.CodeUnauthorized {
		return token, expiresIn, err
	}
	userID, err := c.cfg.Users.Authenticate(r.Context(), clientID, secret)
	if err != nil {
		return "", 0, err
	}
	token, expiresIn = c.cfg.Issuer.IssueUser(clientID, userID)
	return token, expiresIn, nil
}

// signout forgets the session in this browser. The token itself stays
// valid until it expires (tokens are not stored, so none is revoked).
func (c *Console) signout(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isTLS(r)})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// isTLS reports whether the browser reached berth over HTTPS: directly, or
// through a proxy that says so.
func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// safeNext returns where to go after signing in: a path on this server, or
// the runs page. Anything that could leave the site is refused.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/runs"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" || u.Path == "/signin" {
		return "/runs"
	}
	return u.RequestURI()
}
