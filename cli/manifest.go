package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kinds of objects apply knows.
const (
	kindBlueprint  = "blueprint"
	kindAction     = "action"
	kindAutomation = "automation"
	kindEntity     = "entity"
)

// item is one object to apply.
type item struct {
	kind       string
	identifier string
	blueprint  string         // entities: their blueprint
	doc        map[string]any // the document, to plan and compare: "kind" (and an entity's "blueprint") removed
	body       orderedObject  // the same, to send: in the order it was written
	source     string         // file and document number, for messages
}

// name is how messages name the item: "blueprint service", "entity service/checkout".
func (it *item) name() string {
	if it.kind == kindEntity {
		return it.kind + " " + it.blueprint + "/" + it.identifier
	}
	return it.kind + " " + it.identifier
}

// readManifests reads every path (a file, a directory of .json/.yaml/.yml
// files read recursively in name order, or - for standard input) into
// items. Identifiers must be unique per kind.
func readManifests(paths []string, stdin io.Reader) ([]*item, error) {
	var items []*item
	seen := map[string]string{}
	for _, p := range paths {
		files, err := manifestFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			found, err := readFile(f, stdin)
			if err != nil {
				return nil, err
			}
			for _, it := range found {
				key := it.name()
				if it.kind == kindAutomation {
					key = kindAction + " " + it.identifier // one namespace on the server
				}
				if prev, dup := seen[key]; dup {
					return nil, fmt.Errorf("%s: %s is also defined in %s", it.source, it.name(), prev)
				}
				seen[key] = it.source
				items = append(items, it)
			}
		}
	}
	return items, nil
}

func manifestFiles(p string) ([]string, error) {
	if p == "-" {
		return []string{"-"}, nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json", ".yaml", ".yml":
			if !d.IsDir() {
				files = append(files, path)
			}
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// readFile decodes the documents of one file: JSON (one or more values) or
// YAML (documents separated by ---), each an object or a list of objects.
func readFile(path string, stdin io.Reader) ([]*item, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(stdin)
		path = "standard input"
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	docs, err := decodeDocuments(raw, strings.ToLower(filepath.Ext(path)) == ".json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var items []*item
	for i, d := range docs {
		objs, isList := d.([]any)
		if !isList {
			objs = []any{d}
		}
		for j, o := range objs {
			source := fmt.Sprintf("%s: document %d", path, i+1)
			if isList {
				source += fmt.Sprintf(", item %d", j+1)
			}
			it, err := newItem(o, source)
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// decodeDocuments decodes JSON or YAML documents into ordered JSON values
// (orderedObject, []any, json.Number and the other scalars: see ordered.go),
// keeping the key order the author wrote.
func decodeDocuments(raw []byte, isJSON bool) ([]any, error) {
	var docs []any
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(raw))
		for {
			var doc json.RawMessage
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				return docs, nil
			} else if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(doc)
			if err != nil {
				return nil, err
			}
			docs = append(docs, v)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		v, err := yamlToJSON(&n)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue // an empty document
		}
		docs = append(docs, v)
	}
}

// plain is v with its objects as maps (and its numbers float64), as
// encoding/json decodes the server's answers: for looking things up and
// comparing, not for sending.
func plain(v any) (any, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	var p any
	err = json.Unmarshal(b, &p)
	return p, err
}

// newItem works out what a document is: its explicit kind, or its shape
// (schema: a blueprint; trigger: an action or automation; blueprint: an
// entity).
func newItem(v any, source string) (*item, error) {
	body, ok := v.(orderedObject)
	if !ok {
		return nil, fmt.Errorf("%s: want an object (or a list of objects), got %s", source, describeJSON(v))
	}
	p, err := plain(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	doc := p.(map[string]any)
	it := &item{doc: doc, body: body.without("kind"), source: source}
	it.identifier, _ = doc["identifier"].(string)
	if it.identifier == "" {
		return nil, fmt.Errorf("%s: no identifier", source)
	}
	kind, hasKind := doc["kind"].(string)
	delete(doc, "kind")
	switch {
	case hasKind:
		it.kind = strings.ToLower(kind)
	case doc["schema"] != nil:
		it.kind = kindBlueprint
	case doc["trigger"] != nil:
		it.kind = kindAction
	case doc["blueprint"] != nil:
		it.kind = kindEntity
	default:
		return nil, fmt.Errorf("%s: cannot tell what %q is: add kind: blueprint, action, automation or entity", source, it.identifier)
	}
	switch it.kind {
	case kindBlueprint:
	case kindAction, kindAutomation:
		it.kind = kindAction
		if t, _ := doc["trigger"].(map[string]any); t != nil && t["type"] == "automation" {
			it.kind = kindAutomation
		}
	case kindEntity:
		it.blueprint, _ = doc["blueprint"].(string)
		if it.blueprint == "" {
			return nil, fmt.Errorf("%s: entity %q has no blueprint", source, it.identifier)
		}
		delete(doc, "blueprint") // it is in the path
		it.body = it.body.without("blueprint")
	default:
		return nil, fmt.Errorf("%s: unknown kind %q: want blueprint, action, automation or entity", source, kind)
	}
	return it, nil
}

func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64, int, int64, uint64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a nested list"
	}
	return fmt.Sprintf("%T", v)
}
