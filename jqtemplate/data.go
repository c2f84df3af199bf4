package jqtemplate

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
)

// Data is trigger data prepared for rendering: converted once to the values
// jq works on and shareable by any number of renders, concurrently. Prepare
// one Data per event and render every template of that event against it.
type Data struct {
	value any
	// order holds the key order of the data's objects, by map identity, so
	// objects that jq returns unchanged keep the order they were written in.
	order map[uintptr][]string
}

// ParseData decodes JSON trigger data, keeping the key order of its objects.
func ParseData(raw []byte) (*Data, error) {
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, err
	}
	return NewData(v)
}

// NewData prepares a decoded value: what encoding/json produces (map[string]any,
// []any, float64, json.Number, string, bool, nil), rendered values (*Object,
// Undefined) or anything encoding/json can marshal. Numbers become float64,
// as in JavaScript. Objects of type map[string]any have no order; jq returns
// them with sorted keys.
func NewData(v any) (*Data, error) {
	d := &Data{}
	nv, _, err := d.normalize(v)
	if errors.Is(err, errUnsupported) {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return ParseData(raw)
	}
	d.value = nv
	return d, nil
}

// Field returns the member name of d as Data, sharing d's memory: for
// instance the event object of trigger data, which conditions run against.
// It is null when d is not an object or has no such member.
func (d *Data) Field(name string) *Data {
	m, _ := d.value.(map[string]any)
	return &Data{value: m[name], order: d.order}
}

var errUnsupported = errors.New("unsupported type")

// normalize converts v to jq values; changed reports whether the result
// differs from v, so unchanged containers are shared instead of copied.
func (d *Data) normalize(v any) (out any, changed bool, err error) {
	switch v := v.(type) {
	case nil, bool, string, float64:
		return v, false, nil
	case Undefined:
		return nil, true, nil
	case *Object:
		out, err := d.normalizeObject(v)
		return out, true, err
	case map[string]any:
		return d.normalizeMap(v)
	case []any:
		return d.normalizeArray(v)
	}
	if f, ok := toFloat(v); ok {
		return f, true, nil
	}
	return nil, false, errUnsupported
}

func (d *Data) normalizeObject(o *Object) (map[string]any, error) {
	m := make(map[string]any, o.Len())
	keys := make([]string, 0, o.Len())
	for _, mb := range o.members {
		if mb.val == (Undefined{}) {
			continue // JSON.stringify drops it
		}
		v, _, err := d.normalize(mb.val)
		if err != nil {
			return nil, err
		}
		m[mb.key] = v
		keys = append(keys, mb.key)
	}
	if d.order == nil {
		d.order = make(map[uintptr][]string)
	}
	d.order[mapID(m)] = keys
	return m, nil
}

func (d *Data) normalizeMap(m map[string]any) (any, bool, error) {
	var out map[string]any
	for k, v := range m {
		nv, changed, err := d.normalize(v)
		if err != nil {
			return nil, false, err
		}
		if changed && out == nil {
			out = make(map[string]any, len(m))
			for k2, v2 := range m {
				out[k2] = v2
			}
		}
		if out != nil {
			out[k] = nv
		}
	}
	if out == nil {
		return m, false, nil
	}
	return out, true, nil
}

func (d *Data) normalizeArray(a []any) (any, bool, error) {
	var out []any
	for i, v := range a {
		nv, changed, err := d.normalize(v)
		if err != nil {
			return nil, false, err
		}
		if changed && out == nil {
			out = slices.Clone(a)
		}
		if out != nil {
			out[i] = nv
		}
	}
	if out == nil {
		return a, false, nil
	}
	return out, true, nil
}

// export converts a jq result to a rendered value, copying containers so
// that callers cannot modify the shared data through the result.
func (d *Data) export(v any) any {
	switch v := v.(type) {
	case nil, bool, string, Undefined:
		return v
	case map[string]any:
		o := sortedObject(v, d.keyOrder(v))
		for i := range o.members {
			o.members[i].val = d.export(o.members[i].val)
		}
		return o
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = d.export(x)
		}
		return out
	}
	f, _ := toFloat(v)
	return f
}

func (d *Data) keyOrder(m map[string]any) []string {
	if d == nil || d.order == nil {
		return nil
	}
	return d.order[mapID(m)]
}

// mapID identifies a map. Data keeps its maps alive, so an identity seen in
// order always refers to the same map.
func mapID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// asData returns data prepared for rendering.
func asData(data any) (*Data, error) {
	if d, ok := data.(*Data); ok && d != nil {
		return d, nil
	}
	return NewData(data)
}

// Compose returns data for one object with the given members, in order.
// A member whose value is a *Data is shared as it was prepared, not
// converted again: trigger data for each automation an event fires can
// reuse the event's Data instead of parsing the event once per run. Other
// values are prepared as NewData prepares them.
func Compose(keys []string, values []any) (*Data, error) {
	if len(keys) != len(values) {
		return nil, errors.New("jqtemplate: Compose needs one value per key")
	}
	d := &Data{order: make(map[uintptr][]string)}
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		if part, ok := values[i].(*Data); ok {
			m[k] = part.value
			for id, order := range part.order {
				d.order[id] = order
			}
			continue
		}
		v, _, err := d.normalize(values[i])
		if errors.Is(err, errUnsupported) {
			part, err := NewData(values[i])
			if err != nil {
				return nil, err
			}
			m[k] = part.value
			for id, order := range part.order {
				d.order[id] = order
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	d.order[mapID(m)] = slices.Clone(keys)
	d.value = m
	return d, nil
}

// With returns d, an object, with one more member (or that member
// replaced), sharing everything else with d. Errors when d is not an object.
func (d *Data) With(key string, value any) (*Data, error) {
	root, ok := d.value.(map[string]any)
	if !ok {
		return nil, errors.New("jqtemplate: With needs object data")
	}
	keys := d.order[mapID(root)]
	if keys == nil {
		for k := range root {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	values := make([]any, 0, len(keys)+1)
	out := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		if k != key {
			out = append(out, k)
			values = append(values, &Data{value: root[k], order: d.order})
		}
	}
	return Compose(append(out, key), append(values, value))
}
