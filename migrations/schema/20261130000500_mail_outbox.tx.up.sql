-- The mail outbox: a message is stored in the transaction of the change that
-- causes it and sent by the worker of any instance. status is pending until
-- sent, failed (refused for good, or still failing after three days),
-- expired (the one-time link it carries died first) or skipped (no SMTP
-- server configured). A worker claims a pending message by setting
-- claimed_until (a lease); message_id is fixed at the first claim, so a
-- resend after a crash carries the same Message-ID. The bodies, which may
-- hold a one-time link, are emptied once the message leaves pending.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    vendor_id       TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    from_name       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    unsubscribe_url TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{timestamptz}} NOT NULL,
    claimed_until   {{timestamptz}},
    expires_at      {{timestamptz}},
    sent_at         {{timestamptz}},
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      {{timestamptz}} NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX mail_outbox_vendor ON mail_outbox (vendor_id, created_at);
