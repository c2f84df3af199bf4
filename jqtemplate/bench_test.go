package jqtemplate

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// The benchmark fixture of shared/conformance/bench (see its README): a
// WEBHOOK invocation method with 13 expressions, RUN_UPDATED trigger data and
// what Port's reference renderer produces for them.
const benchDir = "../../shared/conformance/bench/"

type notifyFixture struct {
	tmpl *Template
	data *Data
	want []byte
}

func loadNotify(tb testing.TB) notifyFixture {
	tb.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(benchDir + name)
		if err != nil {
			tb.Fatalf("benchmark fixture is required: %v", err)
		}
		return b
	}
	tmpl, err := CompileStrict(read("notify-template.json"))
	if err != nil {
		tb.Fatal(err)
	}
	data, err := ParseData(read("run-updated-trigger-data.json"))
	if err != nil {
		tb.Fatal(err)
	}
	want, err := decodeOrdered(read("notify-expected.json"))
	if err != nil {
		tb.Fatal(err)
	}
	wantJSON, _ := Marshal(want)
	return notifyFixture{tmpl, data, wantJSON}
}

// TestNotifyFixture checks the benchmark's output byte for byte, key order
// included: the spread object comes from the data, whose order ParseData
// keeps.
func TestNotifyFixture(t *testing.T) {
	t.Parallel()
	f := loadNotify(t)
	res, err := f.tmpl.Render(context.Background(), f.data, Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(res.Value)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, f.want) {
		t.Errorf("got  %s\nwant %s", got, f.want)
	}
}

// BenchmarkRenderNotify renders the fixture with a compiled template and
// prepared data: the work of one delivery.
func BenchmarkRenderNotify(b *testing.B) {
	f := loadNotify(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.tmpl.Render(ctx, f.data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderNotifyMarshal adds encoding the payload to JSON bytes.
func BenchmarkRenderNotifyMarshal(b *testing.B) {
	f := loadNotify(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := f.tmpl.Render(ctx, f.data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Marshal(res.Value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseData prepares the fixture's trigger data: once per event.
func BenchmarkParseData(b *testing.B) {
	raw, err := os.ReadFile(benchDir + "run-updated-trigger-data.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseData(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderGojq renders expressions that all need gojq (no path fast
// path): the cost of one gojq run each.
func BenchmarkRenderGojq(b *testing.B) {
	f := loadNotify(b)
	tmpl, err := CompileStrict([]byte(`{"a": "{{ .run.id | ascii_upcase }}", "b": "{{ .event.diff.after.status == \"SUCCESS\" }}",
		"c": "n={{ .event.diff.after.properties.replicas + 1 }}", "d": "{{ [.event.diff.after.link[] | length] }}"}`))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Render(ctx, f.data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
