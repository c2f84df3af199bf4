-- Organization secrets (spec 8.6, 11.8). value is sealed with the secrets
-- key (BERTH_SECRETS_KEY); it is never stored or returned in clear.
CREATE TABLE secrets (
    name        TEXT PRIMARY KEY,
    description TEXT,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- The rendered payload of a run with secrets in clear, sealed with the
-- secrets key: what backends get. NULL when the stored (masked) payload in
-- doc is what is sent.
ALTER TABLE runs ADD COLUMN sealed_payload TEXT;

-- Who may approve a run, taken from the action's permissions when the run
-- was created (spec 7.7), and what each of them decided. required marks the
-- approvers an ALL approval waits for.
CREATE TABLE run_approvers (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    required    INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    decided_at  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, user_id)
);

-- Execute and approve permissions of self-service actions (spec 3.6); an
-- action without a row has the default permissions.
CREATE TABLE action_permissions (
    action     TEXT PRIMARY KEY REFERENCES actions (identifier) ON DELETE CASCADE,
    doc        TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- API credentials that act as a user (a _user entity). Only a SHA-256 of the
-- secret is kept; deleting the user deletes them.
CREATE TABLE user_credentials (
    client_id   TEXT PRIMARY KEY,
    blueprint   TEXT NOT NULL DEFAULT '_user' CHECK (blueprint = '_user'),
    user_id     TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    FOREIGN KEY (blueprint, user_id) REFERENCES entities (blueprint, identifier) ON DELETE CASCADE
);
CREATE INDEX user_credentials_user ON user_credentials (user_id);
