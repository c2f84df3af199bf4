-- Runs waiting for an outside worker to claim them (spec 6.3, 7.10): an
-- INTEGRATION_ACTION run for its integration, an agent: true WEBHOOK run for
-- Port's execution agent in polling mode. A claim leases a run until
-- claimed_until (Unix ms); an acknowledged run is never handed out again.
CREATE TABLE pending_runs (
    run_id          TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    installation_id TEXT NOT NULL,
    invocation_type TEXT NOT NULL,
    action          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    acked_at        TEXT
);
CREATE INDEX pending_runs_claimable ON pending_runs (installation_id, created_at) WHERE acked_at IS NULL;
