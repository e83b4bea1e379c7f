-- Every click token a signup carried, not only the one that credited it,
-- so the diagnosis shows each click that reached the vendor and why it did
-- or did not count (reason '' credited, older_click, expired, …). Tokens
-- that could not be read or belong to another vendor keep no ids.
CREATE TABLE signup_tokens (
    signup_id  TEXT NOT NULL REFERENCES signups (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    vendor_id  TEXT NOT NULL,
    click_id   TEXT NOT NULL DEFAULT '',
    partner_id TEXT NOT NULL DEFAULT '',
    link_id    TEXT NOT NULL DEFAULT '',
    clicked_at {{timestamptz}},
    reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (signup_id, position)
);
