package catalog_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

// checkClientError fails unless err is nil or a 400/422 *berth.Error, a 422
// naming at least one field.
func checkClientError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *berth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, want *berth.Error", err, err)
	}
	switch e.Code {
	case berth.CodeInvalid:
	case berth.CodeUnprocessable:
		if len(e.Fields) == 0 {
			t.Fatalf("422 without fields: %v", err)
		}
	default:
		t.Fatalf("code %s for a client mistake: %v", e.Code, err)
	}
}

func FuzzDecodeEntity(f *testing.F) {
	f.Add([]byte(specEntity), "service")
	f.Add([]byte(`{"identifier":"a","team":"t","relations":{"r":["x",null]},"properties":{"n":1e308}}`), "svc")
	f.Add([]byte(`{"identifier":"..","blueprint":null,"title":null}`), "")
	f.Fuzz(func(t *testing.T, raw []byte, blueprint string) {
		e, err := catalog.DecodeEntity(raw, blueprint)
		checkClientError(t, err)
		p, perr := catalog.DecodeEntityPatch(raw, blueprint)
		checkClientError(t, perr)
		if (err == nil) != (perr == nil) {
			t.Fatalf("DecodeEntity and DecodeEntityPatch disagree: %v / %v", err, perr)
		}
		if err != nil {
			return
		}
		p.Apply(nil)
		p.Apply(e)
		if catalog.ValidateBlueprintIdentifier(blueprint) != nil {
			return // the caller passes the identifier of an existing blueprint
		}
		// What the store writes back must decode to the same entity.
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := catalog.DecodeEntity(out, blueprint)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("round trip changed the entity:\n%+v\n%+v", e, again)
		}
	})
}

func FuzzDecodeBlueprint(f *testing.F) {
	f.Add([]byte(specBlueprint))
	f.Add([]byte(richBlueprint))
	f.Add([]byte(`{"identifier":"a","title":"A","schema":{"properties":{"x":{"type":"array","items":{"type":"array","items":{"type":"number","enum":[1]}}}}}}`))
	f.Add([]byte(`{"identifier":"a","title":"A","schema":{"properties":{"p":{"type":"string","pattern":"[","default":"x"}}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		bp, err := catalog.DecodeBlueprint(raw)
		checkClientError(t, err)
		if err != nil {
			return
		}
		if _, err := catalog.CompileEntitySchema(bp); err != nil {
			t.Fatalf("a decoded blueprint does not compile: %v", err)
		}
		out, err := json.Marshal(bp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.DecodeBlueprint(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if _, err := catalog.PatchBlueprint(bp, []byte(`{}`)); err != nil {
			t.Fatalf("empty patch refused: %v", err)
		}
		if err := catalog.CheckBlueprintUpdate(bp, bp); err != nil {
			t.Fatalf("a blueprint cannot replace itself: %v", err)
		}
	})
}

func FuzzValidateEntity(f *testing.F) {
	f.Add([]byte(richBlueprint), []byte(specEntity))
	f.Add([]byte(specBlueprint), []byte(`{"identifier":"x","properties":{"language":"Go","tags":["a",1],"ttl":"2024-01-01T00:00:00Z"},"relations":{"domain":["a"]}}`))
	f.Add([]byte(`{"identifier":"m","title":"M","schema":{"properties":{"grid":{"type":"array","items":{"type":"array","items":{"type":"number","maximum":1}}}}}}`),
		[]byte(`{"identifier":"g","properties":{"grid":[[0,2],null,[1,"x"]]}}`))
	f.Fuzz(func(t *testing.T, bpRaw, entityRaw []byte) {
		bp, err := catalog.DecodeBlueprint(bpRaw)
		if err != nil {
			return
		}
		s, err := catalog.CompileEntitySchema(bp)
		if err != nil {
			t.Fatalf("a decoded blueprint does not compile: %v", err)
		}
		e, err := catalog.DecodeEntity(entityRaw, bp.Identifier)
		if err != nil {
			return
		}
		catalog.ApplyDefaults(bp, e)
		checkClientError(t, s.Validate(e))
		catalog.RelationTargets(bp, e)
		catalog.TimerExpiries(bp, e)
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add([]byte(rule("replicas", ">", 2)), []byte(specEntity))
	f.Add([]byte(rule("deployedAt", "between", map[string]any{"preset": "today"})), []byte(`{"properties":{"deployedAt":"2024-01-01"}}`))
	f.Add([]byte(`{"combinator":"or","rules":[{"operator":"relatedTo","blueprint":"domain","value":["a"]},`+
		`{"combinator":"and","rules":[{"property":"$team","operator":"containsAny","value":["x"]}]}]}`), []byte(`{"team":["x"]}`))
	bp := searchBlueprint(f)
	f.Fuzz(func(t *testing.T, raw, entityRaw []byte) {
		q, err := catalog.ParseQuery(raw)
		checkClientError(t, err)
		if err != nil {
			return
		}
		q.Blueprints()
		e, err := catalog.DecodeEntity(entityRaw, "service")
		if err != nil {
			e = searchEntity()
		}
		q.Match(e, bp, time.Unix(1718452800, 0))
		q.Match(e, nil, time.Time{})
	})
}
