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
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/bench/internal/seed"
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

	base, err := seed.PostgresURL(*pgURL)
	if err != nil {
		fatal(err)
	}
	dbURL, drop, err := seed.CreateDB(base, "tally_bench_analytics", *keep)
	if err != nil {
		fatal(err)
	}
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

	// Clicks: the first vendor's links get most traffic.
	log.Printf("seeding %d clicks over %d days", *clicks, *days)
	start := time.Now()
	conn, err := db.Conn(ctx)
	if err != nil {
		fatal(err)
	}
	if err := seed.Clicks(ctx, conn, *clicks, *days, vendors[0].ID); err != nil {
		fatal(err)
	}
	conn.Close()
	if err := seed.Conversions(ctx, db); err != nil {
		fatal(err)
	}
	seedTime := time.Since(start)
	counts, err := seed.Counts(ctx, db)
	if err != nil {
		fatal(err)
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
		seed.ServerVersion(ctx, db), runtime.Version(), runtime.GOMAXPROCS(0), *runs)
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
