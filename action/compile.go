package action

import (
	"encoding/json"
	"fmt"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/jqtemplate"
)

// Compiled is a stored action with what runs it compiled once: the
// automation condition (nil means "always") and the invocation template.
type Compiled struct {
	*berth.Action
	Condition      *jqtemplate.Condition
	Invocation     *jqtemplate.Template
	InvocationType string
	Title          *string // the action's title, for its runs
	// RequiredApproval is "", "ANY" or "ALL".
	RequiredApproval string
}

// Compile prepares a stored action for running. Actions are validated when
// saved, so an error here means the stored document is damaged.
func Compile(a *berth.Action) (*Compiled, error) {
	var doc struct {
		Trigger struct {
			Condition json.RawMessage `json:"condition"`
		} `json:"trigger"`
		InvocationMethod json.RawMessage `json:"invocationMethod"`
		RequiredApproval json.RawMessage `json:"requiredApproval"`
		Title            *string         `json:"title"`
	}
	if err := json.Unmarshal(a.Doc, &doc); err != nil {
		return nil, fmt.Errorf("action %s: %w", a.Identifier, err)
	}
	c := &Compiled{Action: a, Title: doc.Title}
	var err error
	if a.TriggerType == berth.TriggerAutomation && len(doc.Trigger.Condition) > 0 {
		if c.Condition, err = jqtemplate.CompileCondition(doc.Trigger.Condition); err != nil {
			return nil, fmt.Errorf("action %s: condition: %w", a.Identifier, err)
		}
	}
	if c.Invocation, err = jqtemplate.Compile(doc.InvocationMethod); err != nil {
		return nil, fmt.Errorf("action %s: invocationMethod: %w", a.Identifier, err)
	}
	var head struct {
		Type string `json:"type"`
	}
	json.Unmarshal(doc.InvocationMethod, &head)
	c.InvocationType = head.Type
	c.RequiredApproval = ApprovalMode(doc.RequiredApproval)
	return c, nil
}

// ApprovalMode reads a requiredApproval value (spec 3.4): "" (none), "ANY"
// (also for true) or "ALL".
func ApprovalMode(raw json.RawMessage) string {
	switch kind(raw) {
	case "boolean":
		var b bool
		json.Unmarshal(raw, &b)
		if b {
			return "ANY"
		}
	case "object":
		var v struct{ Type string }
		json.Unmarshal(raw, &v)
		return v.Type
	}
	return ""
}
