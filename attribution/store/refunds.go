package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// stripeRefund is one Stripe refund object, as last seen (refund.created,
// refund.updated): a charge's refunded amount is the sum of its refunds
// that take money back.
type stripeRefund struct {
	bun.BaseModel `bun:"table:stripe_refunds"`

	VendorID        string    `bun:"vendor_id,pk"`
	ID              string    `bun:"id,pk"`
	ChargeID        string    `bun:"charge_id"`
	PaymentIntentID string    `bun:"payment_intent_id"`
	Amount          int64     `bun:"amount"`
	Currency        string    `bun:"currency"`
	Status          string    `bun:"status"`
	UpdatedAt       time.Time `bun:"updated_at"`
}

// recordRefund keeps the refund's latest state and returns what its charge
// (or payment intent) has refunded in all, in the refund's currency.
func recordRefund(ctx context.Context, db bun.IDB, vendorID string, r *attribution.PaymentRefund, now time.Time) (int64, error) {
	row := &stripeRefund{
		VendorID: vendorID, ID: r.RefundID, ChargeID: r.ChargeID, PaymentIntentID: r.PaymentIntentID,
		Amount: r.Refunded, Currency: r.Currency, Status: r.RefundStatus, UpdatedAt: now,
	}
	_, err := db.NewInsert().Model(row).
		On("CONFLICT (vendor_id, id) DO UPDATE").
		Set("amount = EXCLUDED.amount, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at").
		Set("charge_id = CASE WHEN EXCLUDED.charge_id <> '' THEN EXCLUDED.charge_id ELSE ?TableAlias.charge_id END").
		Set("payment_intent_id = CASE WHEN EXCLUDED.payment_intent_id <> '' THEN EXCLUDED.payment_intent_id ELSE ?TableAlias.payment_intent_id END").
		Exec(ctx)
	if err != nil {
		return 0, err
	}
	var rows []*stripeRefund
	q := db.NewSelect().Model(&rows).Where("vendor_id = ? AND currency = ?", vendorID, r.Currency)
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("id = ?", r.RefundID)
		if r.ChargeID != "" {
			q = q.WhereOr("charge_id = ?", r.ChargeID)
		}
		if r.PaymentIntentID != "" {
			q = q.WhereOr("payment_intent_id = ?", r.PaymentIntentID)
		}
		return q
	})
	if err := q.Scan(ctx); err != nil {
		return 0, err
	}
	var total int64
	for _, x := range rows {
		if attribution.RefundCounts(x.Status) {
			total = min(total+x.Amount, attribution.MaxAmount) // amounts are bounded: no overflow
		}
	}
	return total, nil
}
