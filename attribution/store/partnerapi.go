package store

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// Portal answers the partner portal's own figures.
type Portal struct{ core }

var _ attribution.PartnerPortalService = (*Portal)(nil)

// PartnerRewardTotals sums one partner's rewards per status (as it stands
// now: no total shows a stale pending) and currency.
func (s *Portal) PartnerRewardTotals(ctx context.Context, vendorID, partnerID string) ([]attribution.RewardTotal, error) {
	out := []attribution.RewardTotal{}
	err := s.db.NewSelect().TableExpr("rewards").
		ColumnExpr(effectiveStatus("")+" AS status, currency, COALESCE(SUM(amount), 0) AS amount, COUNT(*) AS count", s.now()).
		Where("vendor_id = ? AND partner_id = ?", vendorID, partnerID).
		GroupExpr("1, currency").OrderExpr("1, currency").Scan(ctx, &out)
	return out, classify(err)
}

// PartnerAnalytics returns the partner's activity per UTC day of [start, end).
func (s *Portal) PartnerAnalytics(ctx context.Context, vendorID, partnerID string, start, end time.Time) ([]*attribution.PartnerDay, error) {
	days := map[string]*attribution.PartnerDay{}
	get := func(d string) *attribution.PartnerDay {
		if days[d] == nil {
			days[d] = &attribution.PartnerDay{Date: d, Revenue: map[string]int64{}, Rewards: map[string]int64{}}
		}
		return days[d]
	}
	// Clicks come from the hourly rollups (raw clicks only after the rolled-up
	// hours, as analytics read them), so a partner's history outlives the
	// retention of raw clicks. Unique clicks per UTC day: counter u00.
	q := attribution.AnalyticsQuery{Start: start.UTC(), End: end.UTC(), GroupBy: attribution.GroupByDay, Location: time.UTC, PartnerID: partnerID}
	through, err := rolledUpThrough(ctx, s.db)
	if err != nil {
		return nil, err
	}
	clicks := &report{q: q, rows: map[string]*attribution.AnalyticsRow{}}
	if err := s.clickCounts(ctx, []*report{clicks}, vendorID, through, attribution.UniqueSegments(q.Start, q.End, time.UTC)); err != nil {
		return nil, classify(err)
	}
	for day, r := range clicks.rows {
		if r.Clicks > 0 {
			d := get(day)
			d.Clicks, d.UniqueClicks = int(r.Clicks), int(r.UniqueClicks)
		}
	}
	var signups []struct {
		Day string `bun:"day"`
		N   int    `bun:"n"`
	}
	err = s.db.NewSelect().TableExpr("signups").
		ColumnExpr(s.dialect.dayExpr("created_at")+" AS day, COUNT(*) AS n").
		Where("vendor_id = ? AND partner_id = ? AND created_at >= ? AND created_at < ?", vendorID, partnerID, start, end).
		GroupExpr("1").Scan(ctx, &signups)
	if err != nil {
		return nil, classify(err)
	}
	for _, r := range signups {
		get(r.Day).Signups = r.N
	}
	var purchases []struct {
		Day      string `bun:"day"`
		Currency string `bun:"currency"`
		N        int    `bun:"n"`
		Revenue  int64  `bun:"revenue"`
	}
	err = s.db.NewSelect().TableExpr("purchases").
		ColumnExpr(s.dialect.dayExpr("purchased_at")+" AS day, currency, COUNT(*) AS n, COALESCE(SUM(amount - refunded_amount), 0) AS revenue").
		Where("vendor_id = ? AND partner_id = ? AND status <> ? AND purchased_at >= ? AND purchased_at < ?", vendorID, partnerID, attribution.PurchaseExcluded, start, end).
		GroupExpr("1, currency").Scan(ctx, &purchases)
	if err != nil {
		return nil, classify(err)
	}
	for _, r := range purchases {
		d := get(r.Day)
		d.Purchases += r.N
		d.Revenue[r.Currency] += r.Revenue
	}
	var rewards []struct {
		Day      string `bun:"day"`
		Currency string `bun:"currency"`
		Amount   int64  `bun:"amount"`
	}
	err = s.db.NewSelect().TableExpr("rewards").
		ColumnExpr(s.dialect.dayExpr("created_at")+" AS day, currency, COALESCE(SUM(amount), 0) AS amount").
		Where("vendor_id = ? AND partner_id = ? AND status <> ? AND created_at >= ? AND created_at < ?",
			vendorID, partnerID, attribution.RewardDeclined, start, end).
		GroupExpr("1, currency").Scan(ctx, &rewards)
	if err != nil {
		return nil, classify(err)
	}
	for _, r := range rewards {
		get(r.Day).Rewards[r.Currency] += r.Amount
	}
	out := make([]*attribution.PartnerDay, 0, len(days))
	for _, k := range slices.Sorted(maps.Keys(days)) {
		out = append(out, days[k])
	}
	return out, nil
}
