package jqtemplate

import (
	"context"
	"fmt"
	"time"

	"github.com/itchyny/gojq"
)

// envPrefix disables environment access the way the reference does.
const envPrefix = "def env: {}; {} as $ENV | "

// DefaultExprTimeout is how long one expression may run when
// Options.ExprTimeout is zero.
const DefaultExprTimeout = time.Second

// expr is one compiled jq expression of a template or condition.
type expr struct {
	src  string // as written between the braces
	loc  Location
	code *gojq.Code // nil when the expression does not compile
	err  error      // why it does not compile
	// keys is set for a path expression, which eval follows directly.
	keys   []string
	isPath bool
}

// compileExpr compiles src as the reference would run it: single-quoted
// strings rewritten, env and $ENV empty. An expression that does not compile
// is kept, with its error, because the reference renders it as null.
func compileExpr(src string, loc Location) *expr {
	e := &expr{src: src, loc: loc}
	q, err := gojq.Parse(envPrefix + rewriteQuotes(src))
	if err == nil {
		e.code, err = gojq.Compile(q, gojq.WithEnvironLoader(noEnviron))
	}
	e.err = err
	if err == nil {
		e.keys, e.isPath = pathKeys(rewriteQuotes(src))
	}
	return e
}

func noEnviron() []string { return nil }

// problem returns the compile error of e, or nil.
func (e *expr) problem() *ExprError {
	if e.code != nil {
		return nil
	}
	return &ExprError{Location: e.loc, Expr: e.src, Compile: true, Err: e.err}
}

// run returns the first output of e for input v: Undefined when there is
// none. A panic inside gojq is returned as an error.
func (e *expr) run(ctx context.Context, v any) (out any, err error) {
	if e.code == nil {
		return nil, e.err
	}
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	out, ok := e.code.RunWithContext(ctx, v).Next()
	if !ok {
		return Undefined{}, nil
	}
	if err, ok := out.(error); ok {
		return nil, err
	}
	return out, nil
}

// evaluator runs the expressions of one render or condition evaluation
// against one input, each with its own timeout.
type evaluator struct {
	ctx     context.Context
	data    *Data
	timeout time.Duration
	wd      *watchdog // nil until the first run, and when timeouts are off
}

func newEvaluator(ctx context.Context, data *Data, timeout time.Duration) evaluator {
	if timeout == 0 {
		timeout = DefaultExprTimeout
	}
	return evaluator{ctx: ctx, data: data, timeout: timeout}
}

// eval runs e. It returns a *ExprError when e fails, and the context's error
// when the caller's context is done.
func (ev *evaluator) eval(e *expr) (any, error) {
	if err := ev.ctx.Err(); err != nil {
		return nil, err
	}
	if e.code == nil {
		return nil, e.problem()
	}
	if e.isPath {
		if out, ok := lookup(ev.data.value, e.keys); ok {
			return out, nil
		}
	}
	out, err := ev.runTimed(e)
	if err == nil {
		return out, nil
	}
	if isCanceled(ev.ctx, err) {
		return nil, ev.ctx.Err()
	}
	return nil, &ExprError{Location: e.loc, Expr: e.src, Err: err}
}

func (ev *evaluator) runTimed(e *expr) (any, error) {
	if ev.timeout < 0 {
		return e.run(ev.ctx, ev.data.value)
	}
	if ev.wd == nil {
		ev.wd = newWatchdog(ev.ctx, ev.timeout)
	}
	ev.wd.start()
	out, err := e.run(ev.wd, ev.data.value)
	if ev.wd.stop() && err != nil && ev.ctx.Err() == nil {
		err = fmt.Errorf("%w after %v", ErrTimeout, ev.timeout)
	}
	return out, err
}

// close releases the evaluator's timer.
func (ev *evaluator) close() {
	if ev.wd != nil {
		ev.wd.close()
	}
}

// CheckExpr returns why src does not compile as a jq expression (as
// templates and conditions compile theirs), or nil.
func CheckExpr(src string) error {
	return compileExpr(src, Location{}).err
}

// Expr is one jq expression compiled on its own, outside any template (a
// blueprint's calculation property), as templates compile theirs.
type Expr struct{ e *expr }

// CompileExpr compiles src; see CheckExpr.
func CompileExpr(src string) (*Expr, error) {
	e := compileExpr(src, Location{})
	if e.err != nil {
		return nil, e.err
	}
	return &Expr{e: e}, nil
}

// Eval returns the first output of x for data (nil when there is none), or
// why it failed: it is stopped after timeout (DefaultExprTimeout when 0) or
// when ctx is done.
func (x *Expr) Eval(ctx context.Context, data *Data, timeout time.Duration) (any, error) {
	ev := newEvaluator(ctx, data, timeout)
	defer ev.close()
	out, err := ev.eval(x.e)
	if _, ok := out.(Undefined); ok || err != nil {
		return nil, err
	}
	return out, nil
}
