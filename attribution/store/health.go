package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// Health reads what the snippet health checks need.
type Health struct{ core }

var _ attribution.HealthService = (*Health)(nil)

// Bounds of the health queries: a vendor with more pages or links than
// this gets a report over the newest ones.
const (
	maxHealthPages = 5000
	maxHealthLinks = 2000
)

// SnippetHealthData gathers the vendor's pings, signups and clicks from
// since until now.
func (s *Health) SnippetHealthData(ctx context.Context, v *attribution.Vendor, since time.Time) (*attribution.SnippetHealthData, error) {
	now := s.now()
	d := &attribution.SnippetHealthData{Since: since, Until: now, OriginLastSeen: map[string]time.Time{}}
	db := s.db

	// Counted pings: the newest ever kept, per page and per origin in the window.
	var last attribution.SnippetPage
	err := db.NewSelect().TableExpr("snippet_pages").ColumnExpr("origin, path, last_seen").
		Where("vendor_id = ?", v.ID).OrderExpr("last_seen DESC").Limit(1).Scan(ctx, &last)
	if err == nil {
		d.LastSeen = &last
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, classify(err)
	}
	if d.LastSeen != nil {
		err = db.NewSelect().TableExpr("snippet_pages").
			ColumnExpr("origin, path, SUM(pings) AS pings, SUM(ref_in_url) AS ref_in_url").
			ColumnExpr("SUM(cookie_failures) AS cookie_failures, SUM(ref_cookie_failures) AS ref_cookie_failures, MAX(last_seen) AS last_seen").
			Where("vendor_id = ? AND last_seen >= ?", v.ID, since).
			GroupExpr("origin, path").OrderExpr("MAX(last_seen) DESC").Limit(maxHealthPages+1).
			Scan(ctx, &d.Pages)
		if err != nil {
			return nil, classify(err)
		}
		if len(d.Pages) > maxHealthPages {
			d.Pages, d.PagesTruncated = d.Pages[:maxHealthPages], true
		}
		var origins []struct {
			Origin   string    `bun:"origin"`
			LastSeen time.Time `bun:"last_seen"`
		}
		err = db.NewSelect().TableExpr("snippet_pages").ColumnExpr("origin, MAX(last_seen) AS last_seen").
			Where("vendor_id = ? AND last_seen >= ?", v.ID, since).GroupExpr("origin").Scan(ctx, &origins)
		if err != nil {
			return nil, classify(err)
		}
		for _, o := range origins {
			d.OriginLastSeen[o.Origin] = o.LastSeen
		}
	}

	d.Misconfigured, err = badPings(ctx, db, v, since)
	if err != nil {
		return nil, err
	}

	// Signups and clicks in the window.
	var sg struct {
		Total   int `bun:"total"`
		NoToken int `bun:"no_token"`
	}
	err = db.NewSelect().TableExpr("signups").
		ColumnExpr("COUNT(*) AS total, COALESCE(SUM(CASE WHEN token_present THEN 0 ELSE 1 END), 0) AS no_token").
		Where("vendor_id = ? AND created_at >= ? AND created_at <= ?", v.ID, since, now).Scan(ctx, &sg)
	if err != nil {
		return nil, classify(err)
	}
	d.Signups, d.SignupsWithoutToken = sg.Total, sg.NoToken
	// Clicks from the rollups where rolled up (health_clicks.go). Both
	// windows end inclusively, hence the microsecond.
	through, err := rolledUpThrough(ctx, db)
	if err != nil {
		return nil, err
	}
	if d.Clicks, err = humanClicks(ctx, db, v.ID, since, now.Add(time.Microsecond), through); err != nil {
		return nil, classify(err)
	}
	if d.Landings, err = landings(ctx, db, v.ID, since, now.Add(-attribution.LandingGrace+time.Microsecond), through); err != nil {
		return nil, classify(err)
	}
	return d, nil
}
