-- A link's dashboard page (and analytics filtered by link_id) read that
-- link's rollups only: without this index they read every rollup row of
-- the vendor's period and filtered it.
CREATE INDEX click_rollups_vendor_link_hour ON click_rollups (vendor_id, link_id, hour);
