CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    vendor_id          TEXT NOT NULL REFERENCES vendors (id),
    external_id        TEXT NOT NULL DEFAULT '',
    email              TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL DEFAULT '',
    partner_id         TEXT NOT NULL DEFAULT '',
    link_id            TEXT NOT NULL DEFAULT '',
    click_id           TEXT NOT NULL DEFAULT '',
    clicked_at         TIMESTAMPTZ,
    attributed_at      TIMESTAMPTZ,
    attributed_by      TEXT NOT NULL DEFAULT '',
    reason             TEXT NOT NULL DEFAULT '',
    self_referral      BOOLEAN NOT NULL DEFAULT FALSE,
    stripe_customer_id TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
-- Two identical signups racing each other must create one customer.
CREATE UNIQUE INDEX customers_external_id ON customers (vendor_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX customers_email_only ON customers (vendor_id, email) WHERE external_id = '' AND email <> '';
CREATE INDEX customers_email ON customers (vendor_id, email);
CREATE INDEX customers_vendor_id ON customers (vendor_id, id);
CREATE INDEX customers_partner ON customers (vendor_id, partner_id);

CREATE TABLE signups (
    id            TEXT PRIMARY KEY,
    vendor_id     TEXT NOT NULL REFERENCES vendors (id),
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    source        TEXT NOT NULL,
    token_present BOOLEAN NOT NULL,
    click_id      TEXT NOT NULL DEFAULT '',
    partner_id    TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    ip_trunc      TEXT NOT NULL DEFAULT '',
    visitor_hash  TEXT NOT NULL DEFAULT '',
    browser       TEXT NOT NULL DEFAULT '',
    os            TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX signups_vendor_time ON signups (vendor_id, created_at);
CREATE INDEX signups_customer ON signups (customer_id);

-- Snippet pings, aggregated per page and hour (never one row per ping).
-- vendor_id is '' when the page presented a missing or unknown key; then
-- public_key keeps what was presented (never a secret key).
CREATE TABLE snippet_pages (
    vendor_id       TEXT NOT NULL,
    public_key      TEXT NOT NULL,
    origin          TEXT NOT NULL,
    path            TEXT NOT NULL,
    hour            TIMESTAMPTZ NOT NULL,
    pings           INTEGER NOT NULL,
    ref_in_url      INTEGER NOT NULL,
    cookie_failures INTEGER NOT NULL,
    last_seen       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vendor_id, public_key, origin, path, hour)
);
CREATE INDEX snippet_pages_origin ON snippet_pages (origin, hour);
