-- Clicks partitioned by month of clicked_at (issue 15), PostgreSQL only.
--
-- Why: at thousands of redirects a second one clicks table makes autovacuum
-- passes over an ever larger table (the redirect's tail stalls lined up with
-- them), and retention deletes rows one batch at a time, which leaves dead
-- rows to vacuum. With one partition per month, inserts go to a small
-- recent partition and retention drops whole months (store/partitions.go).
--
-- Layout after this migration:
--   clicks                   the partitioned parent, PRIMARY KEY (id, clicked_at):
--                            a primary key must hold the partition key. Click
--                            ids stay unique by themselves (time-ordered,
--                            random); a retried batch keeps each click's
--                            clicked_at, so ON CONFLICT still sees it again.
--   clicks_yYYYYmMM          one UTC month, created ahead by the store at
--                            startup and every hour (store.EnsureClickPartitions),
--                            with the autovacuum settings of clickPartitionOptions.
--   clicks_before_yYYYYmMM   only in a database that had clicks: the old table
--                            itself, attached in place as the partition of
--                            everything before that month (the month after
--                            the newest click or the current one). Retention
--                            deletes its rows as before until all of it is
--                            past the cutoff, then drops it.
--   clicks_default           the safety net: a click no partition covers (a
--                            clock far off) is still written. Retention keeps
--                            the attributing clicks of dropped months here.
-- A fresh database gets the same layout without clicks_before_….
--
-- Indexes, each checked against the queries that read clicks:
--   (id, clicked_at), the key: dedup of a retried batch; the clicks of
--     customers and purchases by id (analytics' conversions, exports,
--     diagnosis, retention's kept clicks), one index probe per partition.
--   (vendor_id, clicked_at): every read by vendor and period: the rollup
--     (store/rollup.go), the live feed (dashboard.go), health, diagnosis,
--     retention's row deletes.
--   (link_id, clicked_at) is dropped: no query reads clicks by link without
--     its vendor and a period (a link's analytics read the rollups, and the
--     not yet rolled-up tail by vendor and period), so it only cost every
--     click one more index insert.
--
-- Migrating a large table: this runs in one transaction and locks clicks
-- while it builds the (id, clicked_at) index, checks the rows against the
-- partition bound and attaches them (no row is copied). To keep redirects
-- writing during the index build, create it beforehand with
--   CREATE UNIQUE INDEX CONCURRENTLY clicks_id_clicked_at ON clicks (id, clicked_at);
-- and this migration uses it.

ALTER TABLE clicks RENAME TO clicks_unpartitioned;
DROP INDEX clicks_link_time;
ALTER INDEX clicks_vendor_time RENAME TO clicks_unpartitioned_vendor_time;
CREATE UNIQUE INDEX IF NOT EXISTS clicks_id_clicked_at ON clicks_unpartitioned (id, clicked_at);
ALTER TABLE clicks_unpartitioned DROP CONSTRAINT clicks_pkey;
ALTER TABLE clicks_unpartitioned ADD CONSTRAINT clicks_unpartitioned_pkey PRIMARY KEY USING INDEX clicks_id_clicked_at;

CREATE TABLE clicks (
    id            TEXT NOT NULL,
    vendor_id     TEXT NOT NULL,
    link_id       TEXT NOT NULL,
    partner_id    TEXT NOT NULL,
    clicked_at    TIMESTAMPTZ NOT NULL,
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
    country       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (id, clicked_at)
) PARTITION BY RANGE (clicked_at);
CREATE INDEX clicks_vendor_time ON clicks (vendor_id, clicked_at);

-- The old table becomes the partition of everything before the first
-- monthly one (its existing indexes are attached, not rebuilt), or goes when
-- it is empty.
DO $$
DECLARE
    newest TIMESTAMPTZ;
    bound  TIMESTAMP; -- UTC
    name   TEXT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clicks_unpartitioned) THEN
        DROP TABLE clicks_unpartitioned;
        RETURN;
    END IF;
    SELECT GREATEST(MAX(clicked_at), now()) INTO newest FROM clicks_unpartitioned;
    bound := date_trunc('month', newest AT TIME ZONE 'UTC') + INTERVAL '1 month';
    name := 'clicks_before_' || to_char(bound, '"y"YYYY"m"MM');
    EXECUTE format('ALTER TABLE clicks_unpartitioned RENAME TO %I', name);
    EXECUTE format('ALTER INDEX clicks_unpartitioned_pkey RENAME TO %I', name || '_pkey');
    EXECUTE format('ALTER INDEX clicks_unpartitioned_vendor_time RENAME TO %I', name || '_vendor_id_clicked_at_idx');
    EXECUTE format('ALTER TABLE clicks ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)',
        name, bound AT TIME ZONE 'UTC');
END $$;

CREATE TABLE clicks_default PARTITION OF clicks DEFAULT;
