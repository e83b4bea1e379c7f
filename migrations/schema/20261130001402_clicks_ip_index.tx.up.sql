-- A customer's diagnosis looks for the clicks of the same visitor and of the
-- same network as its signups over the attribution window and three months
-- before: without an index, a scan of that much of clicks (1.3 s on 5
-- million). A visitor hash is of the full IP (and user agent), so its clicks
-- share the truncated IP: this one index serves both searches
-- (store.diagClicks). Each click pays one more index entry.
CREATE INDEX clicks_vendor_ip_time ON clicks (vendor_id, ip_trunc, clicked_at);
