package jqtemplate

import "github.com/itchyny/gojq"

// A path expression (".", ".a.b", `.["x"].y`) is the most common template
// expression. It is evaluated directly, without starting gojq, as long as
// every step meets an object or null; anything else (an error to report)
// goes through gojq, so results and errors are gojq's either way.

// pathKeys returns the keys of src when it is a plain path expression.
func pathKeys(src string) ([]string, bool) {
	q, err := gojq.Parse(src)
	if err != nil || q.Meta != nil || q.Imports != nil || q.FuncDefs != nil ||
		q.Left != nil || q.Right != nil || q.Patterns != nil || q.Term == nil {
		return nil, false
	}
	t := q.Term
	keys := []string{}
	switch t.Type {
	case gojq.TermTypeIdentity:
	case gojq.TermTypeIndex:
		k, ok := indexKey(t.Index)
		if !ok {
			return nil, false
		}
		keys = append(keys, k)
	default:
		return nil, false
	}
	for _, s := range t.SuffixList {
		if s.Iter || s.Optional {
			return nil, false
		}
		k, ok := indexKey(s.Index)
		if !ok {
			return nil, false
		}
		keys = append(keys, k)
	}
	return keys, true
}

// indexKey returns the key of .name, ."name" or .["name"].
func indexKey(x *gojq.Index) (string, bool) {
	switch {
	case x == nil || x.IsSlice || x.End != nil:
		return "", false
	case x.Name != "":
		return x.Name, true
	case x.Str != nil:
		return x.Str.Str, x.Str.Queries == nil
	case x.Start != nil:
		q := x.Start
		ok := q.Term != nil && q.Term.Type == gojq.TermTypeString && q.Term.SuffixList == nil &&
			q.Left == nil && q.Right == nil && q.FuncDefs == nil && q.Term.Str.Queries == nil
		if ok {
			return q.Term.Str.Str, true
		}
	}
	return "", false
}

// lookup follows keys through v as jq would; ok is false when a step meets
// a value that is neither an object nor null.
func lookup(v any, keys []string) (any, bool) {
	for _, k := range keys {
		switch m := v.(type) {
		case map[string]any:
			v = m[k]
		case nil:
		default:
			return nil, false
		}
	}
	return v, true
}
