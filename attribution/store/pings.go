package store

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Pings writes the snippet's pings, which the ping buffer (package ingest)
// adds up per page and hour.
type Pings struct{ core }

// PagePings is one row of snippet_pages: a page's pings in one hour.
type PagePings struct {
	bun.BaseModel `bun:"table:snippet_pages,alias:sp"`

	VendorID          string    `bun:"vendor_id"`
	PublicKey         string    `bun:"public_key"`
	Origin            string    `bun:"origin"`
	Path              string    `bun:"path"`
	Hour              time.Time `bun:"hour"`
	Pings             int       `bun:"pings"`
	RefInURL          int       `bun:"ref_in_url"`
	CookieFailures    int       `bun:"cookie_failures"`
	RefCookieFailures int       `bun:"ref_cookie_failures"` // loads with tally_ref in the URL whose cookie failed
	LastSeen          time.Time `bun:"last_seen"`
}

// pingUpsertBatch bounds the page rows of one upsert statement.
const pingUpsertBatch = 500

// AddPings adds rows to the stored counts of their page and hour, in one
// transaction. Each page and hour appears at most once in rows.
func (s *Pings) AddPings(ctx context.Context, rows []PagePings) error {
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for chunk := range slices.Chunk(rows, pingUpsertBatch) {
			if _, err := tx.NewInsert().Model(&chunk).
				On("CONFLICT (vendor_id, public_key, origin, path, hour) DO UPDATE").
				Set("pings = sp.pings + EXCLUDED.pings").
				Set("ref_in_url = sp.ref_in_url + EXCLUDED.ref_in_url").
				Set("cookie_failures = sp.cookie_failures + EXCLUDED.cookie_failures").
				Set("ref_cookie_failures = sp.ref_cookie_failures + EXCLUDED.ref_cookie_failures").
				Set("last_seen = CASE WHEN EXCLUDED.last_seen > sp.last_seen THEN EXCLUDED.last_seen ELSE sp.last_seen END").
				Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
