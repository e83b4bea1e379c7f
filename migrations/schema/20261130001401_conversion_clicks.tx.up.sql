-- Analytics by a click dimension credit each signup, purchase and reward
-- through its attributing click: a year of them was 70,000 random lookups
-- into clicks (or a scan of it). conversion_clicks copies the dimensions of
-- the clicks that customers and purchases name (click_id), a small table;
-- the rollup job copies newly named clicks every run
-- (store.copyConversionClicks), and analytics read clicks directly only for
-- the few named since.
CREATE TABLE conversion_clicks (
    click_id      TEXT PRIMARY KEY,
    vendor_id     TEXT NOT NULL,
    variant       TEXT NOT NULL,
    utm_source    TEXT NOT NULL,
    utm_medium    TEXT NOT NULL,
    utm_campaign  TEXT NOT NULL,
    source        TEXT NOT NULL,
    referrer_host TEXT NOT NULL,
    country       TEXT NOT NULL,
    device        TEXT NOT NULL,
    browser       TEXT NOT NULL,
    os            TEXT NOT NULL
);

INSERT INTO conversion_clicks (click_id, vendor_id, variant, utm_source, utm_medium, utm_campaign, source, referrer_host, country, device, browser, os)
SELECT id, vendor_id, variant, utm_source, utm_medium, utm_campaign, source, referrer_host, country, device, browser, os
FROM clicks WHERE id IN (SELECT click_id FROM customers WHERE click_id <> '' UNION SELECT click_id FROM purchases WHERE click_id <> '');
