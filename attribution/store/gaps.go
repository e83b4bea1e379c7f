package store

import (
	"context"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// Gaps gathers the facts of the tracking-gaps report (attribution.BuildGapReport):
// the period's unattributed customers and purchases by stored reason, and,
// through the analytics service, the clicks per UTM source, link and variant.
type Gaps struct {
	core
	analytics *Analytics
}

var _ attribution.GapService = (*Gaps)(nil)

// maxGapLinks bounds the active links read for the report.
const maxGapLinks = 5000

// GapFacts reads the facts of [start, end) for v.
func (s *Gaps) GapFacts(ctx context.Context, v *attribution.Vendor, start, end time.Time) (*attribution.GapFacts, error) {
	f := &attribution.GapFacts{Start: start, End: end, WindowDays: v.WindowDays()}
	err := s.db.NewSelect().TableExpr("customers").ColumnExpr("reason, COUNT(*) AS n").
		Where("vendor_id = ? AND partner_id = '' AND created_at >= ? AND created_at < ?", v.ID, start, end).
		GroupExpr("reason").OrderExpr("reason").Scan(ctx, &f.Signups)
	if err != nil {
		return nil, classify(err)
	}
	var purchases []struct {
		Reason   string `bun:"reason"`
		Currency string `bun:"currency"`
		N        int64  `bun:"n"`
		Amount   int64  `bun:"amount"`
	}
	err = s.db.NewSelect().TableExpr("purchases").ColumnExpr("reason, currency, COUNT(*) AS n, SUM(amount) AS amount").
		Where("vendor_id = ? AND partner_id = '' AND status <> ? AND purchased_at >= ? AND purchased_at < ?",
			v.ID, attribution.PurchaseExcluded, start, end).
		GroupExpr("reason, currency").OrderExpr("reason, currency").Scan(ctx, &purchases)
	if err != nil {
		return nil, classify(err)
	}
	for _, p := range purchases {
		if n := len(f.Purchases); n == 0 || f.Purchases[n-1].Reason != p.Reason {
			f.Purchases = append(f.Purchases, attribution.GapCount{Reason: p.Reason, Amounts: map[string]int64{}})
		}
		g := &f.Purchases[len(f.Purchases)-1]
		g.Count += p.N
		g.Amounts[p.Currency] += p.Amount
	}

	var links []*attribution.Link
	err = s.db.NewSelect().Model(&links).Column("id", "key", "partner_id", "utm").
		Where("vendor_id = ? AND status = ?", v.ID, attribution.LinkActive).OrderExpr("id DESC").Limit(maxGapLinks).Scan(ctx)
	if err != nil {
		return nil, classify(err)
	}
	// The period's clicks by link, UTM source and variant in one pass.
	period, err := s.clicksBy(ctx, v, start, end, attribution.GroupByLink, attribution.GroupByUTMSource, attribution.GroupByVariant)
	if err != nil {
		return nil, err
	}
	clicks, sources, during := period[0], period[1], period[2]
	for _, l := range links {
		f.Links = append(f.Links, attribution.LinkClicks{LinkID: l.ID, Key: l.Key, PartnerID: l.PartnerID, Clicks: clicks[l.ID]})
		for field, value := range map[string]string{"utm_source": l.UTM.Source, "utm_medium": l.UTM.Medium, "utm_campaign": l.UTM.Campaign} {
			if value != "" {
				f.UTM = append(f.UTM, attribution.UTMCount{Field: field, Value: value, Links: 1})
			}
		}
	}
	for value, n := range sources {
		f.UTM = append(f.UTM, attribution.UTMCount{Field: "utm_source", Value: value, Clicks: n})
	}

	lookback, err := s.clicksBy(ctx, v, start.Add(-attribution.VariantLookback), start, attribution.GroupByVariant)
	if err != nil {
		return nil, err
	}
	for variant, n := range lookback[0] {
		f.Variants = append(f.Variants, attribution.VariantClicks{Variant: variant, Before: n, Clicks: during[variant]})
	}
	return f, nil
}

// clicksBy counts the non-bot clicks of [start, end) by each of groupBys
// (analytics dimensions), in one pass.
func (s *Gaps) clicksBy(ctx context.Context, v *attribution.Vendor, start, end time.Time, groupBys ...string) ([]map[string]int64, error) {
	reps, err := s.analytics.breakdowns(ctx, v.ID, attribution.AnalyticsQuery{Start: start, End: end, Location: v.Location()}, groupBys, false)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]int64, len(reps))
	for i, rep := range reps {
		out[i] = map[string]int64{}
		for _, r := range rep.Rows {
			out[i][r.Key] += r.Clicks
		}
	}
	return out, nil
}
