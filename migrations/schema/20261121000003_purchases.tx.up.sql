-- Reward rules, purchases, rewards, the audit log, Stripe events and
-- promotion codes (issue 4).

-- A JSON reward rule; NULL: the vendor pays no rewards / the partner follows
-- the vendor's rule.
ALTER TABLE vendors ADD COLUMN reward_rule TEXT;
ALTER TABLE partners ADD COLUMN reward_rule TEXT;

CREATE INDEX customers_stripe_customer ON customers (vendor_id, stripe_customer_id) WHERE stripe_customer_id <> '';

-- A purchase, from Stripe or recorded by hand. customer_id is '' while a
-- Stripe purchase matches no customer: it is kept, and attributed when the
-- customer link arrives.
CREATE TABLE purchases (
    id                       TEXT PRIMARY KEY,
    vendor_id                TEXT NOT NULL REFERENCES vendors (id),
    customer_id              TEXT NOT NULL DEFAULT '',
    partner_id               TEXT NOT NULL DEFAULT '',
    link_id                  TEXT NOT NULL DEFAULT '',
    click_id                 TEXT NOT NULL DEFAULT '',
    attributed_by            TEXT NOT NULL DEFAULT '',
    reason                   TEXT NOT NULL DEFAULT '',
    source                   TEXT NOT NULL,
    amount                   BIGINT NOT NULL,
    currency                 TEXT NOT NULL,
    refunded_amount          BIGINT NOT NULL DEFAULT 0,
    status                   TEXT NOT NULL,
    email                    TEXT NOT NULL DEFAULT '',
    stripe_ref               TEXT NOT NULL DEFAULT '',
    stripe_customer_id       TEXT NOT NULL DEFAULT '',
    stripe_invoice_id        TEXT NOT NULL DEFAULT '',
    stripe_payment_intent_id TEXT NOT NULL DEFAULT '',
    stripe_charge_id         TEXT NOT NULL DEFAULT '',
    promotion_code           TEXT NOT NULL DEFAULT '',
    note                     TEXT NOT NULL DEFAULT '',
    purchased_at             {{timestamptz}} NOT NULL,
    created_at               {{timestamptz}} NOT NULL,
    updated_at               {{timestamptz}} NOT NULL
);
-- One purchase per Stripe checkout session or invoice, whatever the events.
CREATE UNIQUE INDEX purchases_stripe_ref ON purchases (vendor_id, stripe_ref) WHERE stripe_ref <> '';
CREATE INDEX purchases_vendor_id ON purchases (vendor_id, id);
CREATE INDEX purchases_vendor_time ON purchases (vendor_id, purchased_at);
CREATE INDEX purchases_customer ON purchases (customer_id, purchased_at);
CREATE INDEX purchases_unmatched ON purchases (vendor_id, stripe_customer_id) WHERE customer_id = '';
CREATE INDEX purchases_charge ON purchases (vendor_id, stripe_charge_id) WHERE stripe_charge_id <> '';
CREATE INDEX purchases_payment_intent ON purchases (vendor_id, stripe_payment_intent_id) WHERE stripe_payment_intent_id <> '';
CREATE INDEX purchases_invoice ON purchases (vendor_id, stripe_invoice_id) WHERE stripe_invoice_id <> '';

-- A partner's reward: for a purchase (at most one), by hand, or a negative
-- adjustment after a refund of a paid reward.
CREATE TABLE rewards (
    id              TEXT PRIMARY KEY,
    vendor_id       TEXT NOT NULL REFERENCES vendors (id),
    partner_id      TEXT NOT NULL REFERENCES partners (id),
    customer_id     TEXT NOT NULL DEFAULT '',
    purchase_id     TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    original_amount BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    hold_until      {{timestamptz}},
    approved_at     {{timestamptz}},
    paid_at         {{timestamptz}},
    declined_at     {{timestamptz}},
    reversed_at     {{timestamptz}},
    created_at      {{timestamptz}} NOT NULL,
    updated_at      {{timestamptz}} NOT NULL
);
CREATE UNIQUE INDEX rewards_one_per_purchase ON rewards (purchase_id) WHERE kind = 'purchase';
CREATE INDEX rewards_vendor_id ON rewards (vendor_id, id);
CREATE INDEX rewards_partner ON rewards (vendor_id, partner_id, id);
CREATE INDEX rewards_purchase ON rewards (purchase_id);
CREATE INDEX rewards_customer ON rewards (customer_id);
CREATE INDEX rewards_due ON rewards (status, hold_until);

CREATE TABLE audit_entries (
    id          TEXT PRIMARY KEY,
    vendor_id   TEXT NOT NULL REFERENCES vendors (id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    "before"    TEXT NOT NULL DEFAULT 'null',
    "after"     TEXT NOT NULL DEFAULT 'null',
    created_at  {{timestamptz}} NOT NULL
);
CREATE INDEX audit_entries_vendor_id ON audit_entries (vendor_id, id);
CREATE INDEX audit_entries_object ON audit_entries (vendor_id, object_type, object_id, id);

-- Every verified Stripe event, once, written in the transaction of its effect.
-- A refund whose purchase has not arrived yet keeps its keys here
-- (outcome 'orphan_refund') and is applied when the purchase arrives.
CREATE TABLE stripe_events (
    vendor_id                TEXT NOT NULL REFERENCES vendors (id),
    id                       TEXT NOT NULL,
    type                     TEXT NOT NULL,
    api_version              TEXT NOT NULL DEFAULT '',
    livemode                 BOOLEAN NOT NULL DEFAULT FALSE,
    outcome                  TEXT NOT NULL DEFAULT '',
    stripe_charge_id         TEXT NOT NULL DEFAULT '',
    stripe_payment_intent_id TEXT NOT NULL DEFAULT '',
    stripe_invoice_id        TEXT NOT NULL DEFAULT '',
    refunded_amount          BIGINT NOT NULL DEFAULT 0,
    received_at              {{timestamptz}} NOT NULL,
    PRIMARY KEY (vendor_id, id)
);
CREATE INDEX stripe_events_orphans ON stripe_events (vendor_id, outcome) WHERE outcome = 'orphan_refund';

-- Stripe promotion codes given to partners: a promo_… id or the code text
-- (stored upper-case, as Stripe compares codes case-insensitively).
CREATE TABLE promotion_codes (
    id         TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    code       TEXT NOT NULL,
    created_at {{timestamptz}} NOT NULL,
    UNIQUE (vendor_id, code)
);
CREATE INDEX promotion_codes_partner ON promotion_codes (partner_id);
