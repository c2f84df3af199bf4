// Package upsert delivers UPSERT_ENTITY invocations (spec 6.7) in-process:
// the rendered mapping is merge-upserted into the catalog (the equivalent of
// POST /v1/blueprints/{blueprint}/entities?upsert=true&merge=true), and the
// run finishes at once: SUCCESS with the entity tied to it, or FAILURE with
// the validation error.
//
// The write is made on behalf of the run: its events carry the run id, the
// run's chain depth and its automation, so they fire further automations
// (ENTITY_CREATED, ENTITY_UPDATED, ...) under the engine's loop protection:
// an automation never fires on its own upserts, and chains stop at the
// maximum depth.
package upsert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/service"
)

// Catalog is the catalog write the backend needs; *service.Catalog has it.
type Catalog interface {
	CreateEntity(ctx context.Context, ch service.Change, blueprint string, raw []byte, opt service.WriteOptions) (*berth.Entity, bool, error)
}

// Backend delivers UPSERT_ENTITY invocations.
type Backend struct {
	Catalog Catalog
	// Log receives the details of unexpected write failures, which the run
	// does not show (default slog.Default()).
	Log *slog.Logger
}

var _ delivery.Backend = (*Backend)(nil)

// New returns a Backend writing to catalog.
func New(catalog Catalog, log *slog.Logger) *Backend { return &Backend{Catalog: catalog, Log: log} }

type invocation struct {
	Blueprint string          `json:"blueprintIdentifier"`
	Mapping   json.RawMessage `json:"mapping"`
}

// Deliver writes the entity. A write the catalog refuses (a bad mapping, an
// unknown blueprint or relation target) fails the run with the catalog's
// message; a store failure is retried.
func (b *Backend) Deliver(ctx context.Context, req delivery.Request) delivery.Result {
	var inv invocation
	if err := json.Unmarshal(req.Payload, &inv); err != nil {
		return failed("", "the rendered invocation is not an UPSERT_ENTITY invocation: "+err.Error())
	}
	target := "blueprint " + inv.Blueprint
	if inv.Blueprint == "" {
		return failed(target, "the rendered blueprintIdentifier is empty")
	}
	var head struct {
		Identifier any `json:"identifier"`
	}
	if err := json.Unmarshal(inv.Mapping, &head); err != nil {
		return failed(target, "the rendered mapping is not a JSON object")
	}
	if id, _ := head.Identifier.(string); id == "" {
		return failed(target, "the rendered mapping has no identifier: UPSERT_ENTITY needs mapping.identifier to know which entity to create or update")
	}
	e, created, err := b.Catalog.CreateEntity(ctx, change(req), inv.Blueprint, inv.Mapping, service.WriteOptions{Upsert: true, Merge: true})
	if err != nil {
		return b.writeFailure(req, target, err)
	}
	verb := "Updated"
	if created {
		verb = "Created"
	}
	msg := fmt.Sprintf("%s entity %s of blueprint %s", verb, e.Identifier, e.Blueprint)
	return delivery.Result{Outcome: delivery.Delivered, Target: target, Logs: []string{msg},
		Progress: &delivery.Progress{Entity: &delivery.EntityRef{Blueprint: e.Blueprint, Identifier: e.Identifier, Title: e.Title}},
		Finish:   &delivery.Finish{Status: berth.RunSuccess, Summary: msg}}
}

// change is the provenance of the write: the run, its depth and its
// automation (loop protection), by the run's initiator.
func change(req delivery.Request) service.Change {
	run := req.Run
	actor := berth.Actor{OrgID: req.OrgID, ByPort: true}
	if run.Source != berth.OriginAutomation && run.CreatedBy != "" {
		actor = berth.Actor{OrgID: req.OrgID, UserID: run.CreatedBy}
	}
	return service.Change{Actor: actor, Origin: berth.OriginAutomation, RunID: run.ID, Depth: run.Depth, CausedBy: run.Automation}
}

func (b *Backend) writeFailure(req delivery.Request, target string, err error) delivery.Result {
	var e *berth.Error
	if errors.As(err, &e) && e.Code != berth.CodeInternal {
		return failed(target, "Upserting the entity failed: "+describe(e))
	}
	log := b.Log
	if log == nil {
		log = slog.Default()
	}
	log.Error("UPSERT_ENTITY write failed; retrying", "run", req.Run.ID, "attempt", req.Attempt, "err", err)
	return delivery.Result{Outcome: delivery.Retry, Target: target, Error: "the catalog write failed unexpectedly (the server log has the details)"}
}

// describe is a validation error's message followed by its field errors,
// each once: the catalog's message already says the first one.
func describe(e *berth.Error) string {
	msg := e.Message
	for _, f := range e.Fields {
		said := f.Message
		if f.Field != "" {
			said = f.Field + ": " + f.Message
		}
		switch {
		case strings.Contains(e.Message, said):
		case f.Field == "":
			msg += "; " + f.Message
		default:
			msg += "; " + strings.TrimPrefix(f.Field, "/") + ": " + f.Message
		}
	}
	return msg
}

func failed(target, msg string) delivery.Result {
	return delivery.Result{Outcome: delivery.Failed, Target: target, Error: msg,
		Finish: &delivery.Finish{Status: berth.RunFailure, Summary: msg}}
}
