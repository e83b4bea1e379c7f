-- No poison queue: a queued Stripe event that fails to apply is retried
-- with backoff (attempts, last_error, next_attempt_at) and, after
-- TALLY_WEBHOOK_MAX_ATTEMPTS failures, kept with outcome 'dead' until its
-- vendor retries it. The partial index counts and lists the dead; the other
-- lists a vendor's events newest first.
ALTER TABLE stripe_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stripe_events ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE stripe_events ADD COLUMN next_attempt_at {{timestamptz}};
CREATE INDEX stripe_events_dead ON stripe_events (vendor_id, received_at) WHERE outcome = 'dead';
CREATE INDEX stripe_events_received ON stripe_events (vendor_id, received_at, id);
