-- Settings of the one organization berth serves: ids, credentials, keys.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Blueprints, stored as the JSON document the API returns.
CREATE TABLE blueprints (
    identifier TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Entities, one row each, stored as the JSON document the API returns.
CREATE TABLE entities (
    blueprint  TEXT NOT NULL REFERENCES blueprints (identifier),
    identifier TEXT NOT NULL,
    doc        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (blueprint, identifier)
);

-- The change log: one row per committed change, written in the same
-- transaction as the change. seq is the commit order consumers follow.
CREATE TABLE events (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    resource_type     TEXT NOT NULL,
    action            TEXT NOT NULL,
    status            TEXT NOT NULL,
    blueprint         TEXT NOT NULL DEFAULT '',
    entity            TEXT NOT NULL DEFAULT '',
    property          TEXT NOT NULL DEFAULT '',
    run_id            TEXT NOT NULL DEFAULT '',
    action_identifier TEXT NOT NULL DEFAULT '',
    linked_run_id     TEXT NOT NULL DEFAULT '',
    origin            TEXT NOT NULL,
    at                TEXT NOT NULL,
    trigger_doc       TEXT NOT NULL,
    before_doc        TEXT,
    after_doc         TEXT,
    depth             INTEGER NOT NULL DEFAULT 0,
    caused_by         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_entity ON events (blueprint, entity, seq);
-- Partial: most events are about no run, and every index entry costs a
-- write on the hot path. Queries repeat the condition so the index applies.
CREATE INDEX events_run ON events (run_id, seq) WHERE run_id <> '';
CREATE INDEX events_linked_run ON events (linked_run_id, seq) WHERE linked_run_id <> '';
