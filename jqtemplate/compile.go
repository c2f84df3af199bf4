package jqtemplate

import (
	"encoding/json"
	"errors"
	"strings"
)

// Template is a compiled payload template. It is safe for concurrent use.
type Template struct {
	root     node
	problems []*ExprError
}

// node is one compiled part of a template.
type node interface {
	render(r *renderer) (any, error)
}

// Compile parses a JSON template, keeping its key order, and compiles every
// jq expression in it. It fails on invalid JSON and with a *TemplateError on
// a malformed string. Expressions that do not compile do not fail it (the
// reference renders them as null); see Problems and CompileStrict.
func Compile(raw json.RawMessage) (*Template, error) {
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, err
	}
	return compileValue(v)
}

// CompileStrict is Compile, but also fails when an expression does not
// compile, with its *ExprError (several are joined with errors.Join). Saving
// an action should use it and answer 422 with the error's location.
func CompileStrict(raw json.RawMessage) (*Template, error) {
	t, err := Compile(raw)
	if err != nil {
		return nil, err
	}
	switch p := t.Problems(); len(p) {
	case 0:
		return t, nil
	case 1:
		return nil, p[0]
	default:
		errs := make([]error, len(p))
		for i, e := range p {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
}

// Problems returns the expressions of t that do not compile, in template
// order. Render renders each of them as null with a warning, or fails on
// the first one in strict mode.
func (t *Template) Problems() []*ExprError { return t.problems }

// compileValue compiles a decoded template: the values decodeOrdered
// returns, plus Undefined.
func compileValue(v any) (*Template, error) {
	c := compiler{}
	root, err := c.compile(v, Location{})
	if err != nil {
		return nil, err
	}
	return &Template{root: root, problems: c.problems}, nil
}

type compiler struct {
	problems []*ExprError
}

func (c *compiler) compile(v any, loc Location) (node, error) {
	switch v := v.(type) {
	case string:
		return c.compileString(v, loc)
	case []any:
		return c.compileArray(v, loc)
	case *Object:
		return c.compileObject(v, loc)
	}
	return literal{v}, nil
}

func (c *compiler) compileArray(a []any, loc Location) (node, error) {
	n := arrayNode{elems: make([]node, len(a))}
	for i, v := range a {
		var err error
		if n.elems[i], err = c.compile(v, loc.index(i)); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (c *compiler) compileObject(o *Object, loc Location) (node, error) {
	n := objectNode{entries: make([]entry, o.Len())}
	for i, m := range o.members {
		k := m.key
		e := &n.entries[i]
		e.rawKey, e.loc = k, loc.child(k)
		e.rawVal = jsString(m.val)
		var err error
		if isSpreadKey(k) {
			e.spread = true
		} else {
			keyLoc := e.loc
			keyLoc.Key = true
			if e.key, err = c.compileString(k, keyLoc); err != nil {
				return nil, err
			}
		}
		if e.val, err = c.compile(m.val, e.loc); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// compileString compiles a template string per spec 5.3.
func (c *compiler) compileString(s string, loc Location) (node, error) {
	blocks, err := scan(s)
	if err != nil {
		se := err.(*scanError)
		return nil, &TemplateError{Location: loc, Msg: se.Error(), Source: s, Offset: se.at[0]}
	}
	if len(blocks) == 0 {
		return literal{s}, nil
	}
	trimmed := jsTrim(s)
	if len(blocks) == 1 && strings.HasPrefix(trimmed, "{{") && strings.HasSuffix(trimmed, "}}") {
		b := blocks[0]
		return wholeNode{c.expr(s[b.start:b.end], loc)}, nil
	}
	n := interpNode{lits: make([]string, 0, len(blocks)+1), exprs: make([]*expr, len(blocks))}
	prev := 0
	for i, b := range blocks {
		n.lits = append(n.lits, s[prev:b.start-2])
		n.exprs[i] = c.expr(s[b.start:b.end], loc)
		prev = b.end + 2
	}
	n.lits = append(n.lits, s[prev:])
	n.size = len(s)
	return n, nil
}

func (c *compiler) expr(src string, loc Location) *expr {
	e := compileExpr(src, loc)
	if p := e.problem(); p != nil {
		c.problems = append(c.problems, p)
	}
	return e
}

// isSpreadKey reports whether trim(key) matches
// ^\{\{\s*spreadValue\(\s*\)\s*\}\}$, as in the reference.
func isSpreadKey(key string) bool {
	s, ok := strings.CutPrefix(jsTrim(key), "{{")
	if !ok {
		return false
	}
	s, ok = strings.CutSuffix(s, "}}")
	if !ok {
		return false
	}
	s, ok = strings.CutPrefix(strings.TrimLeftFunc(s, isJSSpace), "spreadValue(")
	if !ok {
		return false
	}
	s, ok = strings.CutPrefix(strings.TrimLeftFunc(s, isJSSpace), ")")
	return ok && strings.TrimLeftFunc(s, isJSSpace) == ""
}
