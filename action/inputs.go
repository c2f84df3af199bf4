package action

import (
	"encoding/json"
	"regexp"
)

var inputIDPattern = regexp.MustCompile(`^[A-Za-z0-9@_=\-]+$`)

var inputKeys = spec{
	required: []string{"type"},
	optional: []string{"format", "title", "description", "icon", "default", "enum", "enumColors", "items", "blueprint",
		"dataset", "sort", "dependsOn", "visible", "disabled", "encryption", "minLength", "maxLength", "pattern",
		"minimum", "maximum", "minItems", "maxItems", "properties", "required", "additionalProperties", "spec", "className"},
}

var inputFormats = map[string]bool{"date-time": true, "url": true, "email": true, "ipv4": true, "ipv6": true,
	"yaml": true, "entity": true, "user": true, "team": true, "proto": true, "markdown": true, "multi-line": true,
	"labeled-url": true, "idn-email": true, "timer": true}

// checkUserInputs validates a self-service action's userInputs (spec 3.3).
func checkUserInputs(p *problems, raw json.RawMessage, refs Refs) {
	ui, ok := p.isObject("/trigger/userInputs", raw)
	if !ok {
		return
	}
	layout := spec{required: []string{"properties"}, optional: []string{"required", "titles"}}
	_, hasOrder := ui.get("order")
	_, hasSteps := ui.get("steps")
	switch {
	case hasOrder && hasSteps:
		p.add("/trigger/userInputs", "may have order or steps, not both")
	case hasOrder:
		layout.optional = append(layout.optional, "order")
	case hasSteps:
		layout.optional = append(layout.optional, "steps")
	}
	p.checkKeys("/trigger/userInputs", ui, layout)
	var ids map[string]bool
	if props, ok := ui.get("properties"); ok {
		ids = checkInputProperties(p, props, refs)
	}
	if req, ok := ui.get("required"); ok {
		checkRequiredInputs(p, req, ids)
	}
	if order, ok := ui.get("order"); ok {
		var list []string
		if json.Unmarshal(order, &list) != nil {
			p.add("/trigger/userInputs/order", "must be an array of input identifiers")
		}
	}
}

func checkInputProperties(p *problems, raw json.RawMessage, refs Refs) map[string]bool {
	props, ok := p.isObject("/trigger/userInputs/properties", raw)
	if !ok {
		return nil
	}
	ids := map[string]bool{}
	for _, f := range props {
		path := "/trigger/userInputs/properties/" + f.Key
		ids[f.Key] = true
		if !inputIDPattern.MatchString(f.Key) || len(f.Key) > 100 {
			p.add(path, "input identifiers are letters, digits and @ _ = - (at most 100)")
		}
		in, ok := p.isObject(path, f.Value)
		if !ok {
			continue
		}
		checkInput(p, path, in, refs)
	}
	return ids
}

func checkInput(p *problems, path string, in object, refs Refs) {
	p.checkKeys(path, in, inputKeys)
	typ := p.enumStr(path, in, "type", "string", "number", "boolean", "object", "array")
	var format string
	if raw, ok := in.get("format"); ok {
		if format, ok = p.str(path+"/format", raw); ok && !inputFormats[format] {
			p.add(path+"/format", "is not a known input format: %q", format)
		}
	}
	if format == "entity" {
		raw, ok := in.get("blueprint")
		if !ok {
			p.add(path+"/blueprint", "is required for entity inputs")
		} else if bp, ok := p.str(path+"/blueprint", raw); ok && !refs.Blueprint(bp) {
			p.add(path+"/blueprint", "names blueprint %q, which does not exist", bp)
		}
	}
	if raw, ok := in.get("encryption"); ok {
		if typ != "string" && typ != "object" {
			p.add(path+"/encryption", "is only allowed on string and object inputs")
		}
		checkEncryption(p, path+"/encryption", raw)
	}
	if raw, ok := in.get("items"); ok {
		if items, ok := p.isObject(path+"/items", raw); ok {
			if bp, ok := items.get("blueprint"); ok {
				if id, ok := p.str(path+"/items/blueprint", bp); ok && !refs.Blueprint(id) {
					p.add(path+"/items/blueprint", "names blueprint %q, which does not exist", id)
				}
			}
		}
	}
}

func checkEncryption(p *problems, path string, raw json.RawMessage) {
	switch kind(raw) {
	case "string":
		var s string
		json.Unmarshal(raw, &s)
		if s != "aes256-gcm" {
			p.add(path, `must be "aes256-gcm" or {"algorithm": "client-side", "key": ...}`)
		}
	case "object":
		obj, _ := parseObject(raw)
		p.checkKeys(path, obj, spec{required: []string{"algorithm", "key"}})
		p.enumStr(path, obj, "algorithm", "client-side")
	default:
		p.add(path, `must be "aes256-gcm" or {"algorithm": "client-side", "key": ...}`)
	}
}

func checkRequiredInputs(p *problems, raw json.RawMessage, ids map[string]bool) {
	switch kind(raw) {
	case "array":
		var list []string
		if json.Unmarshal(raw, &list) != nil {
			p.add("/trigger/userInputs/required", "must be an array of input identifiers")
			return
		}
		for i, id := range list {
			if ids != nil && !ids[id] {
				p.add("/trigger/userInputs/required/"+itoa(i), "names input %q, which is not defined", id)
			}
		}
	case "object":
		obj, _ := parseObject(raw)
		p.checkKeys("/trigger/userInputs/required", obj, spec{required: []string{"jqQuery"}})
	default:
		p.add("/trigger/userInputs/required", `must be an array of input identifiers or {"jqQuery": ...}`)
	}
}
