package console

import (
	"bytes"
	"strings"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/service"
)

// The runs list and a run's page say which of its references were deleted,
// and link to no action that is gone.
func TestPagesShowDeletedReferences(t *testing.T) {
	t.Parallel()
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	run := &berth.Run{ID: "r_1", Status: berth.RunFailure, Action: berth.Ref{Identifier: "failer", Deleted: true},
		Blueprint: &berth.Ref{Identifier: "service"}, Entity: &berth.Ref{Identifier: "hooked", Deleted: true}}
	kept := &berth.Run{ID: "r_2", Status: berth.RunSuccess, Action: berth.Ref{Identifier: "keeper"},
		Blueprint: &berth.Ref{Identifier: "service"}, Entity: &berth.Ref{Identifier: "kept"}}
	for name, data := range map[string]any{
		"runs": &runsView{base: base{Title: "Runs"}, Runs: []*berth.Run{run, kept}},
		"run":  &runView{base: base{Title: "Run r_1"}, Run: &service.RunView{Run: run}},
	} {
		var buf bytes.Buffer
		if err := p[name].ExecuteTemplate(&buf, "layout", data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		html := buf.String()
		for _, want := range []string{"failer (deleted)", "hooked (deleted)"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s page lacks %q", name, want)
			}
		}
		if strings.Contains(html, `href="/actions/failer"`) || strings.Contains(html, "keeper (deleted)") || strings.Contains(html, "kept (deleted)") {
			t.Errorf("%s page links to the deleted action or marks what exists as deleted:\n%s", name, html)
		}
	}
}
