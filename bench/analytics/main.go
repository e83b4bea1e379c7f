// Command analytics measures GET /v1/analytics on PostgreSQL with millions
// of clicks (issue 5): it creates a fresh database, migrates it, seeds
// clicks over ~400 days for a few vendors, partners and links, plus
// customers, signups, purchases and rewards, rolls the clicks up, then times
// the endpoint through the real HTTP stack and prints a Markdown report.
//
//	make bench-analytics                          # runs scripts/pg-setup.sh
//	bin/bench-analytics -pg postgres://…          # a server whose user may create databases
//
// It runs from the repository root (make builds it from the bench module).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/tally-dev/tally/app"
)

func main() {
	pgURL := flag.String("pg", os.Getenv("TALLY_BENCH_PG"), "PostgreSQL base URL (default: the output of scripts/pg-setup.sh)")
	clicks := flag.Int("clicks", 5_000_000, "clicks to seed")
	days := flag.Int("days", 400, "days the clicks spread over")
	runs := flag.Int("runs", 10, "runs of each query")
	keep := flag.Bool("keep", false, "keep the database")
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx := context.Background()

	if *pgURL == "" {
		out, err := exec.Command("bash", "scripts/pg-setup.sh").Output()
		if err != nil {
			fatalf("scripts/pg-setup.sh: %v (pass -pg)", err)
		}
		*pgURL = strings.TrimSpace(string(out))
	}
	dbURL, drop := createDB(*pgURL, *keep)
	defer drop()
	cleanup = drop

	const admin = "bench-admin"
	a, err := app.New(ctx, app.Config{DatabaseURL: dbURL, AdminToken: admin, LogLevel: "warn"},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fatal(err)
	}
	defer a.Close(ctx)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	db := a.Store.DB()

	// Vendors of different sizes, 8 partners each, 3 links per partner.
	type vendor struct {
		ID        string `json:"id"`
		SecretKey string `json:"secret_key"`
	}
	var vendors []vendor
	for i := 0; i < 3; i++ {
		var v vendor
		call(srv.URL, "POST", "/admin/v1/vendors", admin, map[string]any{"name": fmt.Sprintf("Vendor %d", i)}, &v)
		vendors = append(vendors, v)
		for j := 0; j < 8; j++ {
			var p struct {
				ID string `json:"id"`
			}
			call(srv.URL, "POST", "/v1/partners", v.SecretKey, map[string]any{"name": fmt.Sprintf("P%d", j), "email": fmt.Sprintf("p%d@example.com", j)}, &p)
			for k := 0; k < 3; k++ {
				call(srv.URL, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": "https://shop.example/"}, nil)
			}
		}
	}

	// Clicks: links by a skewed draw (the first vendor's links get most
	// traffic), more clicks recently, a pool of visitors that come back,
	// 5% bots. INSERT … SELECT generate_series, in batches.
	log.Printf("seeding %d clicks over %d days", *clicks, *days)
	start := time.Now()
	must(db.ExecContext(ctx, `CREATE TEMP TABLE bench_links AS
		SELECT id, vendor_id, partner_id, (row_number() OVER (ORDER BY vendor_id = ? DESC, id) - 1)::int AS i FROM links`, vendors[0].ID))
	var nLinks int
	mustScan(db.QueryRowContext(ctx, "SELECT count(*) FROM bench_links"), &nLinks)
	// Secondary indexes are dropped during the load and built after it:
	// random inserts into them slow the load down as the table grows.
	var indexes []string
	rows, err := db.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE tablename = 'clicks' AND indexname <> 'clicks_pkey'`)
	if err != nil {
		fatal(err)
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			fatal(err)
		}
		indexes = append(indexes, def)
		must(db.ExecContext(ctx, "DROP INDEX "+name))
	}
	rows.Close()
	const batch = 250_000
	for off := 0; off < *clicks; off += batch {
		n := min(batch, *clicks-off)
		must(db.ExecContext(ctx, `INSERT INTO clicks (id, vendor_id, link_id, partner_id, clicked_at, ip_trunc, ip_hash,
			visitor_hash, browser, os, device, bot, referrer_host, source, utm_source, utm_medium, utm_campaign, variant, country)
			SELECT 'clk_bench' || lpad(g.n::text, 10, '0'), l.vendor_id, l.id, l.partner_id,
				now() - make_interval(secs => ? * 86400 * power(random(), 0.7)),
				'203.0.113.0', md5(g.v::text), md5('v' || g.v), g.browser, g.os, g.device, g.bot,
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
			JOIN bench_links l ON l.i = g.li`, *days, nLinks, off+1, off+n))
		log.Printf("  %d clicks", off+n)
	}
	for _, def := range indexes {
		must(db.ExecContext(ctx, def))
	}
	log.Printf("  %d indexes rebuilt", len(indexes))
	// 1% of human clicks become customers with a signup; a third of them buy.
	must(db.ExecContext(ctx, `INSERT INTO customers (id, vendor_id, email, partner_id, link_id, click_id, clicked_at,
		attributed_at, attributed_by, created_at, updated_at)
		SELECT 'cus_' || c.id, c.vendor_id, c.id || '@example.com', c.partner_id, c.link_id, c.id, c.clicked_at,
			c.clicked_at + interval '1 hour', 'click', c.clicked_at + interval '1 hour', c.clicked_at + interval '1 hour'
		FROM clicks c TABLESAMPLE BERNOULLI (1) WHERE NOT c.bot AND c.clicked_at < now() - interval '1 hour'`))
	must(db.ExecContext(ctx, `INSERT INTO signups (id, vendor_id, customer_id, source, token_present, click_id, partner_id, outcome, created_at)
		SELECT 'sig_' || id, vendor_id, id, 'snippet', TRUE, click_id, partner_id, 'attributed', created_at FROM customers`))
	must(db.ExecContext(ctx, `INSERT INTO purchases (id, vendor_id, customer_id, partner_id, link_id, click_id, attributed_by,
		source, amount, currency, status, purchased_at, created_at, updated_at)
		SELECT 'pur_' || id, vendor_id, id, partner_id, link_id, click_id, 'click', 'stripe',
			1000 + floor(random() * 9000)::bigint, CASE WHEN random() < 0.7 THEN 'usd' ELSE 'eur' END, 'succeeded',
			LEAST(created_at + interval '2 days', now()), created_at, created_at
		FROM customers WHERE random() < 0.33`))
	must(db.ExecContext(ctx, `INSERT INTO rewards (id, vendor_id, partner_id, customer_id, purchase_id, kind, amount,
		original_amount, currency, status, created_at, updated_at)
		SELECT 'rew_' || id, vendor_id, partner_id, customer_id, id, 'purchase', amount / 10, amount / 10, currency,
			'pending', purchased_at, purchased_at FROM purchases`))
	must(db.ExecContext(ctx, "ANALYZE"))
	seedTime := time.Since(start)
	counts := map[string]int64{}
	for _, t := range []string{"clicks", "customers", "signups", "purchases", "rewards"} {
		var n int64
		mustScan(db.QueryRowContext(ctx, "SELECT count(*) FROM "+t), &n)
		counts[t] = n
	}
	var bigVendor int64
	mustScan(db.QueryRowContext(ctx, "SELECT count(*) FROM clicks WHERE vendor_id = ?", vendors[0].ID), &bigVendor)
	log.Printf("seeded in %s: %v", seedTime.Round(time.Second), counts)

	v := vendors[0]
	now := time.Now().UTC()
	d30 := now.AddDate(0, 0, -29).Format("2006-01-02")
	d365 := now.AddDate(0, 0, -364).Format("2006-01-02")
	end := now.AddDate(0, 0, 1).Format("2006-01-02")
	type query struct{ name, q string }
	r30 := "start=" + d30 + "&end=" + end
	r365 := "start=" + d365 + "&end=" + end
	queries := []query{
		{"30 days, group_by=day", r30 + "&group_by=day"},
		{"30 days, group_by=day, tz=America/New_York", r30 + "&group_by=day&tz=America/New_York"},
		{"30 days, group_by=partner", r30 + "&group_by=partner"},
		{"30 days, group_by=link", r30 + "&group_by=link"},
		{"30 days, group_by=country", r30 + "&group_by=country"},
		{"30 days, group_by=browser, utm_source=newsletter", r30 + "&group_by=browser&utm_source=newsletter"},
		{"365 days, group_by=day", r365 + "&group_by=day"},
		{"365 days, group_by=day, tz=America/New_York", r365 + "&group_by=day&tz=America/New_York"},
		{"365 days, group_by=partner", r365 + "&group_by=partner"},
		{"365 days, group_by=referrer", r365 + "&group_by=referrer"},
	}
	// Measure first: raw clicks only (nothing rolled up yet), one query.
	rawFirst := timeQuery(srv.URL, v.SecretKey, queries[0].q, 3)

	log.Printf("rolling up")
	start = time.Now()
	if _, err := a.Store.Analytics.RollUpClicks(ctx); err != nil {
		fatal(err)
	}
	rollupTime := time.Since(start)
	var rollups int64
	mustScan(db.QueryRowContext(ctx, "SELECT count(*) FROM click_rollups"), &rollups)
	log.Printf("rolled up in %s: %d rollup rows", rollupTime.Round(time.Second), rollups)

	var b strings.Builder
	fmt.Fprintf(&b, "Seeded %d clicks over %d days (%d for the measured vendor), %d customers and signups, %d purchases, %d rewards in %s; 3 vendors, 24 partners, 72 links.\n",
		counts["clicks"], *days, bigVendor, counts["customers"], counts["purchases"], counts["rewards"], seedTime.Round(time.Second))
	fmt.Fprintf(&b, "First rollup of all of them: %s, %d rows in click_rollups.\n\n", rollupTime.Round(time.Second), rollups)
	fmt.Fprintf(&b, "| GET /v1/analytics (measured vendor) | rows | p50 | min | max |\n|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| 30 days, group_by=day, before any rollup (raw clicks, 3 runs) | %d | %s | %s | %s |\n", rawFirst.rows, ms(rawFirst.p50), ms(rawFirst.min), ms(rawFirst.max))
	for _, q := range queries {
		r := timeQuery(srv.URL, v.SecretKey, q.q, *runs)
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", q.name, r.rows, ms(r.p50), ms(r.min), ms(r.max))
	}
	fmt.Fprintf(&b, "\nPostgreSQL %s, %s, GOMAXPROCS=%d, %d runs per query after one warm-up, through httptest and the real router.\n",
		pgVersion(db), runtime.Version(), runtime.GOMAXPROCS(0), *runs)
	fmt.Print(b.String())
}

type timing struct {
	p50, min, max time.Duration
	rows          int
}

func timeQuery(base, key, q string, runs int) timing {
	var rep struct{ Rows []json.RawMessage }
	call(base, "GET", "/v1/analytics?"+q, key, nil, &rep) // warm-up
	var ds []time.Duration
	for i := 0; i < runs; i++ {
		t := time.Now()
		call(base, "GET", "/v1/analytics?"+q, key, nil, &rep)
		ds = append(ds, time.Since(t))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return timing{p50: ds[(len(ds)-1)/2], min: ds[0], max: ds[len(ds)-1], rows: len(rep.Rows)}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func call(base, method, path, key string, body, out any) {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = strings.NewReader(string(data))
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			fatal(err)
		}
	}
}

// createDB creates a fresh database next to base and returns its URL and a
// function that drops it.
func createDB(base string, keep bool) (string, func()) {
	b := make([]byte, 4)
	rand.Read(b)
	name := "tally_bench_analytics_" + hex.EncodeToString(b)
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		fatalf("create database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		fatal(err)
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
	}
}

func pgVersion(db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) string {
	var v string
	mustScan(db.QueryRowContext(context.Background(), "SHOW server_version"), &v)
	return v
}

func must(_ sql.Result, err error) {
	if err != nil {
		fatal(err)
	}
}

func mustScan(r *sql.Row, dst ...any) {
	if err := r.Scan(dst...); err != nil {
		fatal(err)
	}
}

// cleanup drops the database when the benchmark fails.
var cleanup = func() {}

func fatal(v ...any) {
	cleanup()
	log.Fatal(v...)
}

func fatalf(format string, v ...any) {
	cleanup()
	log.Fatalf(format, v...)
}
