package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v3"
)

// obj is a decoded API object.
type obj = map[string]any

// printValue prints raw (JSON as the server sent it) as JSON or YAML
// (c.output), keeping the order of its keys, or as a table whose header is
// columns and whose rows row makes from each object of objs.
func (c *command) printValue(raw json.RawMessage, objs []obj, columns []string, row func(obj) []string) error {
	if c.output == "table" {
		return writeTable(c.env.Stdout, columns, objs, row)
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return err
	}
	if c.output == "yaml" {
		enc := yaml.NewEncoder(c.env.Stdout)
		enc.SetIndent(2)
		if err := enc.Encode(yamlNode(v)); err != nil {
			return err
		}
		return enc.Close()
	}
	enc := json.NewEncoder(c.env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonArray joins JSON values into an array.
func jsonArray(values []json.RawMessage) json.RawMessage {
	b := []byte{'['}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, ']')
}

func writeTable(w io.Writer, columns []string, objs []obj, row func(obj) []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(columns, "\t"))
	for _, o := range objs {
		cells := row(o)
		for i, cell := range cells {
			if cell == "" {
				cells[i] = "-"
			}
			cells[i] = strings.ReplaceAll(cells[i], "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// str reads a string at path in o ("" when absent or not a string).
func str(o obj, path ...string) string {
	var v any = o
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	}
	return ""
}

// columnsOf is the table of each kind: its header and its row.
func columnsOf(kind string) ([]string, func(obj) []string) {
	switch kind {
	case kindBlueprint:
		return []string{"IDENTIFIER", "TITLE", "PROPERTIES", "RELATIONS", "UPDATED"}, func(o obj) []string {
			props, _ := o["schema"].(map[string]any)["properties"].(map[string]any)
			rels, _ := o["relations"].(map[string]any)
			var rs []string
			for _, k := range sortedKeys(rels) {
				rs = append(rs, k+"→"+str(o, "relations", k, "target"))
			}
			return []string{str(o, "identifier"), str(o, "title"), fmt.Sprint(len(props)), strings.Join(rs, ","), str(o, "updatedAt")}
		}
	case kindAction, kindAutomation:
		return []string{"IDENTIFIER", "TITLE", "TYPE", "TRIGGER", "ON", "INVOCATION"}, func(o obj) []string {
			trigger := joinNonEmpty(" ", str(o, "trigger", "operation"), str(o, "trigger", "event", "type"))
			on := joinNonEmpty(" ", str(o, "trigger", "blueprintIdentifier"), str(o, "trigger", "event", "blueprintIdentifier"),
				str(o, "trigger", "event", "actionIdentifier")) // the blueprint or the action it is about
			return []string{str(o, "identifier"), str(o, "title"), str(o, "trigger", "type"), trigger, on, str(o, "invocationMethod", "type")}
		}
	case kindEntity:
		return []string{"IDENTIFIER", "TITLE", "BLUEPRINT", "UPDATED"}, func(o obj) []string {
			return []string{str(o, "identifier"), str(o, "title"), str(o, "blueprint"), str(o, "updatedAt")}
		}
	}
	return []string{"ID", "ACTION", "STATUS", "SOURCE", "ENTITY", "CREATED", "ENDED"}, func(o obj) []string {
		entity := ""
		if e := str(o, "entity", "identifier"); e != "" {
			entity = str(o, "blueprint", "identifier") + "/" + e
		}
		status := str(o, "status")
		if l := str(o, "statusLabel"); l != "" {
			status += " (" + l + ")"
		}
		return []string{str(o, "id"), str(o, "action", "identifier"), status, str(o, "source"), entity, str(o, "createdAt"), str(o, "endedAt")}
	}
}
