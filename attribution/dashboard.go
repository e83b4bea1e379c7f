package attribution

import (
	"context"
	"time"
)

// FeedClick is one click of the dashboard's live feed: which link (by its
// key) and partner it went through, and what the visit looked like.
type FeedClick struct {
	ID          string    `bun:"id"`
	ClickedAt   time.Time `bun:"clicked_at"`
	LinkID      string    `bun:"link_id"`
	LinkKey     string    `bun:"link_key"`
	PartnerID   string    `bun:"partner_id"`
	PartnerName string    `bun:"partner_name"`
	Bot         bool      `bun:"bot"`
	Source      string    `bun:"source"`
	Country     string    `bun:"country"`
	Device      string    `bun:"device"`
}

// FeedSize is how many clicks the live feed shows.
const FeedSize = 20

// DashboardTasks is what waits for a vendor's people on the overview.
type DashboardTasks struct {
	Applications          int64 // partners who applied (pending)
	RewardsToApprove      int64 // rewards still pending now
	UnattributedPurchases int64 // in the period, not excluded
	// FailingWebhookEndpoints: endpoints whose latest attempts failed, or
	// that a failure disabled (WebhookEndpoint.Failing).
	FailingWebhookEndpoints int64
}

// DashboardService reads what the dashboard shows beside the analytics.
// Every method is scoped to vendorID.
type DashboardService interface {
	// RecentClicks returns the vendor's latest clicks, newest first, from
	// the database (so every instance sees every click).
	RecentClicks(ctx context.Context, vendorID string, limit int) ([]FeedClick, error)
	// Tasks counts the applications to review, the rewards to approve,
	// the unattributed purchases of [start, end) and the failing webhook
	// endpoints.
	Tasks(ctx context.Context, vendorID string, start, end time.Time) (*DashboardTasks, error)
}
