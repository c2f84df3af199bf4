// Package delivery is the contract between berth's engine and its backends:
// a backend delivers a run's rendered invocation and says what happened as a
// typed Outcome; the engine records every attempt, retries with Policy, and
// finishes the run. One subpackage per backend implements Backend.
package delivery

import (
	"context"
	"encoding/json"
	"time"

	"github.com/berthdev/berth"
)

// Request is one delivery attempt of a run.
type Request struct {
	Run *berth.Run
	// Payload is the rendered invocation method, with secrets in clear: it
	// is what is sent, and is never stored as is.
	Payload json.RawMessage
	// Attempt is the number of this attempt, from 1.
	Attempt int
	// OrgID and ClientSecret identify the organization and sign what is sent.
	OrgID        string
	ClientSecret []byte
}

// Outcome says what became of an attempt.
type Outcome int

// Outcomes of an attempt.
const (
	// Delivered: the backend accepted the invocation.
	Delivered Outcome = iota
	// Retry: a transient failure; try again after Result.RetryAfter (or the
	// policy's delay when zero).
	Retry
	// Failed: a permanent failure; the run fails with Result.Summary.
	Failed
)

func (o Outcome) String() string {
	return [...]string{"delivered", "retry", "failed"}[o]
}

// Result is what a backend reports of one attempt.
type Result struct {
	Outcome    Outcome
	RetryAfter time.Duration
	// Target is where the attempt went (a URL, a topic); StatusCode, Error
	// and Response describe the answer for the attempt record.
	Target     string
	StatusCode int
	Error      string
	Response   string
	// Finish, when set, finishes the run (a synchronized webhook's answer,
	// an upsert done); otherwise a delivered run stays IN_PROGRESS until its
	// backend reports back through the runs API.
	Finish *Finish
	// Progress, when set, updates the run without finishing it (a link to
	// the CI job that was started, its external id).
	Progress *Progress
	// Follow, when set on a delivered result, asks the engine to call the
	// backend's Follow method after a while to report the run's progress
	// (a GitHub workflow run, a GitLab pipeline). The backend must
	// implement Follower.
	Follow *FollowUp
	// Logs are lines to add to the run's log.
	Logs []string
}

// Progress is what a backend learned about a run it started.
type Progress struct {
	Link          []string
	ExternalRunID string
	StatusLabel   string
	// Entity is the entity the run wrote (an UPSERT_ENTITY run). It becomes
	// the run's entity and blueprint when the run has none.
	Entity *EntityRef
	// InstallationID, when set, leaves the run for that installation (an
	// Ocean integration, Port's execution agent) to claim through
	// POST /v1/actions/runs/claim-pending: the run's pendingExecution
	// becomes true until a worker acknowledges it.
	InstallationID string
}

// EntityRef names an entity of a blueprint.
type EntityRef struct {
	Blueprint  string
	Identifier string
	Title      *string
}

// FollowUp schedules a call to Follower.Follow.
type FollowUp struct {
	After time.Duration   // how long to wait (the engine uses at least 1s)
	State json.RawMessage // handed back to Follow: what to look at
}

// Follower is implemented by backends that track what they started and
// report its outcome. Follow returns, like Deliver, a Result: Finish ends the
// run, Follow schedules another look, Retry tries the same look again later,
// Failed fails the run. It is never called for a finished run.
type Follower interface {
	Follow(ctx context.Context, req Request, state json.RawMessage) Result
}

// Finish is the end state a backend gives a run.
type Finish struct {
	Status   string // berth.RunSuccess or berth.RunFailure
	Summary  string
	Response json.RawMessage // stored as run.response (synchronized webhooks)
	Link     []string
}

// Backend delivers invocations of one type (WEBHOOK, KAFKA, ...).
// Implementations are safe for concurrent use.
type Backend interface {
	Deliver(ctx context.Context, req Request) Result
}

// Registry maps invocation types to the backend that delivers them. It is
// built once at start-up.
type Registry map[string]Backend

// Unavailable is the backend of an invocation type this berth is not
// configured for: every run of that type fails with the message, which
// should name the settings that would enable it.
type Unavailable string

var _ Backend = Unavailable("")

// Deliver fails the run.
func (u Unavailable) Deliver(context.Context, Request) Result {
	return Result{Outcome: Failed, Error: string(u)}
}
