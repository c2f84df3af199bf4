package berth

import (
	"bytes"
	"encoding/json"
)

// Trigger types of actions (spec 1).
const (
	TriggerAutomation  = "automation"
	TriggerSelfService = "self-service"
)

// Automation event types (spec 2.2).
const (
	EventEntityCreated        = "ENTITY_CREATED"
	EventEntityUpdated        = "ENTITY_UPDATED"
	EventEntityDeleted        = "ENTITY_DELETED"
	EventAnyEntityChange      = "ANY_ENTITY_CHANGE"
	EventTimerPropertyExpired = "TIMER_PROPERTY_EXPIRED"
	EventRunCreated           = "RUN_CREATED"
	EventRunUpdated           = "RUN_UPDATED"
	EventAnyRunChange         = "ANY_RUN_CHANGE"
)

// Action is a stored self-service action or automation (spec 2, 3). Doc is
// the definition exactly as the client wrote it (its key order matters to
// templates); the other fields are decoded from it for indexing and filters.
type Action struct {
	ID          string // internal id, "action_..."
	Identifier  string
	TriggerType string // TriggerAutomation or TriggerSelfService
	// EventType, Blueprint, ActionRef and Property index automations:
	// trigger.event.type, .blueprintIdentifier, .actionIdentifier and
	// .propertyIdentifier. Blueprint is trigger.blueprintIdentifier for
	// self-service actions.
	EventType string
	Blueprint string
	ActionRef string
	Property  string
	Operation string // self-service: CREATE, DAY-2 or DELETE
	Published bool   // automations with publish: false never fire
	Doc       json.RawMessage
	Meta
}

// MarshalJSON writes the definition as the client wrote it followed by the
// server's read-only fields.
func (a *Action) MarshalJSON() ([]byte, error) {
	doc := bytes.TrimSpace(a.Doc)
	if len(doc) < 2 || doc[0] != '{' {
		doc = []byte("{}")
	}
	extra, err := json.Marshal(struct {
		ID string `json:"id"`
		Meta
	}{a.ID, a.Meta})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(doc[:len(doc)-1])
	if len(bytes.TrimSpace(doc[1:len(doc)-1])) > 0 {
		b.WriteByte(',')
	}
	b.Write(extra[1:])
	return b.Bytes(), nil
}

// Run statuses (spec 7.2).
const (
	RunWaitingForApproval = "WAITING_FOR_APPROVAL"
	RunInProgress         = "IN_PROGRESS"
	RunSuccess            = "SUCCESS"
	RunFailure            = "FAILURE"
	RunDeclined           = "DECLINED"
)

// IsTerminal reports whether a run in status s can no longer change.
func IsTerminal(status string) bool {
	return status == RunSuccess || status == RunFailure || status == RunDeclined
}

// Ref names an action, blueprint or entity from a run (spec 7.1).
type Ref struct {
	Identifier string  `json:"identifier"`
	Title      *string `json:"title"`
	Icon       *string `json:"icon"`
	Deleted    bool    `json:"deleted"`
}

// Approval is an approver's decision on a run.
type Approval struct {
	Description string `json:"description"`
	UserID      string `json:"userId"`
	State       string `json:"state"`
}

// Run is one execution of an action or automation, in Port's v2 shape
// (spec 7.1). Fields tagged "-" are berth's bookkeeping.
type Run struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"`
	StatusLabel      *string         `json:"statusLabel"`
	Action           Ref             `json:"action"`
	Blueprint        *Ref            `json:"blueprint,omitempty"`
	Entity           *Ref            `json:"entity,omitempty"`
	Properties       map[string]any  `json:"properties"`
	RawProperties    map[string]any  `json:"rawProperties"`
	Source           string          `json:"source"`
	RequiredApproval json.RawMessage `json:"requiredApproval"`
	Approval         *Approval       `json:"approval"`
	Link             []string        `json:"link"`
	Summary          *string         `json:"summary"`
	ExternalRunID    *string         `json:"externalRunId"`
	Payload          json.RawMessage `json:"payload"`
	Response         json.RawMessage `json:"response"`
	PendingExecution bool            `json:"pendingExecution"`
	ClaimedUntil     *string         `json:"claimedUntil"`
	InstallationID   *string         `json:"installationId"`
	EndedAt          *string         `json:"endedAt"`
	CreatedAt        string          `json:"createdAt"`
	CreatedBy        string          `json:"createdBy"`
	ImpersonatedBy   *string         `json:"impersonatedBy"`
	UpdatedAt        string          `json:"updatedAt"`
	UpdatedBy        string          `json:"updatedBy"`

	// Depth is how many automation runs led to this one (0 for a run a
	// person or script started); Automation is the automation that created
	// it, if any. They travel to the events the run causes (loop protection).
	Depth      int    `json:"-"`
	Automation string `json:"-"`
	// IdempotencyKey makes "one event × one automation → at most one run"
	// a constraint of the store.
	IdempotencyKey string `json:"-"`
}

// Attempt is one delivery attempt of a run's invocation.
type Attempt struct {
	N          int    `json:"attempt"`
	At         string `json:"at"`
	DurationMS int64  `json:"durationMs"`
	Target     string `json:"target"`
	StatusCode int    `json:"statusCode,omitempty"`
	Error      string `json:"error,omitempty"`
	Response   string `json:"response,omitempty"`
	Outcome    string `json:"outcome"` // delivered, retry, failed
}

// RunLog is one log line of a run (spec 7.6).
type RunLog struct {
	ID        string `json:"id"`
	RunID     string `json:"runId"`
	Message   string `json:"message"`
	CreatedBy string `json:"createdBy"`
	CreatedAt string `json:"createdAt"`
}
