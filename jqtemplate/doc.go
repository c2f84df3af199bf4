// Package jqtemplate renders Port-style payload templates and evaluates
// automation conditions, matching Port's reference renderer
// (renderRecursively in @port-labs/jq-node-bindings; spec section 5).
//
// A template is any JSON value. Strings holding {{ jq }} blocks are rendered
// against trigger data: a string that is exactly one block keeps the type of
// the jq result, any other string interpolates its blocks. Object keys are
// templates too, and a "{{ spreadValue() }}" key merges an object into the
// object around it.
//
// Templates and conditions are compiled once, when an action or automation is
// saved, and rendered many times:
//
//	tmpl, err := jqtemplate.CompileStrict(raw) // when saving: 422 naming err's Location
//	data, err := jqtemplate.ParseData(trigger) // once per event, shared by its renders
//	res, err := tmpl.Render(ctx, data, jqtemplate.Options{})
//	body, err := jqtemplate.Marshal(res.Value) // log res.Warnings on the run
//
// Render never parses or compiles. Each expression runs with its own timeout
// (Options.ExprTimeout) and under the caller's context; a panic inside jq is
// turned into an expression failure. Path expressions such as .run.id are
// answered without starting gojq.
//
// Conditions (spec 2.3) are compiled with CompileCondition and evaluated with
// (*Condition).Evaluate, which says why a condition did not pass.
//
// # Values
//
// Rendered values are JavaScript-like JSON values: nil, bool, float64, string,
// []any, *Object and Undefined. *Object keeps keys in JavaScript property
// order, because the reference builds its output as JavaScript objects:
// keys that are array indices ("0", "1", ...) come first in ascending numeric
// order, all other keys keep their insertion (template) order. Undefined is
// what jq's empty yields; Marshal drops object members whose value is
// Undefined and writes null for Undefined array elements, as JSON.stringify
// does.
//
// Objects that jq returns unchanged from the data keep the data's key order
// when the data was prepared with ParseData. Objects that jq builds come out
// with sorted keys, because gojq does not keep insertion order.
//
// # Errors
//
// A structural error (unbalanced braces) is a *TemplateError from Compile. A
// jq expression that does not compile is not an error of Compile: the
// reference renders it as null, and so does Render. Such expressions are
// listed by (*Template).Problems, and CompileStrict rejects them, which is
// what saving an action should use. Expression failures at render time are
// returned as warnings (null is rendered in their place) unless
// Options.Strict is set. Object keys that render to something other than a
// string or null, and spread values that are not objects, are always errors,
// as in the reference.
//
// One deliberate difference: the reference only reports a malformed string
// when it reaches it (a value under a key that renders to null is never
// looked at); Compile reports every malformed string up front.
package jqtemplate
