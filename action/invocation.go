package action

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/berthdev/berth/jqtemplate"
)

// invocationKeys lists the fields of each backend type (spec 6).
var invocationKeys = map[string]spec{
	"WEBHOOK":            webhookKeys,
	"SLACK":              webhookKeys,
	"JENKINS":            webhookKeys,
	"GITHUB":             {required: []string{"type", "org", "repo", "workflow"}, optional: []string{"workflowInputs", "reportWorkflowStatus"}},
	"GITLAB":             {required: []string{"type", "projectName", "groupName"}, optional: []string{"defaultRef", "pipelineVariables", "agent", "omitPayload", "omitUserInputs"}},
	"AZURE_DEVOPS":       {required: []string{"type", "webhook", "org"}, optional: []string{"payload"}},
	"KAFKA":              {required: []string{"type"}, optional: []string{"payload"}},
	"UPSERT_ENTITY":      {required: []string{"type", "blueprintIdentifier", "mapping"}},
	"INTEGRATION_ACTION": {required: []string{"type", "installationId", "integrationActionType", "integrationActionExecutionProperties"}},
}

var webhookKeys = spec{required: []string{"type", "url"}, optional: []string{"agent", "synchronized", "method", "headers", "body"}}

// InvocationTypes are the backend types berth accepts.
var InvocationTypes = []string{"WEBHOOK", "GITHUB", "INTEGRATION_ACTION", "GITLAB", "AZURE_DEVOPS", "KAFKA", "UPSERT_ENTITY", "SLACK", "JENKINS"}

func checkInvocation(p *problems, raw json.RawMessage, refs Refs) {
	inv, ok := p.isObject("/invocationMethod", raw)
	if !ok {
		return
	}
	typ := p.enumStr("/invocationMethod", inv, "type", InvocationTypes...)
	keys, ok := invocationKeys[typ]
	if !ok {
		if _, has := inv.get("type"); !has {
			p.add("/invocationMethod/type", "is required")
		}
		return
	}
	p.checkKeys("/invocationMethod", inv, keys)
	checkInvocationFields(p, typ, inv, refs)
	if _, err := jqtemplate.CompileStrict(raw); err != nil {
		p.add("/invocationMethod"+templatePath(err), "%s", templateMessage(err))
	}
}

func checkInvocationFields(p *problems, typ string, inv object, refs Refs) {
	switch typ {
	case "WEBHOOK", "SLACK", "JENKINS":
		p.url("/invocationMethod/url", mustGet(inv, "url"))
		p.boolOrString("/invocationMethod", inv, "agent")
		p.boolOrString("/invocationMethod", inv, "synchronized")
		if m, ok := inv.get("method"); ok {
			if s, ok := p.str("/invocationMethod/method", m); ok && !strings.Contains(s, "{{") {
				p.enumStr("/invocationMethod", inv, "method", "POST", "PUT", "PATCH", "GET", "DELETE")
			}
		}
		if h, ok := inv.get("headers"); ok {
			if headers, ok := p.isObject("/invocationMethod/headers", h); ok {
				for _, f := range headers {
					if kind(f.Value) != "string" {
						p.add("/invocationMethod/headers/"+f.Key, "must be a string")
					}
				}
			}
		}
		if b, ok := inv.get("body"); ok && kind(b) != "object" && kind(b) != "array" && kind(b) != "string" {
			p.add("/invocationMethod/body", "must be an object or an array")
		}
	case "UPSERT_ENTITY":
		if raw, ok := inv.get("blueprintIdentifier"); ok {
			if bp, ok := p.str("/invocationMethod/blueprintIdentifier", raw); ok && !strings.Contains(bp, "{{") && !refs.Blueprint(bp) {
				p.add("/invocationMethod/blueprintIdentifier", "names blueprint %q, which does not exist", bp)
			}
		}
		if raw, ok := inv.get("mapping"); ok {
			if m, ok := p.isObject("/invocationMethod/mapping", raw); ok {
				p.checkKeys("/invocationMethod/mapping", m, spec{optional: []string{"identifier", "title", "team", "icon", "properties", "relations"}})
			}
		}
	case "GITHUB":
		p.boolOrString("/invocationMethod", inv, "reportWorkflowStatus")
		for _, k := range []string{"org", "repo", "workflow"} {
			if raw, ok := inv.get(k); ok {
				p.str("/invocationMethod/"+k, raw)
			}
		}
	case "INTEGRATION_ACTION":
		p.enumStr("/invocationMethod", inv, "integrationActionType", "dispatch_workflow")
	}
}

func mustGet(o object, key string) json.RawMessage {
	raw, _ := o.get(key)
	if raw == nil {
		return json.RawMessage(`"missing"`)
	}
	return raw
}

// templatePath turns a template error's location into a JSON pointer suffix.
func templatePath(err error) string {
	var te *jqtemplate.TemplateError
	var ee *jqtemplate.ExprError
	switch {
	case errors.As(err, &te):
		return te.Location.Pointer
	case errors.As(err, &ee):
		return ee.Location.Pointer
	}
	return ""
}

func templateMessage(err error) string {
	var te *jqtemplate.TemplateError
	var ee *jqtemplate.ExprError
	switch {
	case errors.As(err, &te):
		return "is not a valid template: " + te.Msg
	case errors.As(err, &ee):
		return "holds a jq expression that does not compile: " + strings.TrimSpace(ee.Expr) + ": " + jqError(ee.Err)
	}
	return err.Error()
}

func jqError(err error) string {
	var ee *jqtemplate.ExprError
	if errors.As(err, &ee) && ee.Err != nil {
		return ee.Err.Error()
	}
	return err.Error()
}

func itoa(i int) string { return strconv.Itoa(i) }
