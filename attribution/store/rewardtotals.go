package store

import (
	"context"
	"time"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.RewardTotalsService = (*Rewards)(nil)

// RewardTotals sums the vendor's rewards created in [start, end) per
// effective status and currency.
func (s *Rewards) RewardTotals(ctx context.Context, vendorID string, start, end time.Time) ([]attribution.RewardTotal, error) {
	out := []attribution.RewardTotal{}
	err := s.db.NewSelect().TableExpr("rewards").
		ColumnExpr(effectiveStatus("")+" AS status, currency, COALESCE(SUM(amount), 0) AS amount, COUNT(*) AS count", s.now()).
		Where("vendor_id = ? AND created_at >= ? AND created_at < ?", vendorID, start, end).
		GroupExpr("1, currency").OrderExpr("1, currency").Scan(ctx, &out)
	return out, classify(err)
}
