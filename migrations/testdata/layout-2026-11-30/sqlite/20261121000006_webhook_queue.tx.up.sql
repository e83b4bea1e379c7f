-- The webhook queue (issue 6): an event the instance is too busy to apply
-- while Stripe waits is stored with outcome 'queued' and its reduced
-- payload (JSON), acknowledged, and applied by the background worker, which
-- then empties the payload. The partial index finds the queue's head.
ALTER TABLE stripe_events ADD COLUMN payload TEXT NOT NULL DEFAULT '';
CREATE INDEX stripe_events_queued ON stripe_events (received_at, vendor_id, id) WHERE outcome = 'queued';
