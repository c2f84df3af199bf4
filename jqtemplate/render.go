package jqtemplate

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Options control a render.
type Options struct {
	// Strict makes the first failing expression fail the render with its
	// *ExprError, instead of rendering null and adding a warning (the
	// reference's throwOnError).
	Strict bool
	// ExprTimeout bounds each expression; zero means DefaultExprTimeout and a
	// negative value means no bound other than the context.
	ExprTimeout time.Duration
}

// Result is a rendered template.
type Result struct {
	// Value is the rendered JSON value: nil, bool, float64, string, []any,
	// *Object or Undefined. Encode it with Marshal.
	Value any
	// Warnings lists the expressions that failed and were rendered as null,
	// in template order.
	Warnings []*ExprError
}

// Render renders t against data: a *Data from ParseData or NewData (cheapest
// when one event feeds many templates), or a value NewData accepts. Render
// never parses or compiles jq. It fails with a *TemplateError (bad key or
// spread value), a *ExprError in strict mode, or the context's error when ctx
// is done; a panic is returned as an error.
func (t *Template) Render(ctx context.Context, data any, opts Options) (res Result, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	d, err := asData(data)
	if err != nil {
		return Result{}, fmt.Errorf("jqtemplate: data: %w", err)
	}
	r := renderer{evaluator: newEvaluator(ctx, d, opts.ExprTimeout), strict: opts.Strict}
	defer r.close()
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{Warnings: r.warnings}, fmt.Errorf("jqtemplate: panic while rendering: %v", p)
		}
	}()
	v, err := t.root.render(&r)
	if err != nil {
		return Result{Warnings: r.warnings}, err
	}
	return Result{Value: v, Warnings: r.warnings}, nil
}

type renderer struct {
	evaluator
	strict   bool
	warnings []*ExprError
}

// expr runs e; outside strict mode a failure becomes null and a warning.
func (r *renderer) expr(e *expr) (any, error) {
	v, err := r.eval(e)
	if xe, ok := err.(*ExprError); ok && !r.strict {
		r.warnings = append(r.warnings, xe)
		return nil, nil
	}
	return v, err
}

// literal is a value without templates.
type literal struct{ v any }

func (n literal) render(*renderer) (any, error) { return n.v, nil }

// wholeNode is a string that is one block: it keeps the jq result's type.
type wholeNode struct{ e *expr }

func (n wholeNode) render(r *renderer) (any, error) {
	v, err := r.expr(n.e)
	if err != nil {
		return nil, err
	}
	return r.data.export(v), nil
}

// interpNode is a string with text around its blocks, or several blocks.
type interpNode struct {
	lits  []string // text before, between and after the blocks
	exprs []*expr
	size  int // length of the template, a guess at the output's
}

func (n interpNode) render(r *renderer) (any, error) {
	buf := make([]byte, 0, n.size)
	buf = append(buf, n.lits[0]...)
	for i, e := range n.exprs {
		v, err := r.expr(e)
		if err != nil {
			return nil, err
		}
		buf = r.appendInterpolated(buf, v)
		buf = append(buf, n.lits[i+1]...)
	}
	return string(buf), nil
}

// appendInterpolated appends a block's result: a string as is, anything
// else as JSON.stringify writes it ("undefined" for no output).
func (r *renderer) appendInterpolated(buf []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return append(buf, v...)
	case Undefined:
		return append(buf, "undefined"...)
	case nil:
		return append(buf, "null"...)
	case bool:
		return appendBool(buf, v)
	case map[string]any, []any:
		b, _ := Marshal(r.data.export(v))
		return append(buf, b...)
	}
	if f, ok := toFloat(v); ok && f != nil {
		return appendNumber(buf, f.(float64))
	}
	return append(buf, "null"...)
}

type arrayNode struct{ elems []node }

func (n arrayNode) render(r *renderer) (any, error) {
	out := make([]any, len(n.elems))
	for i, e := range n.elems {
		v, err := e.render(r)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type objectNode struct{ entries []entry }

// entry is one member of a template object.
type entry struct {
	loc    Location
	rawKey string // the key as written
	rawVal string // the value as JavaScript's String() shows it, for errors
	spread bool   // the key is {{ spreadValue() }}
	key    node   // nil when spread
	val    node
}

func (n objectNode) render(r *renderer) (any, error) {
	o := NewObject(len(n.entries))
	for i := range n.entries {
		e := &n.entries[i]
		if e.spread {
			if err := r.spread(o, e); err != nil {
				return nil, err
			}
			continue
		}
		key, keep, err := r.key(e)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue // the value is not rendered, as in the reference
		}
		v, err := e.val.render(r)
		if err != nil {
			return nil, err
		}
		o.Set(key, v)
	}
	return o, nil
}

// key renders the key of e; keep is false when the entry is dropped (the key
// is null, "" or has no value).
func (r *renderer) key(e *entry) (key string, keep bool, err error) {
	v, err := e.key.render(r)
	if err != nil {
		return "", false, err
	}
	switch v := v.(type) {
	case string:
		return v, v != "", nil
	case nil, Undefined:
		return "", false, nil
	}
	keyLoc := e.loc
	keyLoc.Key = true
	return "", false, &TemplateError{Location: keyLoc, Offset: -1, Source: e.rawKey, Msg: fmt.Sprintf(
		"Evaluated object key should be undefined, null or string. Original key: %s, evaluated to: %s",
		e.rawKey, stringify(v))}
}

// spread renders the value of a {{ spreadValue() }} entry and merges its
// members into o, as Object.entries would list them.
func (r *renderer) spread(o *Object, e *entry) error {
	v, err := e.val.render(r)
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case *Object:
		for _, m := range v.members {
			o.Set(m.key, m.val)
		}
		return nil
	case []any:
		for i, x := range v {
			o.Set(strconv.Itoa(i), x)
		}
		return nil
	case nil:
		return &TemplateError{Location: e.loc, Offset: -1, Msg: "Cannot convert undefined or null to object"}
	}
	return &TemplateError{Location: e.loc, Offset: -1, Source: e.rawKey, Msg: fmt.Sprintf(
		"Evaluated value should be an object if the key is %s. Original value: %s, evaluated to: %s",
		e.rawKey, e.rawVal, stringify(v))}
}
