// Package seed fills a fresh PostgreSQL database with millions of clicks and
// the conversions that follow them, for the benchmarks that read them
// (bench/analytics, bench/dashboard). Vendors, partners and links are
// created through the API by the caller; the bulk rows are inserted with
// INSERT … SELECT generate_series, which the API could not do in minutes.
package seed

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log"
	"net/url"
	"os/exec"
	"strings"

	"github.com/uptrace/bun/driver/pgdriver"
)

// DB is what seeding needs of a database handle (*bun.DB and bun.Conn:
// they format ? placeholders).
type DB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// PostgresURL returns base, or when it is empty the URL scripts/pg-setup.sh
// prints (the benchmarks run from the repository root).
func PostgresURL(base string) (string, error) {
	if base != "" {
		return base, nil
	}
	out, err := exec.Command("bash", "scripts/pg-setup.sh").Output()
	if err != nil {
		return "", fmt.Errorf("scripts/pg-setup.sh: %v (pass -pg)", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// CreateDB creates a fresh database named prefix_<random> next to base and
// returns its URL and a function that drops it (unless keep).
func CreateDB(base, prefix string, keep bool) (string, func(), error) {
	b := make([]byte, 4)
	rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		return "", nil, fmt.Errorf("create database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	// Seeding statements take longer than pgdriver's default 10s read timeout.
	qs := u.Query()
	qs.Set("read_timeout", "10m")
	u.RawQuery = qs.Encode()
	log.Printf("database %s", name)
	return u.String(), func() {
		if keep {
			log.Printf("kept database %s", name)
			return
		}
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			log.Printf("drop database %s: %v", name, err)
		}
	}, nil
}

// Clicks inserts n clicks spread over days on the links already in the
// database, oldest first as real traffic arrives (so the table's pages are
// in time order), more of them recently: the share of clicks younger than
// a fraction f of days is f^0.7 (the last 30 of 400 days hold 16%). db
// must be one connection (bun.Conn): a temporary table numbers the links.
// Links are drawn skewed: the first vendor's links, in id order, get most
// traffic (when firstVendor is set, its links come first). A pool of 1.5
// million visitors comes back; 5% of clicks are bots; each dimension is
// drawn independently. Ids are valid (a ULID of digits): the pages find
// rows by them.
func Clicks(ctx context.Context, db DB, n, days int, firstVendor string) error {
	if _, err := db.ExecContext(ctx, `CREATE TEMP TABLE bench_links AS
		SELECT id, vendor_id, partner_id, (row_number() OVER (ORDER BY vendor_id = ? DESC, id) - 1)::int AS i FROM links`, firstVendor); err != nil {
		return err
	}
	defer db.ExecContext(ctx, "DROP TABLE bench_links")
	var nLinks int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM bench_links").Scan(&nLinks); err != nil {
		return err
	}
	// Secondary indexes are dropped during the load and built after it:
	// random inserts into them slow the load down as the table grows.
	var indexes, names []string
	rows, err := db.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE tablename = 'clicks' AND indexname <> 'clicks_pkey'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		// A partitioned table's index is defined "ON ONLY clicks": rebuilt
		// so, it would cover no partition.
		def = strings.Replace(def, " ON ONLY ", " ON ", 1)
		names, indexes = append(names, name), append(indexes, def)
	}
	rows.Close()
	for _, name := range names {
		if _, err := db.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return err
		}
	}
	const batch = 250_000
	for off := 0; off < n; off += batch {
		size := min(batch, n-off)
		_, err := db.ExecContext(ctx, `INSERT INTO clicks (id, vendor_id, link_id, partner_id, clicked_at, ip_trunc, ip_hash,
			visitor_hash, browser, os, device, bot, referrer_host, source, utm_source, utm_medium, utm_campaign, variant, country)
			SELECT 'clk_' || lpad(g.n::text, 26, '0'), l.vendor_id, l.id, l.partner_id,
				now() - make_interval(secs => ? * 86400 * power(1 - (g.n - 0.5) / ?, 1 / 0.7)),
				'10.' || (g.v / 65536) || '.' || (g.v / 256 % 256) || '.0', md5(g.v::text), md5('v' || g.v), g.browser, g.os, g.device, g.bot,
				g.referrer, g.source, g.utm, '', '', g.variant, g.country
			FROM (SELECT n,
				floor(power(random(), 2) * ?)::int AS li,
				floor(random() * 1500000)::int AS v,
				(ARRAY['Chrome','Chrome','Safari','Firefox','Edge','Samsung Internet'])[1 + floor(random() * 6)::int] AS browser,
				(ARRAY['Windows','macOS','iOS','Android','Linux'])[1 + floor(random() * 5)::int] AS os,
				(ARRAY['desktop','desktop','mobile','mobile','tablet'])[1 + floor(random() * 5)::int] AS device,
				random() < 0.05 AS bot,
				(ARRAY['','','www.google.com','facebook.com','instagram.com','linktr.ee','blog.example','news.example'])[1 + floor(random() * 8)::int] AS referrer,
				(ARRAY['direct','direct','google','facebook','instagram','linktree','blog.example','unknown'])[1 + floor(random() * 8)::int] AS source,
				(ARRAY['','','newsletter','youtube','twitter','podcast'])[1 + floor(random() * 6)::int] AS utm,
				(ARRAY['','a','b'])[1 + floor(random() * 3)::int] AS variant,
				(ARRAY['US','US','US','GB','DE','FR','CA','BR','IN','JP','AU','ES','IT','NL','SE','MX','PL','KR','ZA',''])[1 + floor(random() * 20)::int] AS country
				FROM generate_series(?::bigint, ?::bigint) AS n) g
			JOIN bench_links l ON l.i = g.li`, days, n, nLinks, off+1, off+size)
		if err != nil {
			return err
		}
		log.Printf("  %d clicks", off+size)
	}
	for _, def := range indexes {
		if _, err := db.ExecContext(ctx, def); err != nil {
			return err
		}
	}
	log.Printf("  %d indexes rebuilt", len(indexes))
	return nil
}

// Conversions turns 1% of human clicks into customers with a signup; a
// third of them buy (usd or eur), and each purchase earns a pending reward
// of a tenth. Then it analyzes the database.
func Conversions(ctx context.Context, db DB) error {
	for _, q := range []string{
		`INSERT INTO customers (id, vendor_id, email, partner_id, link_id, click_id, clicked_at,
			attributed_at, attributed_by, created_at, updated_at)
			SELECT 'cus_' || substr(c.id, 5), c.vendor_id, c.id || '@example.com', c.partner_id, c.link_id, c.id, c.clicked_at,
				c.clicked_at + interval '1 hour', 'click', c.clicked_at + interval '1 hour', c.clicked_at + interval '1 hour'
			FROM clicks c TABLESAMPLE BERNOULLI (1) WHERE NOT c.bot AND c.clicked_at < now() - interval '1 hour'`,
		`INSERT INTO signups (id, vendor_id, customer_id, source, token_present, click_id, partner_id, outcome, created_at)
			SELECT 'sig_' || substr(id, 5), vendor_id, id, 'snippet', TRUE, click_id, partner_id, 'attributed', created_at FROM customers`,
		`INSERT INTO purchases (id, vendor_id, customer_id, partner_id, link_id, click_id, attributed_by,
			source, amount, currency, status, purchased_at, created_at, updated_at)
			SELECT 'pur_' || substr(id, 5), vendor_id, id, partner_id, link_id, click_id, 'click', 'stripe',
				1000 + floor(random() * 9000)::bigint, CASE WHEN random() < 0.7 THEN 'usd' ELSE 'eur' END, 'succeeded',
				LEAST(created_at + interval '2 days', now()), created_at, created_at
			FROM customers WHERE random() < 0.33`,
		`INSERT INTO rewards (id, vendor_id, partner_id, customer_id, purchase_id, kind, amount,
			original_amount, currency, status, created_at, updated_at)
			SELECT 'rwd_' || substr(id, 5), vendor_id, partner_id, customer_id, id, 'purchase', amount / 10, amount / 10, currency,
				'pending', purchased_at, purchased_at FROM purchases`,
		"ANALYZE",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// Counts returns the rows of the seeded tables.
func Counts(ctx context.Context, db DB) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, t := range []string{"clicks", "customers", "signups", "purchases", "rewards"} {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, nil
}

// ServerVersion is PostgreSQL's version.
func ServerVersion(ctx context.Context, db DB) string {
	var v string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "unknown"
	}
	return v
}
