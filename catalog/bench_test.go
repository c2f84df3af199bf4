package catalog_test

import (
	"testing"

	"github.com/berthdev/berth/catalog"
)

// BenchmarkValidate measures validating one valid entity against a compiled
// blueprint with every kind of property check.
func BenchmarkValidate(b *testing.B) {
	_, s := compile(b, richBlueprint)
	e := validEntity()
	delete(e.Properties, "owner") // email parsing allocates; measure the rest
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch measures matching one entity against a typical query.
func BenchmarkMatch(b *testing.B) {
	q, err := catalog.ParseQuery([]byte(`{"combinator":"and","rules":[
		{"property":"$blueprint","operator":"=","value":"service"},
		{"property":"$team","operator":"in","value":["sre"]},
		{"combinator":"or","rules":[
			{"property":"replicas","operator":">","value":2},
			{"property":"deployedAt","operator":"between","value":{"preset":"lastWeek"}}]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	bp, e := searchBlueprint(b), searchEntity()
	b.ReportAllocs()
	for b.Loop() {
		if !q.Match(e, bp, searchNow) {
			b.Fatal("no match")
		}
	}
}
