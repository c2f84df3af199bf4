// Package tracing sends OpenTelemetry traces of berth's pipeline — an event,
// the match that turns it into runs, each delivery attempt of those runs —
// to an OTLP/HTTP collector, as OTLP's JSON encoding. It is enabled by
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and
// has no dependency beyond the standard library: berth's spans are few and
// simple, and the OpenTelemetry SDK with its OTLP exporter would bring gRPC
// and protobuf into every build for them.
//
// Trace and span ids are derived from the ids berth already has (the
// event's, the run's) rather than carried in jobs: the match and the
// deliveries of one event land in one trace even across a crash and a
// restart, with no change to what is stored.
package tracing

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/engine"
)

// Span kinds and status codes of OTLP.
const (
	kindInternal = 1
	kindClient   = 3

	statusOK    = 1
	statusError = 2
)

// span is one finished span, in OTLP's JSON shape.
type span struct {
	TraceID      string      `json:"traceId"`
	SpanID       string      `json:"spanId"`
	ParentSpanID string      `json:"parentSpanId,omitempty"`
	Name         string      `json:"name"`
	Kind         int         `json:"kind"`
	Start        int64       `json:"startTimeUnixNano,string"`
	End          int64       `json:"endTimeUnixNano,string"`
	Attributes   []attribute `json:"attributes,omitempty"`
	Status       status      `json:"status"`
}

type status struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

type attribute struct {
	Key   string `json:"key"`
	Value value  `json:"value"`
}

type value struct {
	String *string `json:"stringValue,omitempty"`
	Int    *int64  `json:"intValue,string,omitempty"`
}

func str(k, v string) attribute { return attribute{Key: k, Value: value{String: &v}} }
func num(k string, v int64) attribute {
	return attribute{Key: k, Value: value{Int: &v}}
}

// ids derives a trace id (16 bytes) or span id (8 bytes), in hex, from
// berth ids.
func traceID(parts ...string) string { return derive(16, parts) }
func spanID(parts ...string) string  { return derive(8, parts) }

func derive(n int, parts []string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:n])
}

// eventSpans are the spans of one matched event: the event itself, from
// its commit to the end of its match, and the match.
func eventSpans(ev *berth.Event, start, end time.Time, runs int, err error) []span {
	trace := traceID(ev.ID)
	at := start
	if t, perr := time.Parse(berth.TimeFormat, ev.Trigger.At); perr == nil && t.Before(start) {
		at = t
	}
	root := span{TraceID: trace, SpanID: spanID(ev.ID, "event"), Name: "berth.event " + ev.ResourceType + " " + ev.Action,
		Kind: kindInternal, Start: at.UnixNano(), End: end.UnixNano(), Status: status{Code: statusOK},
		Attributes: eventAttributes(ev)}
	match := span{TraceID: trace, SpanID: spanID(ev.ID, "match"), ParentSpanID: root.SpanID, Name: "berth.match",
		Kind: kindInternal, Start: start.UnixNano(), End: end.UnixNano(), Status: status{Code: statusOK},
		Attributes: []attribute{str("berth.event.id", ev.ID), num("berth.runs.created", int64(runs))}}
	if err != nil {
		match.Status = status{Code: statusError, Message: err.Error()}
	}
	return []span{root, match}
}

func eventAttributes(ev *berth.Event) []attribute {
	attrs := []attribute{str("berth.event.id", ev.ID), str("berth.event.resource", ev.ResourceType),
		str("berth.event.action", ev.Action), str("berth.event.origin", ev.Trigger.Origin)}
	switch ev.ResourceType {
	case berth.ResourceEntity:
		attrs = append(attrs, str("berth.blueprint", ev.Blueprint), str("berth.entity", ev.Entity))
	case berth.ResourceRun:
		attrs = append(attrs, str("berth.run.id", ev.RunID), str("berth.action", ev.ActionIdentifier))
	}
	return attrs
}

// Attempt is a delivery attempt as the engine reports it.
type Attempt = engine.Attempt

// attemptSpan is a delivery attempt's span: in the trace of the event that
// made the run (under its match) for automation runs, in a trace of its own
// run otherwise.
func attemptSpan(a Attempt) span {
	s := span{SpanID: spanID(a.Run.ID, "attempt", itoa(a.Number), itoa(int(a.Start.UnixNano()))),
		Name: "berth.deliver " + a.Backend, Kind: kindClient, Start: a.Start.UnixNano(), End: a.Start.Add(a.Took).UnixNano(),
		Status: status{Code: statusOK},
		Attributes: []attribute{str("berth.run.id", a.Run.ID), str("berth.action", a.Run.Action.Identifier),
			str("berth.backend", a.Backend), str("berth.delivery.outcome", a.Outcome), num("berth.delivery.attempt", int64(a.Number))}}
	if eventID, _, ok := strings.Cut(a.Run.IdempotencyKey, "/"); ok && a.Run.Automation != "" {
		s.TraceID, s.ParentSpanID = traceID(eventID), spanID(eventID, "match")
	} else {
		s.TraceID = traceID(a.Run.ID)
	}
	if a.StatusCode != 0 {
		s.Attributes = append(s.Attributes, num("http.response.status_code", int64(a.StatusCode)))
	}
	if a.Outcome != "delivered" {
		s.Status = status{Code: statusError, Message: a.Error}
	}
	return s
}
