package store

import (
	"context"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.StripeEventService = (*Payments)(nil)

// LatestStripeEvents lists the vendor's newest Stripe events.
func (s *Payments) LatestStripeEvents(ctx context.Context, vendorID string, limit int) ([]attribution.StripeEventRow, error) {
	out := []attribution.StripeEventRow{}
	err := s.db.NewSelect().TableExpr("stripe_events").Column("id", "type", "livemode", "outcome", "received_at").
		Where("vendor_id = ?", vendorID).OrderExpr("received_at DESC, id DESC").Limit(int64(limit)).Scan(ctx, &out)
	return out, classify(err)
}
