package jqtemplate

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCondition(t *testing.T) {
	t.Parallel()
	var event any
	if err := json.Unmarshal([]byte(`{"diff": {"after": {"properties": {"status": "SUCCESS", "locked": false, "n": 3}}}}`), &event); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		spec       string
		wantOK     bool
		wantReason string
	}{
		{"and passes", `{"type":"JQ","expressions":[".diff.after.properties.status == \"SUCCESS\"", ".diff.after.properties.locked != true"],"combinator":"and"}`, true, ""},
		{"missing combinator is and", `{"type":"JQ","expressions":["true", "false"]}`, false, `expressions[1]: jq expression "false" returned false`},
		{"empty passes", `{"type":"JQ","expressions":[],"combinator":"or"}`, true, ""},
		{"or passes on one", `{"type":"JQ","expressions":["false", ".diff.after.properties.n > 2"],"combinator":"or"}`, true, ""},
		{"single quotes", `{"type":"JQ","expressions":[".diff.after.properties.status == 'SUCCESS'"]}`, true, ""},
		{"and stops at first failure", `{"type":"JQ","expressions":["1", "error(\"x\")"],"combinator":"and"}`, false, `expressions[0]: jq expression "1" returned 1, not a boolean`},
		{"or lists every failure", `{"type":"JQ","expressions":["empty", ".diff.after.properties", ".diff + 1"],"combinator":"or"}`, false,
			`expressions[0]: jq expression "empty" returned no value; ` +
				`expressions[1]: jq expression ".diff.after.properties" returned {"locked":false,"n":3,"status":"SUCCESS"}, not a boolean; ` +
				`expressions[2]: jq expression ".diff + 1" failed: cannot add: object ({"after":{"properties":{" ...}) and number (1)`},
		{"env is empty", `{"type":"JQ","expressions":["env == {} and $ENV == {}"]}`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := CompileCondition([]byte(tt.spec))
			if err != nil {
				t.Fatal(err)
			}
			ok, reason := c.Evaluate(context.Background(), event)
			if ok != tt.wantOK || reason != tt.wantReason {
				t.Errorf("got %v %q\nwant %v %q", ok, reason, tt.wantOK, tt.wantReason)
			}
		})
	}
}

func TestConditionCanceled(t *testing.T) {
	t.Parallel()
	c, err := ConditionSpec{Type: "JQ", Expressions: []string{"true"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, reason := c.Evaluate(ctx, nil); ok || !strings.Contains(reason, "context canceled") {
		t.Errorf("got %v %q", ok, reason)
	}
}

func TestCompileConditionErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`{"type":"JQ","expressions":["true", ".a |"]}`:      `expressions[1]: jq expression ".a |" does not compile: unexpected EOF`,
		`{"type":"JQ","expressions":["nope"]}`:              `expressions[0]: jq expression "nope" does not compile: function not defined: nope/0`,
		`{"type":"SQL","expressions":[]}`:                   `condition: type: must be "JQ", not "SQL"`,
		`{"type":"JQ","expressions":[],"combinator":"xor"}`: `condition: combinator: must be "and" or "or", not "xor"`,
		`{"type":"JQ","expressions":"true"}`:                `condition: json: cannot unmarshal`,
	}
	for spec, want := range tests {
		_, err := CompileCondition([]byte(spec))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", spec, err, want)
		}
	}
	_, err := CompileCondition([]byte(`{"type":"JQ","expressions":["true", ".a |"]}`))
	var xe *ExprError
	if !errors.As(err, &xe) || xe.Pointer != "/expressions/1" {
		t.Errorf("got %#v", err)
	}
}

// TestConditionOnDataField runs a condition on the event of prepared trigger
// data, as the engine does.
func TestConditionOnDataField(t *testing.T) {
	t.Parallel()
	f := loadNotify(t)
	c, err := CompileCondition([]byte(`{"type":"JQ","expressions":[".diff.after.status == \"SUCCESS\"", ".diff.before.status != .diff.after.status"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if ok, reason := c.Evaluate(context.Background(), f.data.Field("event")); !ok {
		t.Errorf("did not pass: %s", reason)
	}
	if ok, _ := c.Evaluate(context.Background(), f.data.Field("nope")); ok {
		t.Error("passed on null")
	}
}
