-- Outbound webhooks (Standard Webhooks 1.0). A vendor's endpoints say which
-- event types they want (events: a JSON array; "*" is every type but
-- link.clicked). secret is sealed by TALLY_SECRET_KEY; during a rotation
-- previous_secret stays valid until previous_expires_at and both signatures
-- are sent. failing_since is the first failed attempt since the last
-- success: an endpoint failing for five days is disabled.
CREATE TABLE webhook_endpoints (
    id                  TEXT PRIMARY KEY,
    vendor_id           TEXT NOT NULL REFERENCES vendors (id),
    url                 TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    events              TEXT NOT NULL,
    status              TEXT NOT NULL,
    disabled_reason     TEXT NOT NULL DEFAULT '',
    secret              TEXT NOT NULL,
    previous_secret     TEXT NOT NULL DEFAULT '',
    previous_expires_at {{timestamptz}},
    failing_since       {{timestamptz}},
    created_at          {{timestamptz}} NOT NULL,
    updated_at          {{timestamptz}} NOT NULL
);
CREATE INDEX webhook_endpoints_vendor ON webhook_endpoints (vendor_id, id);

-- The outbox: an event is written in the transaction of the change it
-- tells about, with one delivery per endpoint that wants it; payload is
-- the exact body sent (the envelope {id, type, created_at, data}).
CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at {{timestamptz}} NOT NULL
);
CREATE INDEX webhook_events_vendor ON webhook_events (vendor_id, id);

-- A delivery is pending until it succeeds or its last retry fails. A
-- worker claims a due one by setting claimed_until (a lease); attempts
-- counts the failed tries of the current schedule (a retry by hand starts
-- a new one).
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    vendor_id        TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  {{timestamptz}} NOT NULL,
    claimed_until    {{timestamptz}},
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    delivered_at     {{timestamptz}},
    created_at       {{timestamptz}} NOT NULL,
    updated_at       {{timestamptz}} NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- Every attempt, for the vendor: the answer's status, how long it took, the
-- first kilobyte of its body, or the error.
CREATE TABLE webhook_attempts (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     {{timestamptz}} NOT NULL,
    status_code      INTEGER NOT NULL DEFAULT 0,
    duration_ms      INTEGER NOT NULL DEFAULT 0,
    response_excerpt TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
