package jqtemplate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itchyny/gojq"
)

// slow never finishes on its own.
const slow = `last(range(1e15))`

func TestExprTimeout(t *testing.T) {
	t.Parallel()
	tmpl, err := CompileStrict([]byte(`["{{ ` + slow + ` }}", "{{ .a }}", "x{{ ` + slow + ` }}", "{{ .a + 1 }}"]`))
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"a": 1.0}
	res, err := tmpl.Render(context.Background(), data, Options{ExprTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := debugString(res.Value); got != `[null,1,"xnull",2]` {
		t.Errorf("got %s", got)
	}
	if len(res.Warnings) != 2 || !errors.Is(res.Warnings[0], ErrTimeout) || res.Warnings[1].Path != "[2]" {
		t.Errorf("warnings %v", res.Warnings)
	}
	_, err = tmpl.Render(context.Background(), data, Options{Strict: true, ExprTimeout: 20 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("strict: %v", err)
	}
}

func TestRenderCanceled(t *testing.T) {
	t.Parallel()
	tmpl, err := CompileStrict([]byte(`{"a": "{{ ` + slow + ` }}", "b": "{{ 1 }}"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, timeout := range []time.Duration{0, -1} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := tmpl.Render(ctx, nil, Options{ExprTimeout: timeout})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ExprTimeout %v: %v", timeout, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tmpl.Render(ctx, nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// TestRenderPanic checks that a panic inside jq becomes a warning, or the
// error in strict mode.
func TestRenderPanic(t *testing.T) {
	t.Parallel()
	q, err := gojq.Parse("boom")
	if err != nil {
		t.Fatal(err)
	}
	code, err := gojq.Compile(q, gojq.WithFunction("boom", 0, 0, func(any, []any) any { panic("kaboom") }))
	if err != nil {
		t.Fatal(err)
	}
	e := &expr{src: "boom", loc: Location{Path: "x"}, code: code}
	tmpl := &Template{root: arrayNode{elems: []node{wholeNode{e}, literal{1.0}}}}
	res, err := tmpl.Render(context.Background(), nil, Options{})
	if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Error(), "panic: kaboom") {
		t.Errorf("got %v, %v", res.Warnings, err)
	}
	if _, err := tmpl.Render(context.Background(), nil, Options{Strict: true}); err == nil || !strings.Contains(err.Error(), "panic: kaboom") {
		t.Errorf("strict: %v", err)
	}
}

func TestCompileStrict(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"a": "{{ nope }}", "b": ["{{ .x }}", "{{ .x | }}"], "c": "{{ 'ok' }}"}`)
	tmpl, err := Compile(raw)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range tmpl.Problems() {
		paths = append(paths, p.Path+" "+p.Pointer)
	}
	if got := strings.Join(paths, ", "); got != "a /a, b[1] /b/1" {
		t.Errorf("problems at %s", got)
	}
	_, err = CompileStrict(raw)
	var xe *ExprError
	if !errors.As(err, &xe) || xe.Path != "a" || !xe.Compile {
		t.Errorf("CompileStrict: %v", err)
	}
	_, err = CompileStrict([]byte(`{"a": "{{ nope }}"}`))
	if !errors.As(err, &xe) || xe.Error() != `a: jq expression "nope" does not compile: function not defined: nope/0` {
		t.Errorf("CompileStrict: %v", err)
	}
	_, err = Compile([]byte(`{"h": {"x": "a {{ b"}}`))
	var te *TemplateError
	if !errors.As(err, &te) || te.Pointer != "/h/x" || te.Offset != 2 || te.Source != "a {{ b" {
		t.Errorf("Compile: %#v", err)
	}
	if _, err := Compile([]byte(`{"a": }`)); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("Compile(invalid): %v", err)
	}
}

// TestConcurrentRenders shares one template and one Data between goroutines
// (run with -race).
func TestConcurrentRenders(t *testing.T) {
	t.Parallel()
	f := loadNotify(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				res, err := f.tmpl.Render(context.Background(), f.data, Options{})
				if err != nil {
					t.Error(err)
					return
				}
				if got, _ := Marshal(res.Value); string(got) != string(f.want) {
					t.Errorf("got %s", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
