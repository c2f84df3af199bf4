package catalog_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

var searchNow = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

func searchEntity() *berth.Entity {
	return &berth.Entity{
		Identifier: "svc-payments", Title: ptrTo("Payments API"), Blueprint: "service",
		Team: []string{"platform", "sre"},
		Properties: map[string]any{
			"language": "Go", "replicas": 3.0, "tags": []any{"prod", "critical"},
			"deployedAt": "2024-06-15T08:00:00Z", "expiredTtl": "2024-06-15T11:59:59+00:00",
			"futureTtl": "2024-06-15T14:00:00+02:00", "laterTtl": "2024-06-16T00:00:00Z",
			"empty": "", "none": nil, "config": map[string]any{},
		},
		Relations: map[string]any{"domain": "payments", "dependsOn": []any{"svc-auth", "svc-db"}, "lead": nil},
		Meta:      berth.Meta{CreatedAt: "2024-06-01T00:00:00.000Z", CreatedBy: "auth0|1"},
	}
}

func searchBlueprint(t testing.TB) *berth.Blueprint {
	return mustBlueprint(t, `{"identifier":"service","title":"Service","schema":{"properties":{}},"relations":{
		"domain":{"target":"domain","required":true},"dependsOn":{"target":"service","many":true},"lead":{"target":"_user"}}}`)
}

func rule(prop, op string, value any) string {
	r := map[string]any{"property": prop, "operator": op}
	if value != nil {
		r["value"] = value
	}
	b, _ := json.Marshal(map[string]any{"combinator": "and", "rules": []any{r}})
	return string(b)
}

func TestQueryMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		want  bool
	}{
		{rule("$identifier", "=", "svc-payments"), true},
		{rule("$identifier", "!=", "svc-payments"), false},
		{rule("$title", "contains", "API"), true},
		{rule("$title", "contains", "api"), false},
		{rule("$title", "doesNotContains", "api"), true},
		{rule("$blueprint", "=", "service"), true},
		{rule("$icon", "isEmpty", nil), true},
		{rule("$createdBy", "=", "auth0|1"), true},
		{rule("$updatedAt", "isEmpty", nil), true},
		{rule("$createdAt", "<", "2024-06-02"), true},
		{rule("$team", "in", []any{"sre", "x"}), true},
		{rule("$team", "notIn", []any{"x"}), true},
		{rule("$team", "containsAny", []any{"sre"}), true},
		{rule("language", "=", "Go"), true},
		{rule("language", "in", []any{"Python", "Go"}), true},
		{rule("language", "notIn", []any{"Go"}), false},
		{rule("language", "beginsWith", "G"), true},
		{rule("language", "doesNotBeginsWith", "G"), false},
		{rule("language", "endsWith", "o"), true},
		{rule("language", "doesNotEndsWith", "x"), true},
		{rule("language", "containsAny", []any{"x", "o"}), true},
		{rule("missing", "!=", "Go"), true},
		{rule("replicas", "=", 3), true},
		{rule("replicas", ">", 2), true},
		{rule("replicas", ">=", 3), true},
		{rule("replicas", "<", 3), false},
		{rule("replicas", "<=", 3), true},
		{rule("replicas", ">", "2024-01-01"), false},
		{rule("language", ">", 1), false},
		{rule("tags", "=", []any{"prod", "critical"}), true},
		{rule("tags", "contains", "crit"), true},
		{rule("tags", "containsAny", []any{"critical", "x"}), true},
		{rule("tags", "in", []any{"prod"}), true},
		{rule("deployedAt", ">", "2024-06-15T07:59:59Z"), true},
		{rule("deployedAt", "<=", "2024-06-15T10:00:00+02:00"), true},
		{rule("deployedAt", "between", map[string]any{"from": "2024-06-15T00:00:00Z", "to": "2024-06-15T08:00:00Z"}), true},
		{rule("deployedAt", "notBetween", map[string]any{"from": "2024-06-01T00:00:00Z", "to": "2024-06-02T00:00:00Z"}), true},
		{rule("deployedAt", "=", map[string]any{"preset": "today"}), true},
		{rule("deployedAt", "between", map[string]any{"preset": "yesterday"}), false},
		{rule("deployedAt", "between", map[string]any{"preset": "lastDay"}), true},
		{rule("laterTtl", "between", map[string]any{"preset": "tomorrow"}), true},
		{rule("laterTtl", "between", map[string]any{"preset": "last12Months"}), false},
		{rule("expiredTtl", "isExpired", nil), true},
		{rule("futureTtl", "isExpired", nil), true}, // 14:00+02:00 is 12:00Z: expired exactly now
		{rule("laterTtl", "isExpired", nil), false},
		{rule("laterTtl", "isNotExpired", nil), true},
		{rule("none", "isNotExpired", nil), true},
		{rule("empty", "isEmpty", nil), true},
		{rule("none", "isEmpty", nil), true},
		{rule("missing", "isEmpty", nil), true},
		{rule("config", "isEmpty", nil), true},
		{rule("tags", "isNotEmpty", nil), true},
		{`{"combinator":"and","rules":[]}`, true},
		{`{"combinator":"or","rules":[]}`, false},
		{`{"combinator":"or","rules":[` + ruleJSON("language", "=", "Rust") + `,` + ruleJSON("replicas", "=", 3) + `]}`, true},
		{`{"combinator":"and","rules":[` + ruleJSON("language", "=", "Go") + `,{"combinator":"or","rules":[` +
			ruleJSON("replicas", ">", 5) + `,` + ruleJSON("$team", "in", []any{"nobody"}) + `]}]}`, false},
		{`{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"domain","value":"payments"}]}`, true},
		{`{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"domain","value":["x","payments"],"direction":"downstream"}]}`, true},
		{`{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"domain","value":"payments","required":false}]}`, false},
		{`{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"service","value":"svc-db"}]}`, true},
		{`{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"service","value":"payments"}]}`, false},
	}
	bp := searchBlueprint(t)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			q, err := catalog.ParseQuery([]byte(tt.query))
			if err != nil {
				if tt.want {
					t.Fatal(err)
				}
				return
			}
			if got := q.Match(searchEntity(), bp, searchNow); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func ruleJSON(prop, op string, value any) string {
	b, _ := json.Marshal(map[string]any{"property": prop, "operator": op, "value": value})
	return string(b)
}

func TestQueryRelatedToNeedsBlueprint(t *testing.T) {
	t.Parallel()
	q, err := catalog.ParseQuery([]byte(`{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"domain","value":"payments"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Match(searchEntity(), nil, searchNow) {
		t.Error("relatedTo matched without a blueprint")
	}
}

func TestParseQueryProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		want  map[string]string
	}{
		{"combinator", `{"combinator":"xor","rules":[]}`, map[string]string{"/combinator": `"and" or "or"`}},
		{"rules", `{"combinator":"and"}`, map[string]string{"/rules": "is required"}},
		{"unknown query field", `{"combinator":"and","rules":[],"limit":5}`, map[string]string{"/limit": "is not a query field"}},
		{"rule not object", `{"combinator":"and","rules":[3]}`, map[string]string{"/rules/0": "must be a rule"}},
		{"operator", `{"combinator":"and","rules":[{"property":"a","operator":"=","value":1},{"property":"a","operator":"like","value":"x"}]}`,
			map[string]string{"/rules/1/operator": `"like" is not a search operator`}},
		{"unsupported operator", `{"combinator":"and","rules":[{"property":"a","operator":"matchAny","value":[]}]}`,
			map[string]string{"/rules/0/operator": "not supported by berth"}},
		{"missing operator", `{"combinator":"and","rules":[{"property":"a","value":1}]}`, map[string]string{"/rules/0/operator": "is required"}},
		{"missing property", `{"combinator":"and","rules":[{"operator":"=","value":1}]}`, map[string]string{"/rules/0/property": "is required"}},
		{"meta property", `{"combinator":"and","rules":[{"property":"$name","operator":"=","value":1}]}`,
			map[string]string{"/rules/0/property": "not a meta property"}},
		{"property id", `{"combinator":"and","rules":[{"property":"a b","operator":"=","value":1}]}`,
			map[string]string{"/rules/0/property": "not a property identifier"}},
		{"property object", `{"combinator":"and","rules":[{"property":{"path":["a"]},"operator":"matchAny","value":[]}]}`,
			map[string]string{"/rules/0/property": "not supported", "/rules/0/operator": "not supported"}},
		{"context", `{"combinator":"and","rules":[{"property":"$team","operator":"in","value":"x","context":"user"}]}`,
			map[string]string{"/rules/0/context": "is not a rule field", "/rules/0/value": "array"}},
		{"propertySchema", `{"combinator":"and","rules":[{"propertySchema":{"type":"string"},"operator":"=","value":"x"}]}`,
			map[string]string{"/rules/0/propertySchema": "not supported"}},
		{"jqQuery", `{"combinator":"and","rules":[{"property":"a","operator":"=","value":{"jqQuery":".user"}}]}`,
			map[string]string{"/rules/0/value": "jqQuery"}},
		{"equal without value", `{"combinator":"and","rules":[{"property":"a","operator":"="}]}`, map[string]string{"/rules/0/value": "is required"}},
		{"text value", `{"combinator":"and","rules":[{"property":"a","operator":"contains","value":1}]}`, map[string]string{"/rules/0/value": "must be a string"}},
		{"containsAny value", `{"combinator":"and","rules":[{"property":"a","operator":"containsAny","value":["x",2]}]}`,
			map[string]string{"/rules/0/value/1": "must be a string"}},
		{"compare value", `{"combinator":"and","rules":[{"property":"a","operator":">","value":"soon"}]}`,
			map[string]string{"/rules/0/value": "number or a date-time"}},
		{"range", `{"combinator":"and","rules":[{"property":"a","operator":"between","value":{"from":"2024-01-01","to":"x"}}]}`,
			map[string]string{"/rules/0/value/to": "date-time"}},
		{"range shape", `{"combinator":"and","rules":[{"property":"a","operator":"between","value":"today"}]}`,
			map[string]string{"/rules/0/value": `{"preset": name}`}},
		{"preset", `{"combinator":"and","rules":[{"property":"a","operator":"between","value":{"preset":"lastYear"}}]}`,
			map[string]string{"/rules/0/value/preset": "must be one of"}},
		{"relatedTo", `{"combinator":"and","rules":[{"operator":"relatedTo","value":[],"direction":"sideways","required":"yes","property":"x"}]}`,
			map[string]string{"/rules/0/blueprint": "is required", "/rules/0/value": "non-empty", "/rules/0/direction": "upstream",
				"/rules/0/required": "true or false", "/rules/0/property": "not property"}},
		{"relatedTo upstream", `{"combinator":"and","rules":[{"operator":"relatedTo","blueprint":"a","value":"b","direction":"upstream"}]}`,
			map[string]string{"/rules/0/direction": "not supported"}},
		{"nested", `{"combinator":"and","rules":[{"combinator":"or","rules":[{"property":"a","operator":"=","value":1},{"property":"a","operator":"~"}]}]}`,
			map[string]string{"/rules/0/rules/1/operator": "not a search operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := catalog.ParseQuery([]byte(tt.query))
			if q != nil {
				t.Error("got a query with an error")
			}
			wantFields(t, err, tt.want)
		})
	}
}

func TestParseQueryLimits(t *testing.T) {
	t.Parallel()
	_, err := catalog.ParseQuery([]byte(`{"combinator":`))
	fieldErrors(t, err, berth.CodeInvalid)
	_, err = catalog.ParseQuery([]byte(`[]`))
	fieldErrors(t, err, berth.CodeUnprocessable)

	deep := `{"combinator":"and","rules":[]}`
	for range catalog.MaxQueryDepth {
		deep = `{"combinator":"and","rules":[` + deep + `]}`
	}
	_, err = catalog.ParseQuery([]byte(deep))
	got := fieldErrors(t, err, berth.CodeUnprocessable)
	if len(got) != 1 {
		t.Errorf("problems = %v, want one about depth", got)
	}
}

func TestQueryBlueprints(t *testing.T) {
	t.Parallel()
	bpRule := func(op string, v any) string { return ruleJSON("$blueprint", op, v) }
	tests := []struct {
		query string
		want  []string
	}{
		{`{"combinator":"and","rules":[]}`, nil},
		{`{"combinator":"and","rules":[` + bpRule("=", "service") + `]}`, []string{"service"}},
		{`{"combinator":"and","rules":[` + bpRule("in", []any{"b", "a", "b"}) + `,` + ruleJSON("x", "=", 1) + `]}`, []string{"a", "b"}},
		{`{"combinator":"and","rules":[` + bpRule("in", []any{"a", "b"}) + `,` + bpRule("in", []any{"b", "c"}) + `]}`, []string{"b"}},
		{`{"combinator":"or","rules":[` + bpRule("=", "a") + `,` + bpRule("=", "b") + `]}`, []string{"a", "b"}},
		{`{"combinator":"or","rules":[` + bpRule("=", "a") + `,` + ruleJSON("x", "=", 1) + `]}`, nil},
		{`{"combinator":"and","rules":[` + bpRule("!=", "a") + `]}`, nil},
		{`{"combinator":"and","rules":[` + bpRule("notIn", []any{"a"}) + `]}`, nil},
		{`{"combinator":"and","rules":[` + ruleJSON("x", "=", 1) + `,{"combinator":"or","rules":[` + bpRule("=", "a") + `,` + bpRule("=", "b") + `]}]}`, []string{"a", "b"}},
	}
	for _, tt := range tests {
		q, err := catalog.ParseQuery([]byte(tt.query))
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Blueprints(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Blueprints() = %v, want %v", tt.query, got, tt.want)
		}
	}
}
