-- Settings generated on first start (cookie keys, IP hash salt).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE vendors (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    domain                  TEXT NOT NULL DEFAULT '',
    allowed_origins         TEXT NOT NULL DEFAULT '[]',
    cookie_domain           TEXT NOT NULL DEFAULT '',
    attribution_window_days INTEGER NOT NULL DEFAULT 90,
    fallback_url            TEXT NOT NULL DEFAULT '',
    public_key              TEXT NOT NULL UNIQUE,
    secret_key_hash         TEXT NOT NULL UNIQUE,
    stripe_webhook_secret   TEXT NOT NULL DEFAULT '',
    created_at              {{timestamptz}} NOT NULL,
    updated_at              {{timestamptz}} NOT NULL
);

CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    status     TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {{timestamptz}} NOT NULL,
    updated_at {{timestamptz}} NOT NULL,
    UNIQUE (vendor_id, email)
);
CREATE INDEX partners_vendor_id ON partners (vendor_id, id);

CREATE TABLE links (
    id              TEXT PRIMARY KEY,
    vendor_id       TEXT NOT NULL REFERENCES vendors (id),
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    "key"           TEXT NOT NULL UNIQUE,
    destination_url TEXT NOT NULL,
    utm             TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL,
    created_at      {{timestamptz}} NOT NULL,
    updated_at      {{timestamptz}} NOT NULL
);
CREATE INDEX links_vendor_id ON links (vendor_id, id);
CREATE INDEX links_partner_id ON links (partner_id);

-- Clicks carry no foreign keys: they are written in batches on the redirect's
-- hot path and the click token, not the row, drives attribution.
CREATE TABLE clicks (
    id            TEXT PRIMARY KEY,
    vendor_id     TEXT NOT NULL,
    link_id       TEXT NOT NULL,
    partner_id    TEXT NOT NULL,
    clicked_at    {{timestamptz}} NOT NULL,
    ip_trunc      TEXT NOT NULL DEFAULT '',
    ip_hash       TEXT NOT NULL DEFAULT '',
    visitor_hash  TEXT NOT NULL DEFAULT '',
    browser       TEXT NOT NULL DEFAULT '',
    os            TEXT NOT NULL DEFAULT '',
    device        TEXT NOT NULL DEFAULT '',
    bot           BOOLEAN NOT NULL DEFAULT FALSE,
    referrer_host TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL DEFAULT '',
    utm_source    TEXT NOT NULL DEFAULT '',
    utm_medium    TEXT NOT NULL DEFAULT '',
    utm_campaign  TEXT NOT NULL DEFAULT '',
    utm_content   TEXT NOT NULL DEFAULT '',
    utm_term      TEXT NOT NULL DEFAULT '',
    variant       TEXT NOT NULL DEFAULT '',
    country       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX clicks_vendor_time ON clicks (vendor_id, clicked_at);
CREATE INDEX clicks_link_time ON clicks (link_id, clicked_at);
