package jqtemplate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Location is where a string sits in a template.
type Location struct {
	// Path is the JSON path of the string, dotted ("body.meta.runId",
	// "links[0]", `headers["X-Run"]`); "" is the template itself.
	Path string
	// Pointer is the same place as a JSON pointer ("/body/meta/runId").
	Pointer string
	// Key is set when the string is the object key at Path, not its value.
	Key bool
}

// String returns the path for messages: "(root)" for the template itself and
// " (key)" appended for keys.
func (l Location) String() string {
	p := l.Path
	if p == "" {
		p = "(root)"
	}
	if l.Key {
		p += " (key)"
	}
	return p
}

func (l Location) child(key string) Location {
	return Location{Path: joinPath(l.Path, key), Pointer: l.Pointer + "/" + escapePointer(key)}
}

func (l Location) index(i int) Location {
	s := strconv.Itoa(i)
	return Location{Path: l.Path + "[" + s + "]", Pointer: l.Pointer + "/" + s}
}

func joinPath(parent, key string) string {
	if !isIdentifier(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func isIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || c == '$' || (c|0x20 >= 'a' && c|0x20 <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// TemplateError is an error of the template itself rather than of a jq
// expression: a malformed string (from Compile), an object key that renders
// to something other than a string or null, or a spread value that is not an
// object (from Render). Msg is the reference renderer's message.
type TemplateError struct {
	Location
	Msg string
	// Source is the offending string and Offset the byte offset in it that a
	// structural error points at (-1 when there is none).
	Source string
	Offset int
}

func (e *TemplateError) Error() string { return e.Location.String() + ": " + e.Msg }

// ExprError is a jq expression of a template or condition that did not
// compile or failed when it ran. Render returns it as a warning, or as the
// error in strict mode; CompileStrict and CompileCondition return the
// expressions that do not compile.
type ExprError struct {
	Location
	// Expr is the jq text as written between the braces.
	Expr string
	// Compile is set when the expression does not compile.
	Compile bool
	// Err is gojq's error, ErrTimeout (wrapped) or a recovered panic.
	Err error
}

func (e *ExprError) Error() string {
	what := "failed"
	if e.Compile {
		what = "does not compile"
	}
	return fmt.Sprintf("%s: jq expression %q %s: %v", e.Location, strings.TrimSpace(e.Expr), what, e.Err)
}

func (e *ExprError) Unwrap() error { return e.Err }

// ErrTimeout is the error of an expression that ran longer than
// Options.ExprTimeout.
var ErrTimeout = errors.New("timed out")

// isCanceled reports whether err comes from the caller's context, which
// stops the whole render instead of failing one expression.
func isCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
