// Package action decodes and validates self-service action and automation
// definitions (spec 2, 3, 6) and compiles what runs them: the jq condition
// and the invocation template. A definition that would fail at run time
// fails here, when it is saved, with a 422 naming the field.
package action

import (
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/berthdev/berth"
)

// Refs tells Decode which blueprints and actions exist, and which timer
// properties a blueprint has.
type Refs struct {
	Blueprint func(identifier string) bool
	Action    func(identifier string) bool
	// Timers returns the identifiers of the timer properties of an existing
	// blueprint. Nil skips the check.
	Timers func(blueprint string) []string
}

var identifierPattern = regexp.MustCompile(`^[\p{L}0-9@_.+:=-]+$`)

// readOnly are server fields a client may send back; they are dropped.
var readOnly = map[string]bool{"id": true, "createdAt": true, "createdBy": true, "updatedAt": true, "updatedBy": true}

var topLevel = spec{
	required: []string{"identifier", "trigger", "invocationMethod"},
	optional: []string{"title", "icon", "description", "publish", "allowAnyoneToViewRuns", "requiredApproval", "approvalNotification"},
}

// Decode validates a definition (the body of POST or PUT /v1/actions) and
// returns the action to store, its document kept in the client's key order.
// Errors: invalid_request (not JSON), unprocessable (every problem, by field).
func Decode(raw []byte, refs Refs) (*berth.Action, error) {
	if !json.Valid(raw) {
		return nil, berth.Errorf(berth.CodeInvalid, "the request body is not valid JSON")
	}
	obj, ok := parseObject(raw)
	if !ok {
		return nil, berth.Invalid("the action definition must be a JSON object", berth.FieldError{Field: "/", Message: "must be an object"})
	}
	kept := obj[:0:0]
	for _, f := range obj {
		if !readOnly[f.Key] {
			kept = append(kept, f)
		}
	}
	p := &problems{}
	a := &berth.Action{Published: true}
	p.checkKeys("", kept, topLevel)
	decodeHeader(p, kept, a)
	if raw, ok := kept.get("trigger"); ok {
		decodeTrigger(p, raw, a, refs)
	}
	if raw, ok := kept.get("invocationMethod"); ok {
		checkInvocation(p, raw, refs)
	}
	checkApproval(p, kept)
	if err := p.err(); err != nil {
		return nil, err
	}
	a.Doc = kept.marshal()
	return a, nil
}

func decodeHeader(p *problems, obj object, a *berth.Action) {
	if raw, ok := obj.get("identifier"); ok {
		if id, ok := p.str("/identifier", raw); ok {
			switch {
			case id == "." || id == ".." || !identifierPattern.MatchString(id):
				p.add("/identifier", "must be letters, digits and @ _ . + : = - (and not . or ..), got %q", id)
			case utf8.RuneCountInString(id) > 100:
				p.add("/identifier", "must be at most 100 characters")
			}
			a.Identifier = id
		}
	}
	p.optStr("", obj, "title", 0)
	p.optStr("", obj, "icon", 0)
	p.optStr("", obj, "description", 0)
	for _, key := range []string{"publish", "allowAnyoneToViewRuns"} {
		if raw, ok := obj.get(key); ok && kind(raw) != "boolean" {
			p.add("/"+key, "must be a boolean")
		}
	}
	if raw, ok := obj.get("publish"); ok && kind(raw) == "boolean" {
		json.Unmarshal(raw, &a.Published)
	}
}

func checkApproval(p *problems, obj object) {
	if raw, ok := obj.get("requiredApproval"); ok {
		switch kind(raw) {
		case "boolean":
		case "object":
			ra, _ := parseObject(raw)
			p.checkKeys("/requiredApproval", ra, spec{required: []string{"type"}})
			p.enumStr("/requiredApproval", ra, "type", "ANY", "ALL")
		default:
			p.add("/requiredApproval", `must be true, false, {"type": "ANY"} or {"type": "ALL"}`)
		}
	}
	if raw, ok := obj.get("approvalNotification"); ok {
		n, ok := p.isObject("/approvalNotification", raw)
		if !ok {
			return
		}
		switch p.enumStr("/approvalNotification", n, "type", "email", "webhook") {
		case "email":
			p.checkKeys("/approvalNotification", n, spec{required: []string{"type"}})
		case "webhook":
			p.checkKeys("/approvalNotification", n, spec{required: []string{"type", "url"}, optional: []string{"format"}})
			p.enumStr("/approvalNotification", n, "format", "json", "slack")
			if u, ok := n.get("url"); ok {
				p.url("/approvalNotification/url", u)
			}
		}
	}
}
