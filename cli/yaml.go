package cli

import (
	"fmt"
	"math"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// maxAliasValues bounds the values a YAML document may produce through
// aliases, so that a few lines of nested aliases cannot fill the memory.
const maxAliasValues = 1 << 20

// yamlConverter turns a YAML document into an ordered JSON value (see
// ordered.go). It reads the node tree rather than decoding into Go maps, so
// that keys keep their order and scalars keep their text: YAML 1.2 core
// ints, floats, bools and nulls are resolved as yaml.v3 resolves them, and a
// timestamp stays the string it was written as ("2024-01-02", not
// "2024-01-02T00:00:00Z").
type yamlConverter struct {
	expanding   map[*yaml.Node]bool // the aliases being expanded, to refuse cycles
	aliasValues int                 // values produced under an alias
}

// yamlToJSON converts a decoded YAML document (a yaml.DocumentNode or any
// node under one).
func yamlToJSON(n *yaml.Node) (any, error) {
	c := &yamlConverter{expanding: map[*yaml.Node]bool{}}
	return c.value(n)
}

func (c *yamlConverter) value(n *yaml.Node) (any, error) {
	if len(c.expanding) > 0 {
		if c.aliasValues++; c.aliasValues > maxAliasValues {
			return nil, fmt.Errorf("line %d: the document contains excessive aliasing", n.Line)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		return c.alias(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		return c.mapping(n)
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

func (c *yamlConverter) alias(n *yaml.Node) (any, error) {
	if n.Alias == nil {
		return nil, fmt.Errorf("line %d: unknown anchor %q", n.Line, n.Value)
	}
	if c.expanding[n] {
		return nil, fmt.Errorf("line %d: anchor %q value contains itself", n.Line, n.Value)
	}
	c.expanding[n] = true
	defer delete(c.expanding, n)
	return c.value(n.Alias)
}

// mapping converts a mapping: keys are the text of their scalars. A merge
// key (<<: *defaults) puts the merged mappings' keys where it stands,
// except the keys the mapping has itself; of several merged mappings the
// first that has a key gives its value.
func (c *yamlConverter) mapping(n *yaml.Node) (orderedObject, error) {
	obj := make(orderedObject, 0, len(n.Content)/2)
	own := map[string]int{} // key → line
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			continue
		}
		k, err := c.key(n.Content[i])
		if err != nil {
			return nil, err
		}
		if line, dup := own[k]; dup {
			return nil, fmt.Errorf("line %d: mapping key %q already defined at line %d", n.Content[i].Line, k, line)
		}
		own[k] = n.Content[i].Line
	}
	merged := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			from, err := c.merged(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			for _, m := range from {
				if _, mine := own[m.key]; !mine && !merged[m.key] {
					merged[m.key] = true
					obj = append(obj, m)
				}
			}
			continue
		}
		k, _ := c.key(n.Content[i])
		v, err := c.value(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		obj = append(obj, member{k, v})
	}
	return obj, nil
}

// merged is the members a merge key's value brings: a mapping, or a list
// of mappings (aliases to them, usually).
func (c *yamlConverter) merged(n *yaml.Node) (orderedObject, error) {
	sources := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		sources = n.Content
	}
	var out orderedObject
	for _, s := range sources {
		v, err := c.value(s)
		if err != nil {
			return nil, err
		}
		m, ok := v.(orderedObject)
		if !ok {
			return nil, fmt.Errorf("line %d: map merge requires a map or a sequence of maps as the value", s.Line)
		}
		out = append(out, m...)
	}
	return out, nil
}

// key is the text of a mapping key, as written: JSON keys are strings.
func (c *yamlConverter) key(n *yaml.Node) (string, error) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: a mapping key must be a string or another scalar", n.Line)
	}
	return n.Value, nil
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge"
}

// scalarValue is a scalar's JSON value: strings and timestamps as written,
// the rest (ints, floats, bools, null, binary) as yaml.v3 resolves them.
func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp":
		return n.Value, nil
	case "!!null":
		return nil, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		return nil, fmt.Errorf("line %d: %s is not a number JSON can hold", n.Line, n.Value)
	}
	return v, nil
}

// yamlNode builds the YAML of an ordered JSON value (see ordered.go), so
// that get -o yaml prints keys in the order the server returned them.
func yamlNode(v any) *yaml.Node {
	switch x := v.(type) {
	case orderedObject:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, m := range x {
			n.Content = append(n.Content, yamlString(m.key), yamlNode(m.value))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			n.Content = append(n.Content, yamlNode(e))
		}
		return n
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return yamlString(x)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(x)}
	}
	// json.Number: plain, as written, read back as the int or float it is.
	return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v)}
}

// yamlString is a string scalar. The encoder quotes those that YAML 1.2
// would read as something else; like yaml.v3 does for Go strings, those
// that YAML 1.1 would read as a bool or a sexagesimal number are quoted
// too, for other tools' sake.
func yamlString(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if yaml11Bools[s] || sexagesimal.MatchString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

var (
	yaml11Bools = map[string]bool{"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "n": true, "N": true,
		"no": true, "No": true, "NO": true, "on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true}
	sexagesimal = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
)
