package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// The health checks' click counts, read as analytics read clicks: the
// hourly rollups (click_dim_rollups) for the whole hours rolled up, raw
// clicks for the partial hour at the start of the window and after the
// rolled-up hours. A week of raw clicks was a scan of 280,000 rows.

// healthSpans splits [from, to) into the rolled-up whole hours [hs, he)
// (empty when hs >= he) and the raw rest: [from, hs) and [he, to).
func healthSpans(from, to, through time.Time) (hs, he time.Time) {
	hs = from.UTC().Add(time.Hour - time.Nanosecond).Truncate(time.Hour)
	he = to.UTC().Truncate(time.Hour)
	if through.Before(he) {
		he = through
	}
	if !hs.Before(he) {
		return to, to
	}
	return hs, he
}

// linkClicks is one link's human clicks in a window and its first one.
type linkClicks struct {
	n     int
	first time.Time
	hour  bool // first is the start of a rolled-up hour (exactFirstClicks)
}

// humanClicksByLink counts the vendor's human clicks in [from, to) per link.
func humanClicksByLink(ctx context.Context, db bun.IDB, vendorID string, from, to, through time.Time) (map[string]*linkClicks, error) {
	hs, he := healthSpans(from, to, through)
	out := map[string]*linkClicks{}
	add := func(link string, n int, first time.Time, hour bool) {
		c := out[link]
		if c == nil {
			c = &linkClicks{first: first, hour: hour}
			out[link] = c
		}
		c.n += n
		if first.Before(c.first) {
			c.first, c.hour = first, hour
		}
	}
	var rows []struct {
		LinkID string    `bun:"link_id"`
		N      int       `bun:"n"`
		First  time.Time `bun:"first"`
	}
	raw := "SELECT link_id, COUNT(*) AS n, MIN(clicked_at) AS first FROM clicks WHERE vendor_id = ? AND NOT bot AND clicked_at >= ? AND clicked_at < ? GROUP BY link_id"
	for _, span := range [][2]time.Time{{from, hs}, {he, to}} {
		if !span[0].Before(span[1]) {
			continue
		}
		rows = rows[:0]
		if err := db.NewRaw(raw, vendorID, span[0], span[1]).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		for _, r := range rows {
			add(r.LinkID, r.N, r.First.UTC(), false)
		}
	}
	if hs.Before(he) {
		rows = rows[:0]
		if err := db.NewRaw(`SELECT dim_value AS link_id, SUM(clicks) AS n, MIN(hour) AS first FROM click_dim_rollups
			WHERE vendor_id = ? AND dim = 'link_id' AND hour >= ? AND hour < ? AND clicks > 0 GROUP BY dim_value`, vendorID, hs, he).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		for _, r := range rows {
			add(r.LinkID, r.N, r.First.UTC(), true)
		}
	}
	return out, exactFirstClicks(ctx, db, vendorID, out)
}

// exactFirstClicks replaces the first clicks known only by their rolled-up
// hour by the raw click's time: one statement reads those hours' human
// clicks (few distinct hours: most links are first clicked in the window's
// first hours), a hundred hours a statement. A link whose raw clicks are
// gone keeps the hour.
func exactFirstClicks(ctx context.Context, db bun.IDB, vendorID string, byLink map[string]*linkClicks) error {
	var hours []time.Time
	for _, c := range byLink {
		if c.hour && !slices.Contains(hours, c.first) {
			hours = append(hours, c.first)
		}
	}
	slices.SortFunc(hours, func(a, b time.Time) int { return a.Compare(b) })
	for chunk := range slices.Chunk(hours, 100) {
		ranges := make([]string, len(chunk))
		args := []any{vendorID}
		for i, h := range chunk {
			ranges[i] = "(clicked_at >= ? AND clicked_at < ?)"
			args = append(args, h, h.Add(time.Hour))
		}
		var rows []struct {
			LinkID string    `bun:"link_id"`
			First  time.Time `bun:"first"`
		}
		if err := db.NewRaw("SELECT link_id, MIN(clicked_at) AS first FROM clicks WHERE vendor_id = ? AND NOT bot AND ("+
			strings.Join(ranges, " OR ")+") GROUP BY link_id", args...).Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for _, r := range rows {
			// Only the link's own first hour: no click of it is earlier.
			if c := byLink[r.LinkID]; c != nil && c.hour && !r.First.Before(c.first) && r.First.Before(c.first.Add(time.Hour)) {
				c.first, c.hour = r.First.UTC(), false
			}
		}
	}
	return nil
}

// humanClicks counts the vendor's human clicks in [from, to).
func humanClicks(ctx context.Context, db bun.IDB, vendorID string, from, to, through time.Time) (int, error) {
	hs, he := healthSpans(from, to, through)
	total := 0
	for _, span := range [][2]time.Time{{from, hs}, {he, to}} {
		if !span[0].Before(span[1]) {
			continue
		}
		n, err := db.NewSelect().TableExpr("clicks").
			Where("vendor_id = ? AND clicked_at >= ? AND clicked_at < ? AND NOT bot", vendorID, span[0], span[1]).Count(ctx)
		if err != nil {
			return 0, err
		}
		total += int(n)
	}
	if hs.Before(he) {
		var n []int
		if err := db.NewRaw(`SELECT COALESCE(SUM(clicks), 0) FROM click_dim_rollups WHERE vendor_id = ? AND dim = '' AND hour >= ? AND hour < ?`,
			vendorID, hs, he).Scan(ctx, &n); err != nil {
			return 0, err
		}
		if len(n) > 0 {
			total += n[0]
		}
	}
	return total, nil
}

// landings returns the human clicks of the vendor's active links in
// [from, to), the busiest first, at most maxHealthLinks.
func landings(ctx context.Context, db bun.IDB, vendorID string, from, to, through time.Time) ([]attribution.LandingClicks, error) {
	byLink, err := humanClicksByLink(ctx, db, vendorID, from, to, through)
	if err != nil || len(byLink) == 0 {
		return nil, err
	}
	var links []struct {
		ID          string `bun:"id"`
		Destination string `bun:"destination_url"`
	}
	if err := db.NewSelect().TableExpr("links").ColumnExpr("id, destination_url").
		Where("vendor_id = ? AND status = ?", vendorID, attribution.LinkActive).Scan(ctx, &links); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var out []attribution.LandingClicks
	for _, l := range links {
		if c := byLink[l.ID]; c != nil {
			out = append(out, attribution.LandingClicks{LinkID: l.ID, DestinationURL: l.Destination, Clicks: c.n, FirstClickAt: c.first})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Clicks != out[j].Clicks {
			return out[i].Clicks > out[j].Clicks
		}
		return out[i].LinkID < out[j].LinkID
	})
	if len(out) > maxHealthLinks {
		out = out[:maxHealthLinks]
	}
	return out, nil
}
