package store

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// maxBadRows bounds the rows of pings that did not count read for a vendor.
const maxBadRows = 1000

// badPings reads the kept pings since since that did not count and are
// shown to vendor v, each with its relation (attribution.BadPingRelation
// decides; SQL only narrows the rows down). Snippet health and diagnosis
// both read them here.
func badPings(ctx context.Context, db bun.IDB, v *attribution.Vendor, since time.Time) ([]attribution.MisconfiguredPings, error) {
	var rows []attribution.MisconfiguredPings
	err := db.NewSelect().TableExpr("snippet_pages").
		ColumnExpr("public_key, origin, path, SUM(pings) AS pings, MAX(last_seen) AS last_seen").
		Where("vendor_id = '' AND last_seen >= ?", since).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.WhereOr("public_key IN (?)", bun.List([]string{v.PublicKey, attribution.LeakedSecretKey(v.PublicKey)}))
			exact := append([]string(nil), v.AllowedOrigins...)
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
		Scan(ctx, &rows)
	if err != nil {
		return nil, classify(err)
	}
	// Which presented public keys are some vendor's.
	var candidates []string
	for _, r := range rows {
		if strings.HasPrefix(r.PublicKey, attribution.PrefixPublicKey) && r.PublicKey != v.PublicKey {
			candidates = append(candidates, r.PublicKey)
		}
	}
	known := map[string]bool{}
	if len(candidates) > 0 {
		var keys []string
		if err := db.NewSelect().TableExpr("vendors").Column("public_key").
			Where("public_key IN (?)", bun.List(candidates)).Scan(ctx, &keys); err != nil {
			return nil, classify(err)
		}
		for _, k := range keys {
			known[k] = true
		}
	}
	var out []attribution.MisconfiguredPings
	for _, r := range rows {
		if r.Relation = v.BadPingRelation(r.PublicKey, r.Origin, known[r.PublicKey]); r.Relation != attribution.PingNotShown {
			out = append(out, r)
		}
	}
	return out, nil
}
