-- The dashboard's analytics over long periods (the vendor dashboard's issue:
-- 365 days within 300 ms on 5 million clicks). click_rollups keeps every
-- combination of link and dimensions per hour, so it barely compresses
-- clicks; a breakdown by one dimension of a whole vendor over a year read
-- millions of its rows. click_dim_rollups sums click_rollups per vendor,
-- hour and one dimension (dim names the click_rollups column, dim_value its
-- value; dim '' is the hour's total): a few rows an hour per dimension,
-- except for links. Analytics read it for every query without a filter;
-- the rollup job writes it with click_rollups, in the same transaction.
CREATE TABLE click_dim_rollups (
    vendor_id   TEXT NOT NULL,
    dim         TEXT NOT NULL,
    dim_value   TEXT NOT NULL,
    hour        {{timestamptz}} NOT NULL,
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
CREATE INDEX click_dim_rollups_vendor_dim_hour ON click_dim_rollups (vendor_id, dim, hour);

-- The hours rolled up so far.
INSERT INTO click_dim_rollups (vendor_id, dim, dim_value, hour, clicks, bot_clicks,
    u00, u01, u02, u03, u04, u05, u06, u07, u08, u09, u10, u11, u12, u13, u14, u15, u16, u17, u18, u19, u20, u21, u22, u23)
SELECT vendor_id, '', '', hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour
UNION ALL
SELECT vendor_id, 'variant', variant, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, variant
UNION ALL
SELECT vendor_id, 'utm_source', utm_source, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, utm_source
UNION ALL
SELECT vendor_id, 'utm_medium', utm_medium, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, utm_medium
UNION ALL
SELECT vendor_id, 'utm_campaign', utm_campaign, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, utm_campaign
UNION ALL
SELECT vendor_id, 'source', source, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, source
UNION ALL
SELECT vendor_id, 'referrer_host', referrer_host, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, referrer_host
UNION ALL
SELECT vendor_id, 'country', country, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, country
UNION ALL
SELECT vendor_id, 'device', device, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, device
UNION ALL
SELECT vendor_id, 'browser', browser, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, browser
UNION ALL
SELECT vendor_id, 'os', os, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, os
UNION ALL
SELECT vendor_id, 'partner_id', partner_id, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, partner_id
UNION ALL
SELECT vendor_id, 'link_id', link_id, hour, SUM(clicks), SUM(bot_clicks),
    SUM(u00), SUM(u01), SUM(u02), SUM(u03), SUM(u04), SUM(u05), SUM(u06), SUM(u07), SUM(u08), SUM(u09), SUM(u10), SUM(u11), SUM(u12), SUM(u13), SUM(u14), SUM(u15), SUM(u16), SUM(u17), SUM(u18), SUM(u19), SUM(u20), SUM(u21), SUM(u22), SUM(u23)
FROM click_rollups GROUP BY vendor_id, hour, link_id;
