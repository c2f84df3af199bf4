package jqtemplate

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// Data composed from a prepared part renders exactly like the same data
// parsed whole.
func TestComposeMatchesParse(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(benchDir + "run-updated-trigger-data.json")
	if err != nil {
		t.Fatal(err)
	}
	tmplRaw, err := os.ReadFile(benchDir + "notify-template.json")
	if err != nil {
		t.Fatal(err)
	}
	var whole map[string]json.RawMessage
	if err := json.Unmarshal(raw, &whole); err != nil {
		t.Fatal(err)
	}
	event, err := ParseData(whole["event"])
	if err != nil {
		t.Fatal(err)
	}
	var trigger, action, run, secrets any
	json.Unmarshal(whole["trigger"], &trigger)
	json.Unmarshal(whole["action"], &action)
	json.Unmarshal(whole["run"], &run)
	json.Unmarshal(whole["secrets"], &secrets)
	composed, err := Compose([]string{"inputs", "trigger", "event", "entity", "action", "run", "secrets"},
		[]any{nil, trigger, event, nil, action, run, secrets})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseData(raw)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := Compile(tmplRaw)
	if err != nil {
		t.Fatal(err)
	}
	render := func(d *Data) string {
		res, err := tmpl.Render(context.Background(), d, Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := Marshal(res.Value)
		return string(out)
	}
	if a, b := render(composed), render(parsed); a != b {
		t.Fatalf("composed data renders\n%s\nparsed data renders\n%s", a, b)
	}
	if _, err := Compose([]string{"a"}, nil); err == nil {
		t.Fatal("Compose accepted fewer values than keys")
	}
}

func TestDataWith(t *testing.T) {
	t.Parallel()
	d, err := ParseData([]byte(`{"b":1,"a":{"y":1,"x":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	w, err := d.With("secrets", map[string]any{"tok": "s"})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := Compile(json.RawMessage(`{"all":"{{ . }}","tok":"{{ .secrets.tok }}"}`))
	res, err := tmpl.Render(context.Background(), w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(res.Value)
	if want := `{"all":{"b":1,"a":{"y":1,"x":2},"secrets":{"tok":"s"}},"tok":"s"}`; string(out) != want {
		t.Fatalf("got %s, want %s", out, want)
	}
	if _, err := (&Data{value: 1.0}).With("x", 1); err == nil {
		t.Fatal("With accepted non-object data")
	}
}
