-- Money a vendor can trust (issue 12): test-mode purchases and rewards,
-- excluded purchases, refunds in their currency, invoice payments linked in
-- any order (Stripe API 2025-03-31 and later), refund objects.

-- livemode false: Stripe test-mode events. Their rewards are never approved
-- automatically, cannot be paid and never enter a payout.
ALTER TABLE purchases ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE rewards ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT TRUE;

-- An excluded purchase (resold, transferred, fraud, test…) keeps its row
-- with status 'excluded' and earns nothing.
ALTER TABLE purchases ADD COLUMN excluded_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE purchases ADD COLUMN excluded_note TEXT NOT NULL DEFAULT '';

-- An orphan refund's currency, checked against its purchase's when it arrives.
ALTER TABLE stripe_events ADD COLUMN currency TEXT NOT NULL DEFAULT '';
-- invoice_payment.paid events that came before their invoice's purchase.
CREATE INDEX stripe_events_unlinked ON stripe_events (vendor_id, stripe_invoice_id) WHERE outcome = 'payment_unlinked';

-- Stripe refund objects, as last seen: a charge's refunded amount is the
-- sum of those that take money back.
CREATE TABLE stripe_refunds (
    vendor_id         TEXT NOT NULL REFERENCES vendors (id),
    id                TEXT NOT NULL,
    charge_id         TEXT NOT NULL DEFAULT '',
    payment_intent_id TEXT NOT NULL DEFAULT '',
    amount            BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT '',
    updated_at        {{timestamptz}} NOT NULL,
    PRIMARY KEY (vendor_id, id)
);
CREATE INDEX stripe_refunds_charge ON stripe_refunds (vendor_id, charge_id) WHERE charge_id <> '';
CREATE INDEX stripe_refunds_payment_intent ON stripe_refunds (vendor_id, payment_intent_id) WHERE payment_intent_id <> '';
