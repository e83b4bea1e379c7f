-- Payouts: the vendor's minimum payout, partners' payout details and
-- notification preferences, and payout batches.

-- Minor units, compared with each currency's total separately; 0: any
-- positive total is due.
ALTER TABLE vendors ADD COLUMN minimum_payout BIGINT NOT NULL DEFAULT 0;

-- A partner's own settings, written through the partner API. payout_method
-- is a JSON document (NULL: none given); notifications a JSON object of
-- booleans per optional email kind (absent: wanted).
CREATE TABLE partner_settings (
    partner_id    TEXT PRIMARY KEY REFERENCES partners (id),
    vendor_id     TEXT NOT NULL REFERENCES vendors (id),
    payout_method TEXT,
    notifications TEXT NOT NULL DEFAULT '{}',
    updated_at    {{timestamptz}} NOT NULL
);

-- A payout batch: one currency, pending until the vendor marks it paid.
CREATE TABLE payouts (
    id             TEXT PRIMARY KEY,
    vendor_id      TEXT NOT NULL REFERENCES vendors (id),
    currency       TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    partner_count  INTEGER NOT NULL,
    reward_count   INTEGER NOT NULL,
    status         TEXT NOT NULL,
    created_at     {{timestamptz}} NOT NULL,
    paid_at        {{timestamptz}}
);
CREATE INDEX payouts_vendor_id ON payouts (vendor_id, id);

-- What one partner receives in a batch.
CREATE TABLE payout_items (
    payout_id    TEXT NOT NULL REFERENCES payouts (id),
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    vendor_id    TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    reward_count INTEGER NOT NULL,
    PRIMARY KEY (payout_id, partner_id)
);
CREATE INDEX payout_items_partner ON payout_items (vendor_id, partner_id, payout_id);

-- The rewards of a batch, with the amount each had when batched. The
-- primary key puts a reward in at most one batch, whatever the races.
CREATE TABLE payout_rewards (
    reward_id  TEXT PRIMARY KEY REFERENCES rewards (id),
    payout_id  TEXT NOT NULL REFERENCES payouts (id),
    partner_id TEXT NOT NULL,
    amount     BIGINT NOT NULL
);
CREATE INDEX payout_rewards_payout ON payout_rewards (payout_id, partner_id);
