-- Analytics over long periods (issue 15: 365 days on 5 million clicks within
-- 300 ms). click_dim_days sums click_dim_rollups per UTC day: a query reads
-- it for the whole UTC days inside its period and the hourly rows at the
-- edges (store.dimPieces). The unique counters add up like the hourly ones
-- (uK summed over any hours is the number of first clicks in them). The
-- rollup job fills it, for the days already rolled up too, and records how
-- far in rollup_state ('click_days').
CREATE TABLE click_dim_days (
    vendor_id   TEXT NOT NULL,
    dim         TEXT NOT NULL,
    dim_value   TEXT NOT NULL,
    day         {{timestamptz}} NOT NULL,
    clicks      BIGINT NOT NULL,
    bot_clicks  BIGINT NOT NULL,
    u00         INTEGER NOT NULL DEFAULT 0,
    u01         INTEGER NOT NULL DEFAULT 0,
    u02         INTEGER NOT NULL DEFAULT 0,
    u03         INTEGER NOT NULL DEFAULT 0,
    u04         INTEGER NOT NULL DEFAULT 0,
    u05         INTEGER NOT NULL DEFAULT 0,
    u06         INTEGER NOT NULL DEFAULT 0,
    u07         INTEGER NOT NULL DEFAULT 0,
    u08         INTEGER NOT NULL DEFAULT 0,
    u09         INTEGER NOT NULL DEFAULT 0,
    u10         INTEGER NOT NULL DEFAULT 0,
    u11         INTEGER NOT NULL DEFAULT 0,
    u12         INTEGER NOT NULL DEFAULT 0,
    u13         INTEGER NOT NULL DEFAULT 0,
    u14         INTEGER NOT NULL DEFAULT 0,
    u15         INTEGER NOT NULL DEFAULT 0,
    u16         INTEGER NOT NULL DEFAULT 0,
    u17         INTEGER NOT NULL DEFAULT 0,
    u18         INTEGER NOT NULL DEFAULT 0,
    u19         INTEGER NOT NULL DEFAULT 0,
    u20         INTEGER NOT NULL DEFAULT 0,
    u21         INTEGER NOT NULL DEFAULT 0,
    u22         INTEGER NOT NULL DEFAULT 0,
    u23         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX click_dim_days_vendor_dim_day ON click_dim_days (vendor_id, dim, day);

-- Hours that received clicks after the rollup may have read them (a click
-- writer that retried through an outage). The click writer notes the hour
-- (store.noteLateClicks); the rollup job rolls those hours up again and
-- deletes the note, so every other hour is rolled up once.
CREATE TABLE rollup_late_hours (
    hour {{timestamptz}} PRIMARY KEY
);
