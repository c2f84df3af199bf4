// Package catalog validates and queries the software catalog: blueprints
// (typed schemas) and entities (their instances), as described in sections
// 10 and 11.10 of the Port behaviour reference.
//
// Everything here is pure: no I/O, no clock, no global state. Callers (the
// store and the HTTP API) decode request bodies with [DecodeBlueprint],
// [PatchBlueprint], [DecodeEntity] and [DecodeEntityPatch], compile a
// blueprint once with [CompileEntitySchema] and validate many entities with
// it, and filter entities with a [Query] parsed by [ParseQuery].
//
// Every validation error is a *berth.Error. A body that is not JSON is
// berth.CodeInvalid (400); a well-formed body that breaks a rule is
// berth.CodeUnprocessable (422) and lists every problem found, each named by
// a JSON pointer into the request ("/schema/properties/replicas/type",
// "/properties/replicas", "/rules/1/operator").
package catalog
