-- Analytics (issue 5): clicks rolled up per vendor, hour and dimensions by a
-- background job, so that analytics read a small table and raw clicks can be
-- deleted after TALLY_RETENTION_DAYS without losing what analytics need.
--
-- u00 … u23 count unique clicks: uK counts the clicks that are a visitor's
-- first non-bot click on the link in the 24 hours window starting at UTC
-- hour K (a query in a time zone reads, per day, the counter of the UTC hour
-- at which its days start). No visitor hash is kept here.
CREATE TABLE click_rollups (
    vendor_id     TEXT NOT NULL,
    hour          TIMESTAMPTZ NOT NULL,
    link_id       TEXT NOT NULL,
    partner_id    TEXT NOT NULL,
    variant       TEXT NOT NULL,
    utm_source    TEXT NOT NULL,
    source        TEXT NOT NULL,
    referrer_host TEXT NOT NULL,
    country       TEXT NOT NULL,
    device        TEXT NOT NULL,
    browser       TEXT NOT NULL,
    os            TEXT NOT NULL,
    clicks        BIGINT NOT NULL,
    bot_clicks    BIGINT NOT NULL,
    u00          INTEGER NOT NULL DEFAULT 0,
    u01          INTEGER NOT NULL DEFAULT 0,
    u02          INTEGER NOT NULL DEFAULT 0,
    u03          INTEGER NOT NULL DEFAULT 0,
    u04          INTEGER NOT NULL DEFAULT 0,
    u05          INTEGER NOT NULL DEFAULT 0,
    u06          INTEGER NOT NULL DEFAULT 0,
    u07          INTEGER NOT NULL DEFAULT 0,
    u08          INTEGER NOT NULL DEFAULT 0,
    u09          INTEGER NOT NULL DEFAULT 0,
    u10          INTEGER NOT NULL DEFAULT 0,
    u11          INTEGER NOT NULL DEFAULT 0,
    u12          INTEGER NOT NULL DEFAULT 0,
    u13          INTEGER NOT NULL DEFAULT 0,
    u14          INTEGER NOT NULL DEFAULT 0,
    u15          INTEGER NOT NULL DEFAULT 0,
    u16          INTEGER NOT NULL DEFAULT 0,
    u17          INTEGER NOT NULL DEFAULT 0,
    u18          INTEGER NOT NULL DEFAULT 0,
    u19          INTEGER NOT NULL DEFAULT 0,
    u20          INTEGER NOT NULL DEFAULT 0,
    u21          INTEGER NOT NULL DEFAULT 0,
    u22          INTEGER NOT NULL DEFAULT 0,
    u23          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX click_rollups_vendor_hour ON click_rollups (vendor_id, hour);

-- Progress of background jobs: the rollup of clicks covers every hour
-- before "through".
CREATE TABLE rollup_state (
    name    TEXT PRIMARY KEY,
    through TIMESTAMPTZ NOT NULL
);
