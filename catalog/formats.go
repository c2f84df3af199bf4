package catalog

import (
	"net/mail"
	"net/netip"
	"net/url"
	"time"
)

// formatType is the property type each format applies to (spec 10.1).
var formatType = map[string]string{
	"date-time":   "string",
	"url":         "string",
	"email":       "string",
	"idn-email":   "string",
	"ipv4":        "string",
	"ipv6":        "string",
	"markdown":    "string",
	"yaml":        "string",
	"user":        "string",
	"blueprints":  "string",
	"team":        "string",
	"timer":       "string",
	"proto":       "string",
	"labeled-url": "object",
}

// formatProblem says why s is not valid for a string format, or "".
// markdown, yaml, proto, user, team and blueprints accept any string: the
// references are not checked here (the store may check them).
func formatProblem(format, s string) string {
	switch format {
	case "date-time", "timer":
		if _, ok := parseDateTime(s); !ok {
			return "must be a date-time with a time zone (RFC 3339), like 2024-06-09T09:57:52.931Z or 2022-12-01T16:50:00+02:00"
		}
	case "url":
		if !isAbsoluteURL(s) {
			return "must be an absolute URL, like https://example.com/path"
		}
	case "email", "idn-email":
		if !isEmail(s) {
			return "must be an email address, like jane@example.com"
		}
	case "ipv4":
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			return "must be an IPv4 address, like 192.0.2.1"
		}
	case "ipv6":
		if a, err := netip.ParseAddr(s); err != nil || !a.Is6() || a.Zone() != "" {
			return "must be an IPv6 address, like 2001:db8::1"
		}
	}
	return ""
}

// labeledURLProblem checks the object value of a labeled-url property:
// {"url": "...", "displayText"?: "..."}.
func labeledURLProblem(m map[string]any) string {
	u, ok := m["url"].(string)
	if !ok || u == "" {
		return `must have a "url" string, like {"url": "https://example.com", "displayText": "Example"}`
	}
	if d, ok := m["displayText"]; ok && d != nil {
		if _, ok := d.(string); !ok {
			return `"displayText" must be a string`
		}
	}
	return ""
}

// parseDateTime parses an RFC 3339 date-time; the zone offset is required.
func parseDateTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
