-- Analytics by UTM medium and campaign (the dashboard's tables): the rollups
-- keep both, like utm_source.
ALTER TABLE click_rollups ADD COLUMN utm_medium TEXT NOT NULL DEFAULT '';
ALTER TABLE click_rollups ADD COLUMN utm_campaign TEXT NOT NULL DEFAULT '';

-- Hours rolled up before this migration have no medium or campaign. Rewind
-- the rollup to the second rolled-up hour after the oldest click still kept,
-- so the job rolls those hours up again from their clicks (it also redoes
-- the hour before where it starts, which is whole too). Analytics read raw
-- clicks after rollup_state.through meanwhile. Older hours, whose clicks
-- retention deleted, keep an empty medium and campaign.
UPDATE rollup_state SET through = (
    SELECT MIN(hour) FROM click_rollups WHERE hour > (
        SELECT MIN(hour) FROM click_rollups WHERE hour > (SELECT MIN(clicked_at) FROM clicks)))
WHERE name = 'clicks' AND through > (
    SELECT MIN(hour) FROM click_rollups WHERE hour > (
        SELECT MIN(hour) FROM click_rollups WHERE hour > (SELECT MIN(clicked_at) FROM clicks)));
