package catalog_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

func mustBlueprint(t testing.TB, raw string) *berth.Blueprint {
	t.Helper()
	bp, err := catalog.DecodeBlueprint([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return bp
}

func TestPatchBlueprint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		patch string
		check func(t *testing.T, bp *berth.Blueprint)
	}{
		{"title replaced, rest kept", `{"title":"Services"}`, func(t *testing.T, bp *berth.Blueprint) {
			if bp.Title != "Services" || len(bp.Schema.Properties) != 7 || bp.Relations["domain"].Target != "domain" {
				t.Errorf("got %+v", bp)
			}
		}},
		{"properties merged key-wise", `{"schema":{"properties":{"owner":{"type":"string","format":"email"},"tags":null}}}`,
			func(t *testing.T, bp *berth.Blueprint) {
				if bp.Schema.Properties["owner"].Format() != "email" {
					t.Error("owner not added")
				}
				if _, ok := bp.Schema.Properties["tags"]; ok {
					t.Error("tags not removed")
				}
				if _, ok := bp.Schema.Properties["language"]; !ok || !slices.Equal(bp.Schema.Required, []string{"language"}) {
					t.Errorf("language or required lost: %v", bp.Schema.Required)
				}
			}},
		{"property definition replaced whole", `{"schema":{"properties":{"replicas":{"type":"number"}}}}`,
			func(t *testing.T, bp *berth.Blueprint) {
				if _, ok := bp.Schema.Properties["replicas"]["default"]; ok {
					t.Errorf("replicas = %v, want the patch's definition only", bp.Schema.Properties["replicas"])
				}
			}},
		{"required replaced", `{"schema":{"required":["repo"]}}`, func(t *testing.T, bp *berth.Blueprint) {
			if !slices.Equal(bp.Schema.Required, []string{"repo"}) {
				t.Errorf("required = %v", bp.Schema.Required)
			}
		}},
		{"relations merged", `{"relations":{"owner":{"target":"service","many":true}}}`, func(t *testing.T, bp *berth.Blueprint) {
			if len(bp.Relations) != 2 || !bp.Relations["owner"].Many {
				t.Errorf("relations = %+v", bp.Relations)
			}
		}},
		{"relation removed, mirror through it too", `{"relations":{"domain":null},"mirrorProperties":{"domain_owner":null}}`,
			func(t *testing.T, bp *berth.Blueprint) {
				if len(bp.Relations) != 0 || len(bp.MirrorProperties) != 0 {
					t.Errorf("relations = %v, mirrors = %v", bp.Relations, bp.MirrorProperties)
				}
			}},
		{"optional field cleared", `{"description":null,"ownership":null}`, func(t *testing.T, bp *berth.Blueprint) {
			if bp.Description != nil || bp.Ownership != nil {
				t.Errorf("description = %v, ownership = %s", bp.Description, bp.Ownership)
			}
		}},
		{"calculations merged", `{"calculationProperties":{"n":{"type":"number","calculation":"1"}}}`, func(t *testing.T, bp *berth.Blueprint) {
			if len(bp.CalculationProperties) != 2 {
				t.Errorf("calculations = %v", bp.CalculationProperties)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			existing := mustBlueprint(t, specBlueprint)
			existing.Meta = berth.Meta{CreatedAt: "2024-01-01T00:00:00.000Z", CreatedBy: "me"}
			before, _ := json.Marshal(existing)
			bp, err := catalog.PatchBlueprint(existing, []byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, bp)
			if bp.Meta != existing.Meta {
				t.Errorf("meta = %+v, want the existing one", bp.Meta)
			}
			if after, _ := json.Marshal(existing); string(after) != string(before) {
				t.Error("PatchBlueprint modified the existing blueprint")
			}
		})
	}
}

func TestPatchBlueprintProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		patch string
		want  map[string]string
	}{
		{"type is immutable", `{"schema":{"properties":{"replicas":{"type":"string"}}}}`,
			map[string]string{"/schema/properties/replicas/type": "cannot be changed"}},
		{"identifier is immutable", `{"identifier":"svc"}`, map[string]string{"/identifier": "cannot be changed"}},
		{"title cannot be removed", `{"title":null}`, map[string]string{"/title": "is required"}},
		{"required names a removed property", `{"schema":{"properties":{"language":null}}}`,
			map[string]string{"/schema/required/0": `"language"`}},
		{"mirror left without its relation", `{"relations":{"domain":null}}`,
			map[string]string{"/mirrorProperties/domain_owner/path": `"domain" is not one`}},
		{"bad property in patch", `{"schema":{"properties":{"x":{"type":"string","minimum":1}}}}`,
			map[string]string{"/schema/properties/x/minimum": "number properties only"}},
		{"unknown field", `{"colour":"red"}`, map[string]string{"/colour": "is not a blueprint field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := catalog.PatchBlueprint(mustBlueprint(t, specBlueprint), []byte(tt.patch))
			wantFields(t, err, tt.want)
		})
	}
	_, err := catalog.PatchBlueprint(mustBlueprint(t, specBlueprint), []byte(`{"title":`))
	fieldErrors(t, err, berth.CodeInvalid)
}

func TestCheckBlueprintUpdate(t *testing.T) {
	t.Parallel()
	old := mustBlueprint(t, specBlueprint)
	changed := mustBlueprint(t, strings.Replace(specBlueprint, `"locked": { "type": "boolean", "default": false }`, `"locked": { "type": "string" }`, 1))
	wantFields(t, catalog.CheckBlueprintUpdate(old, changed), map[string]string{"/schema/properties/locked/type": `from "boolean" to "string"`})

	readded := mustBlueprint(t, strings.Replace(specBlueprint, `"locked": { "type": "boolean", "default": false }`,
		`"unlocked": { "type": "boolean" }`, 1))
	if err := catalog.CheckBlueprintUpdate(old, readded); err != nil {
		t.Errorf("removing and adding properties is allowed: %v", err)
	}
}

func TestSystemBlueprints(t *testing.T) {
	t.Parallel()
	bps := catalog.SystemBlueprints()
	if len(bps) != 2 || bps[0].Identifier != catalog.UserBlueprint || bps[1].Identifier != catalog.TeamBlueprint {
		t.Fatalf("got %v", bps)
	}
	for _, id := range []string{"status", "port_role", "port_type", "moderated_blueprints"} {
		if _, ok := bps[0].Schema.Properties[id]; !ok {
			t.Errorf("_user lacks %s", id)
		}
	}
	for _, id := range []string{"description", "size"} {
		if _, ok := bps[1].Schema.Properties[id]; !ok {
			t.Errorf("_team lacks %s", id)
		}
	}
	if !catalog.IsSystemBlueprint("_team") || catalog.IsSystemBlueprint("service") {
		t.Error("IsSystemBlueprint")
	}
	// Fresh copies: changing one does not change the next.
	delete(bps[0].Schema.Properties, "status")
	if _, ok := catalog.SystemBlueprints()[0].Schema.Properties["status"]; !ok {
		t.Error("SystemBlueprints shares state between calls")
	}
}

func TestSystemBlueprintBuiltinsAreFixed(t *testing.T) {
	t.Parallel()
	user := catalog.SystemBlueprints()[0]
	added, err := catalog.PatchBlueprint(user, []byte(`{"schema":{"properties":{"slack":{"type":"string"}}},"relations":{"manager":{"target":"_user"}}}`))
	if err != nil {
		t.Fatalf("adding to _user should be allowed: %v", err)
	}
	if len(added.Schema.Properties) != 5 {
		t.Errorf("properties = %v", added.Schema.Properties)
	}
	_, err = catalog.PatchBlueprint(user, []byte(`{"schema":{"properties":{"status":null,"port_role":{"type":"string","enum":["Admin","Member"]}}}}`))
	wantFields(t, err, map[string]string{
		"/schema/properties/status":    "built-in property of _user",
		"/schema/properties/port_role": "built-in property of _user",
	})
}
