package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

func TestRunApprovalsAndSealedPayloads(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		run := &berth.Run{ID: "r_1", Status: berth.RunWaitingForApproval, Action: berth.Ref{Identifier: "a"}, Source: "API",
			Properties: map[string]any{}, CreatedAt: "2024-01-01T00:00:00.000Z", UpdatedAt: "2024-01-01T00:00:00.000Z"}
		mustWrite(t, db, func(q *store.Queries) error {
			if _, err := q.InsertRun(ctx, run, json.RawMessage(`{}`)); err != nil {
				return err
			}
			if err := q.SetRunSealedPayload(ctx, run.ID, "sealed"); err != nil {
				return err
			}
			return q.InsertApprovers(ctx, run.ID, []berth.Approver{
				{UserID: "b@x", State: berth.ApprovalPending, Required: true}, {UserID: "a@x", State: berth.ApprovalPending}})
		})
		if sealed, err := db.Read().RunSealedPayload(ctx, run.ID); err != nil || sealed != "sealed" {
			t.Fatalf("sealed payload = %q, %v", sealed, err)
		}

		decide := func(a berth.Approver) error {
			return db.Write(ctx, func(q *store.Queries) error { return q.DecideApproval(ctx, run.ID, a) })
		}
		if err := decide(berth.Approver{UserID: "b@x", State: berth.ApprovalApproved, Description: "ok", DecidedAt: "2024-01-01T00:00:01.000Z"}); err != nil {
			t.Fatal(err)
		}
		if err := decide(berth.Approver{UserID: "b@x", State: berth.ApprovalDeclined, DecidedAt: "2024-01-01T00:00:02.000Z"}); berth.ErrorCode(err) != berth.CodeConflict {
			t.Fatalf("second decision: %v, want conflict", err)
		}
		if err := decide(berth.Approver{UserID: "client", State: berth.ApprovalApproved, DecidedAt: "2024-01-01T00:00:03.000Z"}); err != nil {
			t.Fatalf("a decision by someone outside the snapshot (an organization token): %v", err)
		}
		got, err := db.Read().Approvers(ctx, run.ID)
		if err != nil || len(got) != 3 || got[0].UserID != "b@x" || !got[0].Required || got[0].Description != "ok" ||
			got[1].UserID != "client" || got[2].State != berth.ApprovalPending {
			t.Fatalf("approvers (decided first, in order) = %+v, %v", got, err)
		}

		// A status change applies only from the status it was read in.
		next := *run
		next.Status = berth.RunInProgress
		mustWrite(t, db, func(q *store.Queries) error { return q.UpdateRunFrom(ctx, &next, berth.RunWaitingForApproval) })
		err = db.Write(ctx, func(q *store.Queries) error { return q.UpdateRunFrom(ctx, &next, berth.RunWaitingForApproval) })
		if berth.ErrorCode(err) != berth.CodeConflict {
			t.Fatalf("stale update: %v, want conflict", err)
		}
		next.ID = "r_none"
		if err := db.Write(ctx, func(q *store.Queries) error { return q.UpdateRunFrom(ctx, &next, "") }); !berth.IsNotFound(err) {
			t.Fatalf("update of a missing run: %v", err)
		}
	})
}

func TestPermissionsCredentialsAndSecrets(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		bp := &berth.Blueprint{Identifier: "_user", Title: "User", Schema: berth.BlueprintSchema{Properties: map[string]berth.Property{}}}
		user := &berth.Entity{Identifier: "jane@x", Blueprint: "_user", Team: []string{}, Properties: map[string]any{}, Relations: map[string]any{}}
		a := &berth.Action{ID: "action_1", Identifier: "deploy", TriggerType: berth.TriggerSelfService, Doc: json.RawMessage(`{}`)}
		perms := berth.DefaultPermissions()
		perms.Execute.Users = []string{"jane@x"}
		mustWrite(t, db, func(q *store.Queries) error {
			for _, f := range []func() error{
				func() error { return q.InsertBlueprint(ctx, bp) },
				func() error { _, err := q.InsertEntity(ctx, user); return err },
				func() error { return q.InsertAction(ctx, a) },
				func() error { return q.SetActionPermissions(ctx, "deploy", perms) },
				func() error {
					return q.InsertUserCredential(ctx, &store.UserCredential{ClientID: "uc_1", UserID: "jane@x", SecretHash: "h", CreatedAt: "t"})
				},
				func() error {
					return q.InsertSecret(ctx, &berth.Secret{Name: "tok", CreatedAt: "t", UpdatedAt: "t"}, "sealed-1")
				},
			} {
				if err := f(); err != nil {
					return err
				}
			}
			return nil
		})
		r := db.Read()
		if p, err := r.ActionPermissions(ctx, "deploy"); err != nil || p.Execute.Users[0] != "jane@x" {
			t.Fatalf("permissions = %+v, %v", p, err)
		}
		if p, err := r.ActionPermissions(ctx, "other"); err != nil || p.Approve.Roles[0] != berth.RoleAdmin {
			t.Fatalf("default permissions = %+v, %v", p, err)
		}
		if c, err := r.UserCredential(ctx, "uc_1"); err != nil || c.UserID != "jane@x" {
			t.Fatalf("credential = %+v, %v", c, err)
		}
		err := db.Write(ctx, func(q *store.Queries) error {
			return q.InsertSecret(ctx, &berth.Secret{Name: "tok", CreatedAt: "t", UpdatedAt: "t"}, "x")
		})
		if berth.ErrorCode(err) != berth.CodeConflict {
			t.Fatalf("duplicate secret: %v", err)
		}
		mustWrite(t, db, func(q *store.Queries) error {
			return q.UpdateSecret(ctx, &berth.Secret{Name: "tok", UpdatedAt: "t2"}, "sealed-2")
		})
		if list, sealed, err := r.Secrets(ctx); err != nil || len(list) != 1 || sealed[0] != "sealed-2" || list[0].UpdatedAt != "t2" {
			t.Fatalf("secrets = %+v %v, %v", list, sealed, err)
		}

		// Deleting the action and the user takes their rows with them.
		mustWrite(t, db, func(q *store.Queries) error {
			if err := q.DeleteAction(ctx, "deploy"); err != nil {
				return err
			}
			if err := q.DeleteEntity(ctx, "_user", "jane@x"); err != nil {
				return err
			}
			return q.DeleteSecret(ctx, "tok")
		})
		if p, err := r.ActionPermissions(ctx, "deploy"); err != nil || len(p.Execute.Users) != 0 {
			t.Fatalf("permissions of a deleted action = %+v, %v", p, err)
		}
		if _, err := r.UserCredential(ctx, "uc_1"); !berth.IsNotFound(err) {
			t.Fatalf("credential of a deleted user: %v", err)
		}
		if _, _, err := r.Secret(ctx, "tok"); !berth.IsNotFound(err) {
			t.Fatalf("deleted secret: %v", err)
		}
	})
}
