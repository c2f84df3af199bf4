package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/automation"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// JobNotify is the job kind of an approval notification (ref = run id,
// payload = the approvalNotification of the action).
const JobNotify = "notify"

// Execution is the use cases of self-service runs: executing an action
// (spec 7.3), reporting progress (7.5, 7.6) and approving (7.7).
type Execution struct {
	db     *store.DB
	org    *Org
	render *Renderer
	cfg    ExecutionConfig
	now    func() time.Time

	actions sync.Map // identifier → *executable, replaced when the action changes
}

// ExecutionConfig tunes executions.
type ExecutionConfig struct {
	// StrictTemplates fails a run whose template expressions fail
	// (BERTH_TEMPLATE_STRICT).
	StrictTemplates bool
	// AllowSelfApproval lets the user who executed an action approve its
	// run (BERTH_ALLOW_SELF_APPROVAL); refused by default.
	AllowSelfApproval bool
}

// NewExecution returns the self-service run use cases over db.
func NewExecution(db *store.DB, org *Org, cfg ExecutionConfig) *Execution {
	return &Execution{db: db, org: org, cfg: cfg, now: time.Now,
		render: &Renderer{DB: db, Key: org.SecretsKey, Strict: cfg.StrictTemplates}}
}

// ExecuteRequest is the body of POST /v1/actions/{id}/runs, with the
// run_as query parameter.
type ExecuteRequest struct {
	Properties map[string]any `json:"properties"`
	Entity     *string        `json:"entity"`
	RunAs      string         `json:"-"`
}

// executable is a self-service action compiled for executing, cached until
// the action changes.
type executable struct {
	*action.Compiled
	inputs           *inputSpec
	title, icon      *string
	requiredApproval json.RawMessage
	notification     *Notification
	condition        *catalog.Query
}

// Notification is where an action's approval requests are announced
// (approvalNotification, spec 3.4).
type Notification struct {
	Type   string `json:"type"`
	URL    string `json:"url,omitempty"`
	Format string `json:"format,omitempty"`
}

// caller is who an execution is made by: the actor of its trigger, the
// user entity (nil for the organization's credentials) and, with run_as,
// the organization client that acts on the user's behalf.
type caller struct {
	actor          berth.Actor
	user           *berth.Entity
	impersonatedBy *string
}

// Execute runs a self-service action: it checks the caller's permission,
// the target entity and the inputs, renders the invocation and stores the
// run (IN_PROGRESS with its delivery job, or WAITING_FOR_APPROVAL with its
// approvers) and its RUN_CREATED event in one transaction. The run's
// references are not looked up again (see markDeleted): they name the
// action, blueprint and entity this execution has just read.
// Errors: not_found (action), forbidden, unprocessable (automation, entity,
// inputs, run_as).
func (x *Execution) Execute(ctx context.Context, ch Change, actionID string, req ExecuteRequest) (*berth.Run, error) {
	r := x.db.Read()
	a, err := x.executable(ctx, r, actionID)
	if err != nil {
		return nil, err
	}
	who, err := x.caller(ctx, r, ch, req.RunAs)
	if err != nil {
		return nil, err
	}
	entity, fields, err := x.target(ctx, r, a, req.Entity)
	if err != nil || len(fields) > 0 {
		return nil, invalidExecution(err, fields)
	}
	perms, err := r.ActionPermissions(ctx, a.Identifier)
	if err != nil {
		return nil, err
	}
	if !mayExecute(perms, who.user, entity) {
		return nil, berth.Errorf(berth.CodeForbidden, "%s may not execute action %q (see GET /v1/actions/%s/permissions)", who.actor.UserID, a.Identifier, a.Identifier)
	}
	if req.Properties == nil {
		return nil, berth.Invalid("the json provided does not match the route's schema", berth.FieldError{Field: "/properties", Message: "is required: the action's inputs ({} when it has none)"})
	}
	inputs, fields, err := checkInputs(ctx, r, a.inputs, req.Properties, x.org.ClientSecret)
	if err != nil || len(fields) > 0 {
		return nil, invalidExecution(err, fields)
	}
	nr, err := x.prepare(ctx, r, ch, a, who, entity, inputs)
	if err != nil {
		return nil, err
	}
	var approvers []berth.Approver
	if nr.Run.Status == berth.RunWaitingForApproval {
		users, err := allUsers(ctx, r)
		if err != nil {
			return nil, err
		}
		var leftOut []string
		approvers, leftOut = approverSnapshot(perms.Approve, users, a.RequiredApproval, nr.Run.CreatedBy, x.cfg.AllowSelfApproval)
		nr.Logs = append(nr.Logs, approvalLog(a, approvers, leftOut))
	}
	err = x.db.Write(ctx, func(q *store.Queries) error {
		if _, err := StoreRun(ctx, q, nr); err != nil || nr.Run.Status != berth.RunWaitingForApproval {
			return err
		}
		if err := q.InsertApprovers(ctx, nr.Run.ID, approvers); err != nil {
			return err
		}
		if a.notification == nil || a.notification.Type != "webhook" {
			return nil
		}
		payload, _ := json.Marshal(a.notification)
		return q.EnqueueJob(ctx, store.Job{Kind: JobNotify, Ref: nr.Run.ID, Payload: string(payload)}, x.now())
	})
	if err != nil {
		return nil, err
	}
	return nr.Run, nil
}

func invalidExecution(err error, fields []berth.FieldError) error {
	if err != nil {
		return err
	}
	return berth.Invalid("the execution is invalid: "+fields[0].Field+" "+fields[0].Message, fields...)
}

// approvalLog is the run's log line saying who may approve it, which
// users the approve rule lists by email were left out (leftOut) and, for
// an ALL approval, what completes it.
func approvalLog(a *executable, approvers []berth.Approver, leftOut []string) string {
	ids := make([]string, len(approvers))
	required := false
	for i, ap := range approvers {
		ids[i] = ap.UserID
		if ap.Required {
			ids[i] += " (required)"
			required = true
		}
	}
	msg := fmt.Sprintf("waiting for approval (%s) by: %s", a.RequiredApproval, strings.Join(ids, ", "))
	switch {
	case len(ids) == 0:
		msg = fmt.Sprintf("waiting for approval (%s); no user may approve it, only the organization's credentials", a.RequiredApproval)
	case a.RequiredApproval == "ALL" && !required:
		msg += "; no approver is required, so any one approval completes it"
	}
	if len(leftOut) > 0 {
		msg += "; left out: " + strings.Join(leftOut, ", ")
	}
	if a.notification == nil || a.notification.Type == "email" {
		msg += "; berth sends no approval emails (set approvalNotification to a webhook)"
	}
	return msg
}

// executable returns the compiled self-service action id.
// Errors: not_found, unprocessable (an automation).
func (x *Execution) executable(ctx context.Context, q *store.Queries, id string) (*executable, error) {
	a, err := q.Action(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.TriggerType != berth.TriggerSelfService {
		return nil, berth.Invalid("only self-service actions can be executed; automations run on their events",
			berth.FieldError{Field: "action", Message: id + " is an automation"})
	}
	if v, ok := x.actions.Load(id); ok && v.(*executable).UpdatedAt == a.UpdatedAt {
		return v.(*executable), nil
	}
	ex, err := compileExecutable(a)
	if err != nil {
		return nil, err
	}
	x.actions.Store(id, ex)
	return ex, nil
}

func compileExecutable(a *berth.Action) (*executable, error) {
	ca, err := action.Compile(a)
	if err != nil {
		return nil, err
	}
	ex := &executable{Compiled: ca, requiredApproval: json.RawMessage("false")}
	if ex.inputs, err = compileInputs(a); err != nil {
		return nil, err
	}
	var doc struct {
		Title                *string         `json:"title"`
		Icon                 *string         `json:"icon"`
		RequiredApproval     json.RawMessage `json:"requiredApproval"`
		ApprovalNotification *Notification   `json:"approvalNotification"`
		Trigger              struct {
			Condition *struct {
				Combinator string          `json:"combinator"`
				Rules      json.RawMessage `json:"rules"`
			} `json:"condition"`
		} `json:"trigger"`
	}
	if err := json.Unmarshal(a.Doc, &doc); err != nil {
		return nil, err
	}
	ex.title, ex.icon, ex.notification = doc.Title, doc.Icon, doc.ApprovalNotification
	if len(doc.RequiredApproval) > 0 {
		ex.requiredApproval = doc.RequiredApproval
	}
	if c := doc.Trigger.Condition; c != nil {
		raw, _ := json.Marshal(map[string]any{"combinator": cmp.Or(c.Combinator, "and"), "rules": c.Rules})
		if ex.condition, err = catalog.ParseQuery(raw); err != nil {
			return nil, berth.Errorf(berth.CodeUnprocessable, "the action's condition cannot be evaluated: %s", err.Error())
		}
	}
	return ex, nil
}

// caller works out who executes: the request's user, the organization's
// credentials, or with run_as (organization credentials only) the user
// named. Errors: forbidden, unprocessable (run_as).
func (x *Execution) caller(ctx context.Context, q *store.Queries, ch Change, runAs string) (*caller, error) {
	c := &caller{actor: ch.Actor}
	if ch.Actor.User != nil {
		if runAs != "" {
			return nil, berth.Errorf(berth.CodeForbidden, "run_as needs the organization's credentials (a machine token)")
		}
		e, err := userEntity(ctx, q, ch.Actor.UserID)
		if berth.IsNotFound(err) {
			return nil, berth.Errorf(berth.CodeForbidden, "user %s no longer exists", ch.Actor.UserID)
		}
		c.user = e
		return c, err
	}
	if runAs == "" {
		return c, nil
	}
	e, err := userEntity(ctx, q, runAs)
	if berth.IsNotFound(err) {
		e, err = userEntityFold(ctx, q, runAs)
	}
	if berth.IsNotFound(err) {
		return nil, berth.Invalid("run_as names no user", berth.FieldError{Field: "run_as", Message: "user " + quote(runAs) + " does not exist"})
	}
	if err != nil {
		return nil, err
	}
	user := userOf(e)
	if user.Status == UserDisabled {
		return nil, berth.Invalid("run_as names a disabled user", berth.FieldError{Field: "run_as", Message: "user " + quote(runAs) + " is disabled"})
	}
	by := ch.Actor.UserID
	c.actor = berth.Actor{OrgID: ch.Actor.OrgID, UserID: user.ID, User: &user}
	c.user, c.impersonatedBy = e, &by
	return c, nil
}

// userEntityFold finds the user whose email is email without regard to
// case, as mail systems compare them (run_as=CAROL@x.com names
// carol@x.com). Errors: not_found, also when two users would match.
func userEntityFold(ctx context.Context, q *store.Queries, email string) (*berth.Entity, error) {
	users, err := q.Entities(ctx, catalog.UserBlueprint)
	if err != nil {
		return nil, err
	}
	var found *berth.Entity
	for _, u := range users {
		if strings.EqualFold(u.Identifier, email) {
			if found != nil {
				return nil, berth.Errorf(berth.CodeNotFound, "user %q is ambiguous", email)
			}
			found = u
		}
	}
	if found == nil {
		return nil, berth.Errorf(berth.CodeNotFound, "user %q was not found", email)
	}
	return found, nil
}

// target returns the entity a DAY-2 or DELETE execution is for, checked
// against the action's blueprint and condition.
func (x *Execution) target(ctx context.Context, q *store.Queries, a *executable, id *string) (*berth.Entity, []berth.FieldError, error) {
	given := id != nil && *id != ""
	problem := func(msg string) (*berth.Entity, []berth.FieldError, error) {
		return nil, []berth.FieldError{{Field: "/entity", Message: msg}}, nil
	}
	switch {
	case a.Operation == "CREATE" && given:
		return problem("is not allowed: CREATE actions are not run on an entity")
	case !given && a.Operation != "CREATE" && a.Blueprint != "":
		return problem(fmt.Sprintf("is required: the identifier of the %q entity to run this %s action on", a.Blueprint, a.Operation))
	case !given:
		return nil, nil, nil
	case a.Blueprint == "":
		return problem("cannot be resolved: the action has no trigger.blueprintIdentifier")
	}
	e, err := q.Entity(ctx, a.Blueprint, *id)
	if berth.IsNotFound(err) {
		return problem(fmt.Sprintf("entity %q of blueprint %q does not exist", *id, a.Blueprint))
	}
	if err != nil || a.condition == nil {
		return e, nil, err
	}
	bp, err := q.Blueprint(ctx, a.Blueprint)
	if err != nil {
		return nil, nil, err
	}
	if !a.condition.Match(e, bp, x.now()) {
		return problem(fmt.Sprintf("entity %q does not meet the action's trigger.condition", *id))
	}
	return e, nil, nil
}

// prepare makes the run: its trigger data, the run document and the
// rendered payload.
func (x *Execution) prepare(ctx context.Context, q *store.Queries, ch Change, a *executable, who *caller,
	entity *berth.Entity, in *checkedInputs) (*NewRun, error) {
	at, by := berth.FormatTime(x.now()), Change{Actor: who.actor}.by()
	trigger := berth.Trigger{By: who.actor, Origin: berth.OriginAPI, At: at, Operation: a.Operation}
	run := &berth.Run{
		ID: berth.NewID("r_", 16), Status: berth.RunInProgress,
		Action:     berth.Ref{Identifier: a.Identifier, Title: a.title, Icon: a.icon},
		Properties: in.properties, RawProperties: in.raw, Source: berth.OriginAPI,
		RequiredApproval: a.requiredApproval, Link: []string{}, Response: json.RawMessage("null"),
		CreatedAt: at, CreatedBy: by, ImpersonatedBy: who.impersonatedBy,
		UpdatedAt: at, UpdatedBy: by, Depth: ch.Depth, Automation: ch.CausedBy,
	}
	if a.RequiredApproval != "" {
		run.Status = berth.RunWaitingForApproval
	}
	if a.Blueprint != "" {
		bp, err := q.Blueprint(ctx, a.Blueprint)
		if err != nil && !berth.IsNotFound(err) {
			return nil, err
		}
		run.Blueprint = &berth.Ref{Identifier: a.Blueprint}
		if bp != nil {
			run.Blueprint.Title, run.Blueprint.Icon = &bp.Title, bp.Icon
		}
	}
	if entity != nil {
		run.Entity = &berth.Ref{Identifier: entity.Identifier, Title: entity.Title, Icon: entity.Icon}
	}
	td, err := automation.SelfServiceTriggerData(automation.SelfService{Inputs: in.data, Trigger: trigger, Entity: entity,
		Action: a.Identifier, Blueprint: a.Blueprint, Encrypted: in.encrypted, RunID: run.ID})
	if err != nil {
		return nil, err
	}
	nr := &NewRun{Run: run, TriggerData: td, Trigger: trigger}
	if err := x.render.Render(ctx, a.Compiled, nr, in.masks...); err != nil {
		return nil, err
	}
	return nr, nil
}
