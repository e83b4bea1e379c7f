package store

import (
	"context"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// Dashboard reads the live feed and the task counts of the overview.
type Dashboard struct{ core }

var _ attribution.DashboardService = (*Dashboard)(nil)

// RecentClicks reads the vendor's newest clicks on the (vendor_id,
// clicked_at) index, with their link's key and partner's name.
func (s *Dashboard) RecentClicks(ctx context.Context, vendorID string, limit int) ([]attribution.FeedClick, error) {
	if limit <= 0 || limit > attribution.MaxPageLimit {
		limit = attribution.FeedSize
	}
	out := []attribution.FeedClick{}
	err := s.db.NewSelect().TableExpr("clicks AS c").
		ColumnExpr("c.id, c.clicked_at, c.link_id, COALESCE(l.\"key\", '') AS link_key, c.partner_id, COALESCE(p.name, '') AS partner_name").
		ColumnExpr("c.bot, c.source, c.country, c.device").
		Join("LEFT JOIN links AS l ON l.id = c.link_id").
		Join("LEFT JOIN partners AS p ON p.id = c.partner_id").
		Where("c.vendor_id = ?", vendorID).
		OrderExpr("c.clicked_at DESC, c.id DESC").Limit(int64(limit)).Scan(ctx, &out)
	for i := range out {
		out[i].ClickedAt = out[i].ClickedAt.UTC()
	}
	return out, classify(err)
}

// Tasks counts what waits for the vendor.
func (s *Dashboard) Tasks(ctx context.Context, vendorID string, start, end time.Time) (*attribution.DashboardTasks, error) {
	out := &attribution.DashboardTasks{}
	err := s.db.NewRaw(`SELECT
		(SELECT COUNT(*) FROM partners WHERE vendor_id = ? AND status = ?) AS applications,
		(SELECT COUNT(*) FROM rewards WHERE vendor_id = ? AND `+effectiveStatus("")+` = ?) AS rewards_to_approve,
		(SELECT COUNT(*) FROM purchases WHERE vendor_id = ? AND partner_id = '' AND status <> ?
			AND purchased_at >= ? AND purchased_at < ?) AS unattributed_purchases,
		(SELECT COUNT(*) FROM webhook_endpoints WHERE vendor_id = ? AND (
			(status = ? AND failing_since IS NOT NULL) OR (status = ? AND disabled_reason IN (?, ?)))) AS failing_webhook_endpoints`,
		vendorID, attribution.PartnerPending,
		vendorID, s.now(), attribution.RewardPending,
		vendorID, attribution.PurchaseExcluded, start, end,
		// the rule of attribution.WebhookEndpoint.Failing
		vendorID, attribution.WebhookEnabled, attribution.WebhookDisabled, attribution.WebhookDisabledFailing, attribution.WebhookDisabledGone).
		Scan(ctx, &out.Applications, &out.RewardsToApprove, &out.UnattributedPurchases, &out.FailingWebhookEndpoints)
	return out, classify(err)
}
