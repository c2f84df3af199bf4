-- Self-service actions and automations, one collection (identifiers are
-- unique across both). doc is the definition as the client wrote it.
CREATE TABLE actions (
    identifier   TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    trigger_type TEXT NOT NULL,
    event_type   TEXT NOT NULL DEFAULT '',
    blueprint    TEXT NOT NULL DEFAULT '',
    action_ref   TEXT NOT NULL DEFAULT '',
    property     TEXT NOT NULL DEFAULT '',
    operation    TEXT NOT NULL DEFAULT '',
    published    INTEGER NOT NULL,
    doc          TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE INDEX actions_event ON actions (event_type, blueprint, action_ref);

-- Runs, stored as the v2 JSON document plus the columns their filters use.
-- idempotency_key makes "one event x one automation" create one run, ever.
CREATE TABLE runs (
    id              TEXT PRIMARY KEY,
    action          TEXT NOT NULL,
    status          TEXT NOT NULL,
    source          TEXT NOT NULL,
    blueprint       TEXT NOT NULL DEFAULT '',
    entity          TEXT NOT NULL DEFAULT '',
    external_run_id TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    depth           INTEGER NOT NULL DEFAULT 0,
    automation      TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    doc             TEXT NOT NULL,
    trigger_data    TEXT
);
CREATE INDEX runs_created ON runs (created_at);
CREATE INDEX runs_action ON runs (action, created_at);
CREATE INDEX runs_entity ON runs (entity, created_at) WHERE entity <> '';
CREATE INDEX runs_external ON runs (external_run_id) WHERE external_run_id <> '';

CREATE TABLE run_logs (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    message    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX run_logs_run ON run_logs (run_id, seq);

-- Every delivery attempt of a run, with what happened.
CREATE TABLE run_attempts (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    at          TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    target      TEXT NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    response    TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL,
    PRIMARY KEY (run_id, n)
);

-- The durable work queue: event matching, deliveries and timers. A job is
-- claimed by a worker for a lease; an expired lease makes it claimable
-- again. Jobs sharing an ordering_key run one at a time in id order.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    ref          TEXT NOT NULL,
    ordering_key TEXT NOT NULL DEFAULT '',
    payload      TEXT NOT NULL DEFAULT '',
    run_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT NOT NULL DEFAULT '',
    locked_until INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT ''
);
-- Unleased jobs by kind, in claim order; leased ones by lease expiry; jobs
-- by ordering key (also how a timer's job is found to disarm it). Jobs live
-- for milliseconds, so every index here is paid for on each of them.
CREATE INDEX jobs_ready ON jobs (kind, id) WHERE locked_until = 0;
CREATE INDEX jobs_leased ON jobs (locked_until) WHERE locked_until > 0;
CREATE INDEX jobs_ordering ON jobs (ordering_key, id);
