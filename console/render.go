package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/berthdev/berth"
)

// base is what every page's layout shows.
type base struct {
	Title string
	Nav   string // the current section: runs, automations, actions
	Who   string // the signed-in operator, "" on the sign-in page
	Flash string // a notice about what the last action did
}

func (s *session) base(title, nav string) base {
	return base{Title: title, Nav: nav, Who: s.who()}
}

// pages are the parsed page templates, by name; each is the layout plus
// the page's own file.
type pages map[string]*template.Template

var pageNames = []string{"signin", "runs", "run", "actions", "action", "error"}

func parsePages() (pages, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p[name] = t
	}
	return p, nil
}

// render writes page name with data. The page is rendered in full before
// anything is sent, so a template error is a clean 500.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("console: rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// handle adapts a handler that returns its error; errors become the error
// page.
func (c *Console) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			c.writeError(w, r, nil, err)
		}
	})
}

var (
	errNotFound    = berth.Errorf(berth.CodeNotFound, "There is no page here.")
	errCrossOrigin = berth.Errorf(berth.CodeForbidden, "This request came from another site and was refused (cross-origin protection).")
)

type errorView struct {
	base
	Status  int
	Heading string
	Message string
}

// writeError shows err as a page. Errors that are not *berth.Error are
// logged and shown as a generic failure.
func (c *Console) writeError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var e *berth.Error
	if !errors.As(err, &e) {
		c.cfg.Log.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = berth.Errorf(berth.CodeInternal, "Something went wrong on the server; its log has the details.")
	}
	status := e.Code.HTTPStatus()
	v := &errorView{base: base{Title: http.StatusText(status)}, Status: status, Heading: http.StatusText(status), Message: e.Message}
	if s != nil {
		v.Who = s.who()
	}
	if rerr := c.render(w, r, status, "error", v); rerr != nil {
		c.cfg.Log.ErrorContext(r.Context(), "console error page failed", "err", rerr)
		http.Error(w, e.Message, status)
	}
}

// securityHeaders forbids framing, inline scripts and anything from other
// origins, and keeps pages out of shared caches.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// staticFiles lets browsers keep the stylesheet and script for an hour.
func staticFiles(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"pretty":     prettyJSON,
	"when":       when,
	"statusText": statusText,
	"statusKey":  func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "-")) },
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"linkRuns":   linkRuns,
	"eventLabel": eventLabel,
	"isURL": func(s string) bool {
		return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
	},
}

// prettyJSON indents raw JSON for reading ("null" when empty).
func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// when shows a berth timestamp in a shorter form, still in UTC.
func when(ts string) string {
	t, err := time.Parse(berth.TimeFormat, ts)
	if err != nil {
		return ts
	}
	return t.Format("2006-01-02 15:04:05 UTC")
}

var statusTexts = map[string]string{
	berth.RunInProgress:         "In progress",
	berth.RunSuccess:            "Success",
	berth.RunFailure:            "Failure",
	berth.RunDeclined:           "Declined",
	berth.RunWaitingForApproval: "Waiting for approval",
}

func statusText(s string) string {
	if t, ok := statusTexts[s]; ok {
		return t
	}
	return s
}

var runIDPattern = regexp.MustCompile(`\br_[A-Za-z0-9]{16}\b`)

// linkRuns escapes a log line and links the run ids in it.
func linkRuns(s string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range runIDPattern.FindAllStringIndex(s, -1) {
		b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
		id := s[m[0]:m[1]]
		fmt.Fprintf(&b, `<a href="/runs/%s">%s</a>`, id, id)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String())
}

// eventLabel describes a change-log event in one line.
func eventLabel(ev *berth.Event) string {
	what := ev.Blueprint + "/" + ev.Entity
	if ev.ResourceType == berth.ResourceRun {
		what = "run " + ev.RunID + " of " + ev.ActionIdentifier
	}
	by := ev.Trigger.By.UserID
	if by == "" {
		by = ev.Trigger.By.OrgID
	}
	return fmt.Sprintf("%s · %s %s · %s · by %s", when(ev.Trigger.At), ev.ResourceType, ev.Action, what, by)
}
