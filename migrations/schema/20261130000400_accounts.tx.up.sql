-- Dashboard accounts: users (an email names one user in the deployment),
-- server-side sessions, one-time links and failed sign-ins. Session tokens
-- and link tokens are stored only as their SHA-256 (HashKey); failed
-- sign-ins keep only hashes of the email and IP they are counted by.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    vendor_id     TEXT NOT NULL REFERENCES vendors (id),
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    {{timestamptz}} NOT NULL,
    updated_at    {{timestamptz}} NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_vendor ON users (vendor_id, id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vendor_id    TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{timestamptz}} NOT NULL,
    last_seen_at {{timestamptz}} NOT NULL
);
CREATE UNIQUE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);

-- vendor_id and user_id are '' for the first-run link.
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    vendor_id  TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    created_at {{timestamptz}} NOT NULL,
    expires_at {{timestamptz}} NOT NULL,
    used_at    {{timestamptz}}
);
CREATE INDEX account_links_user ON account_links (user_id);

CREATE TABLE sign_in_failures (
    key_hash  TEXT NOT NULL,
    failed_at {{timestamptz}} NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (key_hash, failed_at);
