package jqtemplate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ConditionSpec is the JSON form of an automation condition (spec 2.1):
//
//	{"type": "JQ", "expressions": [".diff.after.status == \"SUCCESS\""], "combinator": "and"}
type ConditionSpec struct {
	Type        string   `json:"type"`
	Expressions []string `json:"expressions"`
	// Combinator is "and" (the default when empty) or "or".
	Combinator string `json:"combinator,omitempty"`
}

// Condition is a compiled automation condition. It is safe for concurrent
// use.
type Condition struct {
	or    bool
	exprs []*expr
}

// CompileCondition decodes and compiles a condition. It fails when the JSON
// does not have the condition's shape, and with the *ExprError of the first
// expression that does not compile, located at "expressions[i]".
func CompileCondition(raw json.RawMessage) (*Condition, error) {
	var spec ConditionSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	return spec.Compile()
}

// Compile compiles the condition; see CompileCondition.
func (s ConditionSpec) Compile() (*Condition, error) {
	if s.Type != "JQ" {
		return nil, fmt.Errorf(`condition: type: must be "JQ", not %q`, s.Type)
	}
	c := &Condition{}
	switch s.Combinator {
	case "", "and":
	case "or":
		c.or = true
	default:
		return nil, fmt.Errorf(`condition: combinator: must be "and" or "or", not %q`, s.Combinator)
	}
	for i, src := range s.Expressions {
		loc := Location{Path: "expressions[" + strconv.Itoa(i) + "]", Pointer: "/expressions/" + strconv.Itoa(i)}
		e := compileExpr(src, loc)
		if p := e.problem(); p != nil {
			return nil, p
		}
		c.exprs = append(c.exprs, e)
	}
	return c, nil
}

// Evaluate runs the condition against the event object (spec 2.3: the
// object that templates see as .event; a *Data or a value NewData accepts).
// An expression passes when its first output is true; one that yields
// anything else, nothing, or fails counts as false. With "and" every
// expression must pass, with "or" one; no expressions pass. When ok is false,
// reason says which expressions did not pass and why.
func (c *Condition) Evaluate(ctx context.Context, event any) (ok bool, reason string) {
	if len(c.exprs) == 0 {
		return true, ""
	}
	if ctx == nil {
		ctx = context.Background()
	}
	data, err := asData(event)
	if err != nil {
		return false, "event: " + err.Error()
	}
	ev := newEvaluator(ctx, data, 0)
	defer ev.close()
	var reasons []string
	for _, e := range c.exprs {
		why := ev.check(e)
		if why == "" && c.or {
			return true, ""
		}
		if why != "" {
			reasons = append(reasons, why)
			if !c.or || ctx.Err() != nil {
				break
			}
		}
	}
	if len(reasons) == 0 {
		return true, ""
	}
	return false, strings.Join(reasons, "; ")
}

// check runs one condition expression and returns why it did not pass, or
// "" when it passed.
func (ev *evaluator) check(e *expr) string {
	v, err := ev.eval(e)
	switch {
	case err != nil:
		if xe, ok := err.(*ExprError); ok {
			return xe.Error()
		}
		return fmt.Sprintf("%s: %v", e.loc, err)
	case v == true:
		return ""
	case v == false:
		return fmt.Sprintf("%s: jq expression %q returned false", e.loc, strings.TrimSpace(e.src))
	case v == (Undefined{}):
		return fmt.Sprintf("%s: jq expression %q returned no value", e.loc, strings.TrimSpace(e.src))
	}
	return fmt.Sprintf("%s: jq expression %q returned %s, not a boolean", e.loc, strings.TrimSpace(e.src),
		truncate(stringify(ev.data.export(v)), 100))
}

// truncate shortens s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
