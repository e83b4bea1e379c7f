// Command dashboard measures every dashboard page on PostgreSQL with
// millions of clicks (the vendor dashboard's issue): it creates a fresh
// database, one vendor with its partners and links through the API, seeds
// clicks over ~400 days plus customers, signups, purchases and rewards,
// rolls the clicks up, creates an admin through the setup link, signs in
// over HTTP, then times each page through the real HTTP stack and prints a
// Markdown report for BENCHMARKS.md.
//
//	make bench-dashboard                                     # 5 million clicks, 50 partners, 500 links
//	bin/bench-dashboard -clicks 200000 -partners 5 -links 50 # a quick check that it works
//
// It runs from the repository root (make builds it from the bench module).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/bench/internal/seed"
)

// The bars: every page at p95, and analytics over 365 days.
const (
	pageBar      = 200 * time.Millisecond
	analyticsBar = 300 * time.Millisecond
)

func main() {
	pgURL := flag.String("pg", os.Getenv("TALLY_BENCH_PG"), "PostgreSQL base URL (default: the output of scripts/pg-setup.sh)")
	clicks := flag.Int("clicks", 5_000_000, "clicks to seed")
	days := flag.Int("days", 400, "days the clicks spread over")
	partners := flag.Int("partners", 50, "partners of the vendor")
	links := flag.Int("links", 500, "links, spread evenly over the partners")
	runs := flag.Int("runs", 20, "timed requests of each page, after one warm-up")
	keep := flag.Bool("keep", false, "keep the database")
	flag.Parse()
	log.SetFlags(log.Ltime)
	ctx := context.Background()
	began := time.Now()

	base, err := seed.PostgresURL(*pgURL)
	if err != nil {
		log.Fatal(err)
	}
	dbURL, drop, err := seed.CreateDB(base, "tally_bench_dashboard", *keep)
	if err != nil {
		log.Fatal(err)
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

	// One vendor, its partners and links through the API.
	var v struct {
		ID        string `json:"id"`
		SecretKey string `json:"secret_key"`
	}
	call(srv.URL, "POST", "/admin/v1/vendors", admin, map[string]any{"name": "Bench Shop", "domain": "shop.example.com"}, &v)
	var pids []string
	for i := range *partners {
		var p struct {
			ID string `json:"id"`
		}
		call(srv.URL, "POST", "/v1/partners", v.SecretKey, map[string]any{"name": fmt.Sprintf("Partner %d", i+1),
			"email": fmt.Sprintf("partner%d@example.net", i+1)}, &p)
		pids = append(pids, p.ID)
	}
	for i := range *links {
		call(srv.URL, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": pids[i%len(pids)],
			"destination_url": fmt.Sprintf("https://shop.example.com/p/%d", i)}, nil)
	}

	log.Printf("seeding %d clicks over %d days", *clicks, *days)
	start := time.Now()
	conn, err := db.Conn(ctx)
	if err != nil {
		fatal(err)
	}
	if err := seed.Clicks(ctx, conn, *clicks, *days, v.ID); err != nil {
		fatal(err)
	}
	conn.Close()
	if err := seed.Conversions(ctx, db); err != nil {
		fatal(err)
	}
	counts, err := seed.Counts(ctx, db)
	if err != nil {
		fatal(err)
	}
	seedTime := time.Since(start)
	log.Printf("seeded in %s: %v", seedTime.Round(time.Second), counts)
	log.Printf("rolling up")
	start = time.Now()
	if _, err := a.Store.Analytics.RollUpClicks(ctx); err != nil {
		fatal(err)
	}
	rollupTime := time.Since(start)
	// The statistics autovacuum would gather after such a load.
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		fatal(err)
	}
	var rollups int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM click_rollups").Scan(&rollups); err != nil {
		fatal(err)
	}
	log.Printf("rolled up in %s: %d rows", rollupTime.Round(time.Second), rollups)

	// The pages of the busiest partner and link, and of a recent buyer.
	var partnerID, linkID, customerID string
	for _, q := range []struct {
		sql string
		dst *string
	}{
		{"SELECT partner_id FROM clicks GROUP BY partner_id ORDER BY count(*) DESC LIMIT 1", &partnerID},
		{"SELECT link_id FROM clicks GROUP BY link_id ORDER BY count(*) DESC LIMIT 1", &linkID},
		{"SELECT customer_id FROM purchases ORDER BY purchased_at DESC LIMIT 1", &customerID},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			fatal(err)
		}
	}

	b := signIn(ctx, a, srv.URL, v.ID)

	today := time.Now().UTC()
	period := func(days int) string {
		return "start=" + today.AddDate(0, 0, 1-days).Format("2006-01-02") + "&end=" + today.Format("2006-01-02")
	}
	pages := []struct {
		name, path string
		bar        time.Duration
		json       bool // the API with the secret key, not a page
	}{
		{"overview", "/dashboard", pageBar, false},
		{"analytics, 30 days", "/dashboard/analytics?" + period(30), pageBar, false},
		{"analytics, 365 days", "/dashboard/analytics?" + period(365), analyticsBar, false},
		{"partners", "/dashboard/partners", pageBar, false},
		{"partner (the busiest)", "/dashboard/partners/" + partnerID, pageBar, false},
		{"links", "/dashboard/links", pageBar, false},
		{"link (the busiest)", "/dashboard/links/" + linkID, pageBar, false},
		{"customers", "/dashboard/customers", pageBar, false},
		{"customer (a buyer)", "/dashboard/customers/" + customerID, pageBar, false},
		{"purchases", "/dashboard/purchases", pageBar, false},
		{"rewards", "/dashboard/rewards", pageBar, false},
		{"audit", "/dashboard/audit", pageBar, false},
		{"settings", "/dashboard/settings", pageBar, false},
		{"gaps", "/dashboard/gaps", pageBar, false},
		{"GET /v1/analytics, 365 days, group_by=day", "/v1/analytics?" + period(365) + "&group_by=day", analyticsBar, true},
	}

	loadBefore := loadAverage()
	var out strings.Builder
	fmt.Fprintf(&out, "| page | bar (p95) | p50 | p95 | max | size | |\n|---|---:|---:|---:|---:|---:|---|\n")
	failed := 0
	for _, pg := range pages {
		get := func() int { return b.get(srv.URL + pg.path) }
		if pg.json {
			get = func() int { return call(srv.URL, "GET", pg.path, v.SecretKey, nil, nil) }
		}
		t := measure(get, *runs)
		verdict := "**holds**"
		if t.p95 > pg.bar {
			verdict, failed = "**misses**", failed+1
		}
		log.Printf("%s: p50 %s p95 %s", pg.name, ms(t.p50), ms(t.p95))
		fmt.Fprintf(&out, "| %s `GET %s` | %s | %s | %s | %s | %d KB | %s |\n", pg.name, shortPath(pg.path), ms(pg.bar),
			ms(t.p50), ms(t.p95), ms(t.max), (t.bytes+512)/1024, verdict)
	}
	loadAfter := loadAverage()

	fmt.Printf("Seeded %d clicks over %d days, %d customers and signups, %d purchases, %d rewards for one vendor with %d partners and %d links in %s; first rollup %s (%d rows in click_rollups).\n\n",
		counts["clicks"], *days, counts["customers"], counts["purchases"], counts["rewards"], *partners, *links,
		seedTime.Round(time.Second), rollupTime.Round(time.Second), rollups)
	fmt.Print(out.String())
	fmt.Printf("\n%d of %d pages miss their bar. Each page: one warm-up, then %d requests one after the other with a signed-in admin's session cookie (the API: the secret key), through httptest and the real router; size is the body of the last answer.\n",
		failed, len(pages), *runs)
	fmt.Printf("PostgreSQL %s, %s, GOMAXPROCS=%d, %d CPUs; load average %s before the timings, %s after. Run on %s, took %s.\n",
		seed.ServerVersion(ctx, db), runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadBefore, loadAfter,
		began.UTC().Format("2006-01-02 15:04 UTC"), time.Since(began).Round(time.Second))
}

// shortPath is a page's path without its query's dates, for the table.
func shortPath(p string) string {
	return regexp.MustCompile(`start=[0-9-]+&end=[0-9-]+`).ReplaceAllString(p, "start=…&end=…")
}

// timing is what measure found: the percentiles and the size of an answer.
type timing struct {
	p50, p95, max time.Duration
	bytes         int
}

// measure calls get once to warm up, then runs times; get returns the
// answer's size.
func measure(get func() int, runs int) timing {
	get()
	ds := make([]time.Duration, runs)
	var size int
	for i := range ds {
		t := time.Now()
		size = get()
		ds[i] = time.Since(t)
	}
	slices.Sort(ds)
	rank := func(p float64) time.Duration { // nearest rank
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[max(i, 0)]
	}
	return timing{p50: rank(0.50), p95: rank(0.95), max: ds[len(ds)-1], bytes: size}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// loadAverage is the machine's 1-minute load average, or "?".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// browser is a signed-in browser: it keeps cookies and does not follow
// redirects (a redirect to /login must show).
type browser struct{ c *http.Client }

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// get fetches a page, which must answer 200, and returns its size.
func (b *browser) get(u string) int {
	resp, err := b.c.Get(u)
	if err != nil {
		fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Location"))
	}
	return len(data)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// submit fetches the form at path and posts it with vals and its CSRF
// token; it must answer 303.
func (b *browser) submit(base, path string, vals url.Values) {
	resp, err := b.c.Get(base + path)
	if err != nil {
		fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(data)
	if m == nil {
		fatalf("GET %s: %d, no csrf_token field", path, resp.StatusCode)
	}
	vals.Set("csrf_token", string(m[1]))
	resp, err = b.c.PostForm(base+path, vals)
	if err != nil {
		fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		fatalf("POST %s: %d %s", path, resp.StatusCode, data)
	}
}

// signIn creates an admin of the vendor, who chooses a password through
// the setup link; then a fresh browser signs in with it, as a person would.
func signIn(ctx context.Context, a *app.App, base, vendorID string) *browser {
	const email, password = "owner@shop.example.com", "bench-password-1"
	_, token, err := a.Accounts.CreateUser(ctx, vendorID, email, "admin")
	if err != nil {
		fatal(err)
	}
	newBrowser().submit(base, "/setup/"+token, url.Values{"password": {password}})
	b := newBrowser()
	b.submit(base, "/login", url.Values{"email": {email}, "password": {password}})
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "tally_session" {
			return b
		}
	}
	fatalf("signing in gave no tally_session cookie")
	return nil
}

// call makes an API request with a bearer key, which must answer 2xx, and
// decodes the answer into out when set; it returns the answer's size.
func call(base, method, path, key string, body, out any) int {
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
	return len(data)
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
