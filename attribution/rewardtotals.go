package attribution

import (
	"context"
	"time"
)

// RewardTotalsService sums a vendor's rewards, for the dashboard's overview.
type RewardTotalsService interface {
	// RewardTotals sums the rewards created in [start, end) per status (as
	// it stands now, Reward.StatusAt) and currency, ordered by status and
	// currency.
	RewardTotals(ctx context.Context, vendorID string, start, end time.Time) ([]RewardTotal, error)
}
