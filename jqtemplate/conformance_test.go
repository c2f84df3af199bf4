package jqtemplate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// casesFile is Port's reference test vectors, shared by the berth repository
// and its neighbour folder shared/ (see shared/conformance/templates/README.md).
const casesFile = "../../shared/conformance/templates/template_cases.json"

// knownDifferences lists the conformance cases berth does not pass, each with
// the reason, forced by the jq engine. TestKnownDifferencesStillDiffer keeps
// the list honest: a listed case that starts passing fails that test.
var knownDifferences = map[string]string{}

type conformanceCase struct {
	Name        string          `json:"name"`
	JSON        json.RawMessage `json:"json"`
	Template    json.RawMessage `json:"template"`
	Expect      json.RawMessage `json:"expect"`
	ExpectError *string         `json:"expectError"`
	Options     struct {
		ThrowOnError bool `json:"throwOnError"`
	} `json:"options"`
}

func loadCases(t *testing.T) []conformanceCase {
	t.Helper()
	raw, err := os.ReadFile(casesFile)
	if err != nil {
		t.Fatalf("conformance cases are required: %v", err)
	}
	var file struct{ Cases []conformanceCase }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no conformance cases")
	}
	return file.Cases
}

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, c := range loadCases(t) {
		if _, known := knownDifferences[c.Name]; known {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			if err := runCase(c); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestKnownDifferencesStillDiffer(t *testing.T) {
	t.Parallel()
	if len(knownDifferences) > 5 {
		t.Errorf("%d known differences, at most 5 allowed", len(knownDifferences))
	}
	byName := map[string]conformanceCase{}
	for _, c := range loadCases(t) {
		byName[c.Name] = c
	}
	for name, reason := range knownDifferences {
		c, ok := byName[name]
		if !ok {
			t.Errorf("known difference %q is not a conformance case", name)
			continue
		}
		if runCase(c) == nil {
			t.Errorf("case %q passes now; remove it from knownDifferences (%s)", name, reason)
		}
	}
}

// runCase renders one case and returns how it differs from the reference.
func runCase(c conformanceCase) error {
	tree, err := decodeOrdered(c.Template)
	if err != nil {
		return err
	}
	data, err := ParseData(c.JSON)
	if err != nil {
		return err
	}
	tmpl, err := compileValue(withUndefined(tree))
	var res Result
	if err == nil {
		res, err = tmpl.Render(context.Background(), data, Options{Strict: c.Options.ThrowOnError})
	}
	if c.ExpectError != nil {
		return checkError(c, err)
	}
	if err != nil {
		return fmt.Errorf("unexpected error: %v", err)
	}
	want, err := decodeOrdered(c.Expect)
	if err != nil {
		return err
	}
	if want = withUndefined(want); !equalValues(res.Value, want) {
		return fmt.Errorf("got %s, want %s", debugString(res.Value), debugString(want))
	}
	return nil
}

// checkError compares a rendering error with the reference's. Errors of the
// template layer must read exactly the same; jq errors only need to be jq
// errors of a case run with throwOnError, because gojq words them its own way.
func checkError(c conformanceCase, err error) error {
	want := *c.ExpectError
	var te *TemplateError
	var xe *ExprError
	switch {
	case err == nil:
		return fmt.Errorf("no error, want %q", want)
	case errors.As(err, &te):
		if te.Msg != want {
			return fmt.Errorf("error %q, want %q", te.Msg, want)
		}
	case errors.As(err, &xe):
		if !c.Options.ThrowOnError || isTemplateMessage(want) {
			return fmt.Errorf("jq error %v, want %q", err, want)
		}
	default:
		return fmt.Errorf("error %v, want %q", err, want)
	}
	return nil
}

func isTemplateMessage(msg string) bool {
	for _, p := range []string{"Found ", "Evaluated ", "Cannot convert "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// withUndefined replaces the cases' {"$undefined": true} by Undefined.
func withUndefined(v any) any {
	switch v := v.(type) {
	case *Object:
		if x, _ := v.Get("$undefined"); v.Len() == 1 && x == true {
			return Undefined{}
		}
		for i := range v.members {
			v.members[i].val = withUndefined(v.members[i].val)
		}
	case []any:
		for i := range v {
			v[i] = withUndefined(v[i])
		}
	}
	return v
}

// equalValues compares rendered values, object key order included.
func equalValues(a, b any) bool {
	switch a := a.(type) {
	case *Object:
		b, ok := b.(*Object)
		if !ok || a.Len() != b.Len() {
			return false
		}
		for i, m := range a.members {
			if b.members[i].key != m.key || !equalValues(m.val, b.members[i].val) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equalValues(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func debugString(v any) string {
	if v == (Undefined{}) {
		return "undefined"
	}
	b, err := Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
