package service

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/jqtemplate"
	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/store"
)

// NewRun is a run prepared outside any transaction (rendered, its secrets
// masked) and stored with StoreRun. Automations (package engine) and
// self-service executions (Execution) both make runs this way.
type NewRun struct {
	Run *berth.Run
	// TriggerData is what the templates see, without secrets: it is
	// stored with the run.
	TriggerData json.RawMessage
	// Logs are lines to add to the run's log when it is stored.
	Logs []string
	// Trigger is the trigger of its RUN_CREATED event.
	Trigger berth.Trigger
	// DeliverKey is the ordering key of its delivery job ("" runs in
	// parallel with everything).
	DeliverKey string
	// Data, when set, is TriggerData prepared for rendering already (see
	// automation.PreparedTriggerData); it is used unless secrets are added.
	Data *jqtemplate.Data
	// Unwatched says no automation listens to this action's runs: the
	// RUN_CREATED event is recorded but not queued for matching.
	Unwatched bool

	sealed string // the payload with secrets in clear, sealed; "" when the stored one is sent
}

// Renderer renders invocations into runs: secrets in clear for the
// backend, masked in everything stored.
type Renderer struct {
	DB  *store.DB
	Key *seal.Key // the secrets key
	// Strict fails a run whose template expressions fail, instead of
	// rendering them as null with a log line (BERTH_TEMPLATE_STRICT).
	Strict bool

	batch *secretsOnce // set by Batch
}

// secretsOnce holds the organization's secrets, read on first use.
type secretsOnce struct {
	once   sync.Once
	values map[string]string
	err    error
}

// Batch returns a Renderer for a batch of runs rendered together: it reads
// and opens the organization's secrets at most once, for all of them.
func (rd *Renderer) Batch() *Renderer {
	b := *rd
	b.batch = &secretsOnce{}
	return &b
}

func (rd *Renderer) secrets(ctx context.Context) (map[string]string, error) {
	if rd.batch == nil {
		return secretValues(ctx, rd.DB.Read(), rd.Key)
	}
	rd.batch.once.Do(func() { rd.batch.values, rd.batch.err = secretValues(ctx, rd.DB.Read(), rd.Key) })
	return rd.batch.values, rd.batch.err
}

// sealedPayload is what a run's sealed_payload holds: the payload as sent,
// and the secret values to mask in whatever comes back.
type sealedPayload struct {
	Payload json.RawMessage `json:"payload"`
	Masks   []string        `json:"masks"`
}

// Render renders a's invocation against nr.TriggerData into nr.Run.Payload.
// When the action's definition mentions secrets, the organization's
// secrets are added to the data as "secrets" (and only then, so "{{ . }}"
// shows none). masks are further values to hide (secret inputs' plaintext).
// Every secret value is masked in the stored payload and log lines; the
// payload as sent is sealed. Failing expressions render as null with a log
// line, or fail the run in strict mode. The error is the store's.
func (rd *Renderer) Render(ctx context.Context, a *action.Compiled, nr *NewRun, masks ...string) error {
	data, prepared := nr.TriggerData, nr.Data
	if bytes.Contains(a.Doc, []byte("secrets")) {
		secrets, err := rd.secrets(ctx)
		if err != nil {
			return err
		}
		if prepared != nil {
			if prepared, err = prepared.With("secrets", secrets); err != nil {
				return err
			}
		} else if data, err = withSecrets(data, secrets); err != nil {
			return err
		}
		for _, v := range secrets {
			masks = append(masks, v)
		}
	}
	masker := seal.NewMasker(masks...)
	payload, logs, err := rd.render(ctx, a, data, prepared)
	nr.Logs = append(nr.Logs, masker.Strings(logs)...)
	if err != nil {
		nr.Run.Payload = json.RawMessage("null")
		failRun(nr.Run, masker.String("the invocation template failed: "+err.Error()))
		nr.Logs = append(nr.Logs, masker.String("template: "+err.Error()))
		return nil
	}
	nr.Run.Payload = masker.JSON(payload)
	if !bytes.Equal(nr.Run.Payload, payload) {
		b, err := berth.MarshalJSON(sealedPayload{Payload: payload, Masks: masker.Values()})
		if err != nil {
			return err
		}
		nr.sealed = rd.Key.Seal(b)
	}
	return nil
}

// render returns the rendered payload and the log lines its warnings make,
// or why it failed.
func (rd *Renderer) render(ctx context.Context, a *action.Compiled, triggerData json.RawMessage, data *jqtemplate.Data) (json.RawMessage, []string, error) {
	var logs []string
	var err error
	if data == nil {
		data, err = jqtemplate.ParseData(triggerData)
	}
	var res jqtemplate.Result
	if err == nil {
		res, err = a.Invocation.Render(ctx, data, jqtemplate.Options{Strict: rd.Strict})
	}
	for _, w := range res.Warnings {
		logs = append(logs, "template: "+w.Error()+" (rendered as null)")
	}
	var payload json.RawMessage
	if err == nil {
		payload, err = jqtemplate.Marshal(res.Value)
	}
	return payload, logs, err
}

// withSecrets returns trigger data (a JSON object) with "secrets" added.
func withSecrets(triggerData json.RawMessage, secrets map[string]string) (json.RawMessage, error) {
	s, err := json.Marshal(secrets)
	if err != nil {
		return nil, err
	}
	td := bytes.TrimRight(triggerData, " \t\r\n")
	out := make([]byte, 0, len(td)+len(s)+12)
	out = append(out, td[:len(td)-1]...)
	if len(bytes.TrimSpace(td[1:len(td)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"secrets":`...)
	out = append(out, s...)
	return append(out, '}'), nil
}

// StoreRun stores a prepared run in the caller's transaction, unless a run
// with its idempotency key exists (then it stores nothing and returns
// false): the run, its sealed payload, its log lines, its RUN_CREATED event
// and, when it is in progress, its delivery job.
func StoreRun(ctx context.Context, q *store.Queries, nr *NewRun) (bool, error) {
	n, err := StoreRuns(ctx, q, []*NewRun{nr})
	return n == 1, err
}

// StoreRuns is StoreRun for many runs, with one statement per table: it
// returns how many it stored.
func StoreRuns(ctx context.Context, q *store.Queries, runs []*NewRun) (int, error) {
	rows := make([]store.RunRow, len(runs))
	for i, nr := range runs {
		doc, err := berth.MarshalJSON(nr.Run)
		if err != nil {
			return 0, err
		}
		rows[i] = store.RunRow{Run: nr.Run, Doc: doc, TriggerData: nr.TriggerData, Sealed: nr.sealed}
	}
	inserted, err := q.InsertRuns(ctx, rows)
	if err != nil || len(inserted) == 0 {
		return 0, err
	}
	now := time.Now()
	var events []*berth.Event
	var jobs []store.Job
	for i, nr := range runs {
		if !inserted[nr.Run.ID] {
			continue
		}
		for _, l := range nr.Logs {
			if err := AddRunLog(ctx, q, nr.Run.ID, "berth", l, now); err != nil {
				return 0, err
			}
		}
		ev := runEvent(nr.Trigger, nil, nr.Run, rows[i].Doc)
		events = append(events, ev)
		if j, ok := matchJob(ev); ok && !nr.Unwatched {
			jobs = append(jobs, j)
		}
		if nr.Run.Status == berth.RunInProgress {
			jobs = append(jobs, store.Job{Kind: JobDeliver, Ref: nr.Run.ID, OrderingKey: nr.DeliverKey})
		}
	}
	if err := q.AppendEvents(ctx, events); err != nil {
		return 0, err
	}
	if err := q.EnqueueJobs(ctx, jobs, now); err != nil { // none: no statement
		return 0, err
	}
	return len(inserted), nil
}

// DeliveryPayload returns what a run's backend gets: the payload with its
// secrets in clear, and a Masker for the secret values, to hide them in
// whatever the backend answers. Runs without secrets get their stored
// payload and a Masker that masks nothing. Errors: not_found.
func DeliveryPayload(ctx context.Context, q *store.Queries, key *seal.Key, run *berth.Run) (json.RawMessage, seal.Masker, error) {
	sealed, err := q.RunSealedPayload(ctx, run.ID)
	if err != nil {
		return nil, seal.Masker{}, err
	}
	return OpenPayload(key, run, sealed)
}

// OpenPayload is DeliveryPayload for a caller that read the run's sealed
// payload with the run (store.RunToSend).
func OpenPayload(key *seal.Key, run *berth.Run, sealed string) (json.RawMessage, seal.Masker, error) {
	if sealed == "" {
		return run.Payload, seal.Masker{}, nil
	}
	plain, err := key.Open(sealed)
	if err != nil {
		return nil, seal.Masker{}, err
	}
	var sp sealedPayload
	if err := json.Unmarshal(plain, &sp); err != nil {
		return nil, seal.Masker{}, err
	}
	return sp.Payload, seal.NewMasker(sp.Masks...), nil
}

// failRun finishes a new run with FAILURE and summary.
func failRun(r *berth.Run, summary string) {
	r.Status = berth.RunFailure
	r.Summary = &summary
	r.EndedAt = &r.UpdatedAt
}
