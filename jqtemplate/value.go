package jqtemplate

import "slices"

// Undefined is the value jq's empty yields (JavaScript's undefined). Inside an
// *Object it marks a member that JSON output omits; inside an array it is
// written as null.
type Undefined struct{}

// Object is a JSON object with keys in JavaScript property order: array-index
// keys first in ascending numeric order, then the other keys in insertion
// order. Setting an existing key replaces its value and keeps its position.
// The zero value is an empty object ready to use.
type Object struct {
	members []member
	nidx    int            // number of leading array-index keys
	index   map[string]int // key positions, built once the object is large
}

type member struct {
	key string
	val any
}

// indexThreshold is the size from which lookups go through a map instead of a
// linear scan.
const indexThreshold = 16

// NewObject returns an empty object with room for n members.
func NewObject(n int) *Object {
	return &Object{members: make([]member, 0, n)}
}

// Len returns the number of members.
func (o *Object) Len() int { return len(o.members) }

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	keys := make([]string, len(o.members))
	for i, m := range o.members {
		keys[i] = m.key
	}
	return keys
}

// At returns the key and value of the i-th member, 0 <= i < Len().
func (o *Object) At(i int) (string, any) { return o.members[i].key, o.members[i].val }

// Get returns the value stored under key.
func (o *Object) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.members[i].val, true
	}
	return nil, false
}

// Set stores v under key (see Object for the ordering rules).
func (o *Object) Set(key string, v any) {
	if i := o.find(key); i >= 0 {
		o.members[i].val = v
		return
	}
	if !isArrayIndex(key) {
		o.members = append(o.members, member{key, v})
		if o.index != nil {
			o.index[key] = len(o.members) - 1
		} else if len(o.members) > indexThreshold {
			o.buildIndex()
		}
		return
	}
	pos, _ := slices.BinarySearchFunc(o.members[:o.nidx], key, func(m member, k string) int {
		return compareIndex(m.key, k)
	})
	o.members = slices.Insert(o.members, pos, member{key, v})
	o.nidx++
	switch {
	case o.index != nil:
		for i := pos; i < len(o.members); i++ { // the members that moved
			o.index[o.members[i].key] = i
		}
	case len(o.members) > indexThreshold:
		o.buildIndex()
	}
}

func (o *Object) find(key string) int {
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].key == key {
			return i
		}
	}
	return -1
}

func (o *Object) buildIndex() {
	o.index = make(map[string]int, len(o.members))
	for i, m := range o.members {
		o.index[m.key] = i
	}
}

// MarshalJSON encodes the object as Marshal does.
func (o *Object) MarshalJSON() ([]byte, error) { return Marshal(o) }

// maxArrayIndex is the largest array index of JavaScript (2^32 - 2).
const maxArrayIndex = 1<<32 - 2

// isArrayIndex reports whether k is the canonical decimal form of a
// JavaScript array index, which JavaScript objects list before other keys.
func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (k[0] == '0' && len(k) > 1) {
		return false
	}
	n := 0
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= maxArrayIndex
}

// compareIndex orders canonical decimal strings numerically.
func compareIndex(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
