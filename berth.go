// Package berth holds the domain of the berth engine: the catalog (blueprints
// and entities), the change events it records, and the error type every layer
// returns. It imports nothing heavy; adapters (store, api, backends) import it.
//
// The flow of the engine is
//
//	entity or run change → event (change log) → automation match (conditions)
//	→ run (+ delivery job) → backend delivery → run status → run event
//
// and each step lives in a package named for it; see ARCHITECTURE.md.
package berth

import (
	"encoding/json"
	"maps"
	"time"
)

// TimeFormat is how berth writes every timestamp: UTC with milliseconds, as
// Port does ("2024-06-09T09:57:52.931Z"). Strings in this format sort in time
// order.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime formats t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Blueprint is a typed schema for a kind of catalog entity (spec 10.1).
// Mirror, calculation and aggregation definitions are kept as raw JSON and
// returned as stored; properties and relations are Go maps, so they come
// back with their keys sorted.
type Blueprint struct {
	Identifier            string                     `json:"identifier"`
	Title                 string                     `json:"title"`
	Description           *string                    `json:"description,omitempty"`
	Icon                  *string                    `json:"icon,omitempty"`
	Schema                BlueprintSchema            `json:"schema"`
	MirrorProperties      map[string]json.RawMessage `json:"mirrorProperties"`
	CalculationProperties map[string]json.RawMessage `json:"calculationProperties"`
	AggregationProperties map[string]json.RawMessage `json:"aggregationProperties"`
	Relations             map[string]Relation        `json:"relations"`
	Ownership             json.RawMessage            `json:"ownership,omitempty"`
	ChangelogDestination  json.RawMessage            `json:"changelogDestination,omitempty"`
	Meta
}

// BlueprintSchema lists a blueprint's properties and which are required.
type BlueprintSchema struct {
	Properties map[string]Property `json:"properties"`
	Required   []string            `json:"required"`
}

// Property is one property definition of a blueprint schema: a JSON Schema
// subset (type, format, enum, default, items, min/max, pattern, ...) plus
// Port's display keys. It is kept as decoded JSON so unknown display keys
// round-trip.
type Property map[string]any

// Type returns the property's JSON type ("string", "number", ...).
func (p Property) Type() string { s, _ := p["type"].(string); return s }

// Format returns the property's format ("timer", "url", ...), or "".
func (p Property) Format() string { s, _ := p["format"].(string); return s }

// Relation is a link from a blueprint to another blueprint (spec 10.1).
type Relation struct {
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
	Target      string  `json:"target"`
	Required    bool    `json:"required"`
	Many        bool    `json:"many"`
}

// Meta are the read-only bookkeeping fields of stored objects.
type Meta struct {
	CreatedAt string `json:"createdAt,omitempty"`
	CreatedBy string `json:"createdBy,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
	UpdatedBy string `json:"updatedBy,omitempty"`
}

// Entity is an instance of a blueprint (spec 10.2).
type Entity struct {
	Identifier string         `json:"identifier"`
	Title      *string        `json:"title"`
	Icon       *string        `json:"icon"`
	Blueprint  string         `json:"blueprint"`
	Team       []string       `json:"team"`
	Properties map[string]any `json:"properties"`
	Relations  map[string]any `json:"relations"`
	Meta
}

// WithOwnProperties returns a shallow copy of e whose properties map (never
// nil) is its own: computed properties can be set on it without touching
// e, which may be shared or stored.
func (e *Entity) WithOwnProperties() *Entity {
	out := *e
	out.Properties = make(map[string]any, len(e.Properties)+4)
	maps.Copy(out.Properties, e.Properties)
	return &out
}

// SameContent reports whether a and b differ in nothing but their Meta
// fields: an update that changes nothing else records no event (spec 2.4).
func SameContent(a, b *Entity) bool {
	x, y := *a, *b
	x.Meta, y.Meta = Meta{}, Meta{}
	bx, err1 := json.Marshal(x)
	by, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && string(bx) == string(by)
}

// Origins of a change (trigger.origin).
const (
	OriginUI         = "UI"
	OriginAPI        = "API"
	OriginAutomation = "AUTOMATION"
)

// Actor identifies who made a change (trigger.by).
type Actor struct {
	OrgID  string `json:"orgId"`
	UserID string `json:"userId,omitempty"`
	User   *User  `json:"user,omitempty"`
	ByPort bool   `json:"byPort,omitempty"`
}

// User is a member of the organization as trigger data shows it (spec 4.1).
type User struct {
	Email       string   `json:"email"`
	FirstName   string   `json:"firstName"`
	LastName    string   `json:"lastName"`
	PhoneNumber string   `json:"phoneNumber"`
	Picture     string   `json:"picture"`
	Providers   []string `json:"providers"`
	Status      string   `json:"status"`
	ID          string   `json:"id"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
}

// Trigger says who caused a change, from where and when (spec 4.1).
type Trigger struct {
	By        Actor  `json:"by"`
	Origin    string `json:"origin"`
	At        string `json:"at"`
	Operation string `json:"operation,omitempty"`
}

// Event actions and resource types of the change log.
const (
	ActionCreate       = "CREATE"
	ActionUpdate       = "UPDATE"
	ActionDelete       = "DELETE"
	ActionTimerExpired = "TIMER_EXPIRED"

	ResourceBlueprint = "blueprint"
	ResourceEntity    = "entity"
	ResourceRun       = "run"
	ResourceAction    = "action" // an action or automation definition
)

// Event is one record of the change log: an entity or run was created,
// updated or deleted, or a timer expired. It is written in the same
// transaction as the change it records and is what automations match on and
// what the audit log shows.
type Event struct {
	ID           string  `json:"identifier"`
	Seq          int64   `json:"-"` // commit order, assigned by the store
	Action       string  `json:"action"`
	ResourceType string  `json:"resourceType"`
	Status       string  `json:"status"`
	Trigger      Trigger `json:"trigger"`
	// Blueprint and Entity name the entity of entity events; RunID and
	// ActionIdentifier the run of run events. Property names the timer
	// property of timer events. LinkedRunID is the run an entity write was
	// made for (?run_id=).
	Blueprint        string `json:"-"`
	Entity           string `json:"-"`
	Property         string `json:"-"`
	RunID            string `json:"-"`
	ActionIdentifier string `json:"-"`
	LinkedRunID      string `json:"-"`
	// Before and After are the full stored objects (null when absent).
	Before json.RawMessage `json:"-"`
	After  json.RawMessage `json:"-"`
	// Depth counts how many automation runs led to this event (0 for a
	// change made by a person or script); CausedBy is the automation whose
	// run made the change, if any. Together they stop automation loops.
	Depth    int    `json:"-"`
	CausedBy string `json:"-"`
	// RunStatus and PrevRunStatus are the status of the run after and
	// before a run change, when the event was made in this process (not
	// stored: read back, they are empty and the documents say).
	RunStatus, PrevRunStatus string `json:"-"`
}
