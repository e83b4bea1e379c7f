-- The partner portal: one-time sign-in links, partner sessions (apart from
-- users' sessions) and the throttling of link requests. Tokens are stored
-- only as their SHA-256 (HashKey); requests keep only hashes of the email
-- and IP they are counted by.
CREATE TABLE partner_sign_in_links (
    token_hash TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    created_at {{timestamptz}} NOT NULL,
    expires_at {{timestamptz}} NOT NULL,
    used_at    {{timestamptz}}
);
CREATE INDEX partner_sign_in_links_partner ON partner_sign_in_links (partner_id);

CREATE TABLE partner_sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    vendor_id    TEXT NOT NULL REFERENCES vendors (id),
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{timestamptz}} NOT NULL,
    last_seen_at {{timestamptz}} NOT NULL
);
CREATE UNIQUE INDEX partner_sessions_token ON partner_sessions (token_hash);
CREATE INDEX partner_sessions_partner ON partner_sessions (partner_id);

CREATE TABLE partner_sign_in_requests (
    key_hash     TEXT NOT NULL,
    requested_at {{timestamptz}} NOT NULL
);
CREATE INDEX partner_sign_in_requests_key ON partner_sign_in_requests (key_hash, requested_at);

-- Unsubscribe links of optional emails: one per email sent, for a partner
-- or a user (the other id is '').
CREATE TABLE unsubscribe_links (
    token_hash TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    partner_id TEXT NOT NULL DEFAULT '',
    user_id    TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    created_at {{timestamptz}} NOT NULL
);

-- Optional emails a vendor's user turned off (partners keep theirs in
-- partner_settings.notifications).
CREATE TABLE user_mail_opt_outs (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at {{timestamptz}} NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The weekly summary sent for a vendor's week (starting at week_start, in
-- the vendor's time zone): its primary key makes it once per week, however
-- many instances run the job.
CREATE TABLE weekly_summaries (
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    week_start {{timestamptz}} NOT NULL,
    sent_at    {{timestamptz}} NOT NULL,
    PRIMARY KEY (vendor_id, week_start)
);
