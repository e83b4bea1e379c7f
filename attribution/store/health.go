package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.HealthService = (*Store)(nil)

// Bounds of the health queries: a vendor with more pages or links than
// this gets a report over the newest ones.
const (
	maxHealthPages = 5000
	maxHealthLinks = 2000
	maxBadRows     = 1000
)

// SnippetHealthData gathers the vendor's pings, signups and clicks from
// since until now.
func (s *Store) SnippetHealthData(ctx context.Context, v *attribution.Vendor, since time.Time) (*attribution.SnippetHealthData, error) {
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

	// The origins the vendor's links land on.
	var dests []string
	err = db.NewSelect().TableExpr("links").ColumnExpr("DISTINCT destination_url").
		Where("vendor_id = ?", v.ID).Limit(maxHealthLinks).Scan(ctx, &dests)
	if err != nil {
		return nil, classify(err)
	}
	linkOrigins := map[string]bool{}
	for _, u := range dests {
		if o, ok := attribution.OriginOf(u); ok {
			linkOrigins[o] = true
		}
	}

	// Pings that did not count: the vendor's own key from an origin it does
	// not allow, or a missing or unknown key from one of its origins. SQL
	// narrows them down, OwnsOrigin decides.
	var bad []attribution.MisconfiguredPings
	err = db.NewSelect().TableExpr("snippet_pages").
		ColumnExpr("public_key, origin, path, SUM(pings) AS pings, MAX(last_seen) AS last_seen").
		Where("vendor_id = '' AND last_seen >= ?", since).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.WhereOr("public_key = ?", v.PublicKey)
			var exact []string
			for o := range linkOrigins {
				exact = append(exact, o)
			}
			exact = append(exact, v.AllowedOrigins...)
			if v.Domain != "" {
				exact = append(exact, "http://"+v.Domain, "https://"+v.Domain)
				// Domains hold only letters, digits, '-' and '.': no LIKE escapes needed.
				for _, p := range []string{"%." + v.Domain, "%." + v.Domain + ":%", "%://" + v.Domain + ":%"} {
					q = q.WhereOr("origin LIKE ?", p)
				}
			}
			if len(exact) > 0 {
				q = q.WhereOr("origin IN (?)", bun.List(exact))
			}
			return q
		}).
		GroupExpr("public_key, origin, path").OrderExpr("MAX(last_seen) DESC").Limit(maxBadRows).
		Scan(ctx, &bad)
	if err != nil {
		return nil, classify(err)
	}
	for _, b := range bad {
		if b.PublicKey == v.PublicKey || v.OwnsOrigin(b.Origin, linkOrigins) {
			d.Misconfigured = append(d.Misconfigured, b)
		}
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
	clicks, err := db.NewSelect().TableExpr("clicks").
		Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ? AND NOT bot", v.ID, since, now).Count(ctx)
	if err != nil {
		return nil, classify(err)
	}
	d.Clicks = int(clicks)
	err = db.NewSelect().TableExpr("clicks AS c").
		Join("JOIN links AS l ON l.id = c.link_id AND l.vendor_id = c.vendor_id").
		ColumnExpr("c.link_id, l.destination_url, COUNT(*) AS clicks, MIN(c.clicked_at) AS first_click").
		Where("c.vendor_id = ? AND c.clicked_at >= ? AND c.clicked_at <= ? AND NOT c.bot AND l.status = ?",
			v.ID, since, now.Add(-attribution.LandingGrace), attribution.LinkActive).
		GroupExpr("c.link_id, l.destination_url").OrderExpr("COUNT(*) DESC").Limit(maxHealthLinks).
		Scan(ctx, &d.Landings)
	if err != nil {
		return nil, classify(err)
	}
	return d, nil
}

// PruneSnippetPages deletes the ping aggregates whose newest ping is older
// than before, and returns how many rows went. The retention job calls it.
func (s *Store) PruneSnippetPages(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.NewDelete().TableExpr("snippet_pages").Where("last_seen < ?", before).Exec(ctx)
	if err != nil {
		return 0, classify(err)
	}
	return res.RowsAffected()
}
