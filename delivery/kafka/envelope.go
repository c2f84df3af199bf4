package kafka

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/berthdev/berth/delivery"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/berthdev/berth/signing"
)

// AgentMessage builds the message Port's execution agent consumes for an
// agent: true WEBHOOK invocation (spec 13.1 row 17, appendix B): the
// rendered body (an object; {} when there is none) with
//
//   - context.runId = the run id,
//   - payload.action.invocationMethod = {type, url, agent, synchronized,
//     method, headers} of the invocation (what the agent's mappings read),
//   - headers = the rendered custom headers plus X-Port-Signature and
//     X-Port-Timestamp,
//
// members the body already has keeping their place, new ones appended. The
// signature is the agent's (spec 8.3): "v1," + Base64(HMAC-SHA256(secret,
// timestamp + "." + message)), where message is the whole message without
// the two signature headers, serialized as Python's json.dumps(msg,
// separators=(",", ":"), ensure_ascii=False) does. The message is sent in
// exactly that serialization (numbers included), so removing the two keys
// and re-serializing gives back the signed bytes.
func AgentMessage(payload json.RawMessage, runID string, secret []byte, now time.Time) ([]byte, error) {
	var inv struct {
		Type         string            `json:"type"`
		URL          string            `json:"url"`
		Method       string            `json:"method"`
		Headers      json.RawMessage   `json:"headers"`
		Body         json.RawMessage   `json:"body"`
		Agent        delivery.FlexBool `json:"agent"`
		Synchronized delivery.FlexBool `json:"synchronized"`
	}
	if err := json.Unmarshal(payload, &inv); err != nil {
		return nil, errors.New("the rendered invocation is not a WEBHOOK invocation: " + err.Error())
	}
	msg, err := objectOf(inv.Body, "body")
	if err != nil {
		return nil, err
	}
	headers, err := headerObject(inv.Headers)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(strings.TrimSpace(inv.Method))
	if method == "" {
		method = "POST"
	}
	im := &object{}
	im.set("type", inv.Type)
	im.set("url", inv.URL)
	im.set("agent", bool(inv.Agent))
	im.set("synchronized", bool(inv.Synchronized))
	im.set("method", method)
	im.set("headers", headers.clone())

	msg.child("context").set("runId", runID)
	msg.child("payload").child("action").set("invocationMethod", im)
	msg.set("headers", headers)

	signed := encode(msg)
	ts := now.Unix()
	headers.set(signing.HeaderPortSignature, signing.PortV1(secret, ts, signed))
	headers.set(signing.HeaderPortTimestamp, strconv.FormatInt(ts, 10))
	return encode(msg), nil
}

// objectOf decodes raw as an ordered object; absent or null is {}.
func objectOf(raw json.RawMessage, what string) (*object, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return &object{}, nil
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, fmt.Errorf("the rendered %s is not valid JSON: %w", what, err)
	}
	o, ok := v.(*object)
	if !ok {
		return nil, fmt.Errorf("agent: true needs the rendered %s to be a JSON object, the execution agent adds fields to it", what)
	}
	return o, nil
}

// headerObject is the rendered custom headers with string values (other
// values as their JSON text, as the webhook backend sends them), without
// the signature headers, which the message's own signature replaces.
func headerObject(raw json.RawMessage) (*object, error) {
	in, err := objectOf(raw, "headers")
	if err != nil {
		return nil, err
	}
	out := &object{}
	for _, m := range in.members {
		if m.key == signing.HeaderPortSignature || m.key == signing.HeaderPortTimestamp {
			continue
		}
		s, ok := m.val.(string)
		if !ok {
			s = string(encode(m.val))
		}
		out.set(m.key, s)
	}
	return out, nil
}

// object is a JSON object that keeps the order of its members.
type object struct{ members []member }

type member struct {
	key string
	val any // *object, []any, string, json.Number, bool or nil
}

// set replaces the value of key in place, or appends it.
func (o *object) set(key string, v any) {
	for i := range o.members {
		if o.members[i].key == key {
			o.members[i].val = v
			return
		}
	}
	o.members = append(o.members, member{key, v})
}

// child returns the object member key, replacing a non-object value (or
// adding the member) with an empty object.
func (o *object) child(key string) *object {
	for _, m := range o.members {
		if m.key == key {
			if c, ok := m.val.(*object); ok {
				return c
			}
		}
	}
	c := &object{}
	o.set(key, c)
	return c
}

func (o *object) clone() *object {
	return &object{members: append([]member(nil), o.members...)}
}

// decodeOrdered decodes one JSON value keeping object member order and
// number literals.
func decodeOrdered(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		o := &object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(k.(string), v) // a repeated key keeps its first place, last value (as Python's json)
		}
		_, err := dec.Token()
		return o, err
	default:
		return t, nil
	}
}

// encode serializes v as Python's json.dumps(v, separators=(",", ":"),
// ensure_ascii=False) does after json.loads: compact, non-ASCII as is,
// integers as written and other numbers as Python's float repr.
func encode(v any) []byte { return appendValue(nil, v) }

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case string:
		return appendString(b, v)
	case json.Number:
		return append(b, pyNumber(string(v))...)
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, x)
		}
		return append(b, ']')
	case *object:
		b = append(b, '{')
		for i, m := range v.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.key)
			b = append(b, ':')
			b = appendValue(b, m.val)
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("kafka: cannot encode %T", v))
}

// appendString quotes s as Python's json with ensure_ascii=False: only ",
// \ and control characters are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c < utf8.RuneSelf {
				b = append(b, c)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r)
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			b = fmt.Appendf(b, `\u%04x`, c)
		}
		i++
	}
	return append(b, '"')
}

// pyNumber formats a JSON number literal as Python re-serializes it: an
// integer literal stays as written (-0 becomes 0), anything with a fraction
// or exponent becomes a float printed as repr() does.
func pyNumber(lit string) string {
	if !strings.ContainsAny(lit, ".eE") {
		if lit == "-0" {
			return "0"
		}
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return lit // out of range: Python would print inf, which JSON has no text for
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-4 && a < 1e16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, 64) // "1e+16", "1.5e-05": Python's form too
}

// compact removes insignificant whitespace from JSON text.
func compact(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
