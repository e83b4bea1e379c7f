// Command faults runs the fault scenarios of issue 6 against the real
// binary on a local PostgreSQL (everything on 127.0.0.1) and prints each
// scenario's results as Markdown (also written to -out/SCENARIO.md):
//
//	storm  a webhook storm: ≥ 1,000 signed Stripe events/s for 30 s with
//	       20 % duplicates, 10 % reordered pairs (invoice before customer),
//	       1 % stale timestamps and 1 % bad signatures;
//	crash  two instances on one database; redirects at 5,000/s plus a
//	       webhook and signup burst; kill -9 of one instance mid-run;
//	soak   redirects, pings, signups and webhooks together (SOAK, default
//	       10m), RSS sampled every 10 s.
//
// Usage, from the repository root (make faults builds bin/tally and, from
// the bench module, bin/bench-faults):
//
//	bin/bench-faults -bin bin/tally [-scenario storm,crash,soak]
//
// PostgreSQL: TALLY_BENCH_PG, else scripts/pg-setup.sh. Each scenario uses a
// fresh database tally_faults_SCENARIO, dropped at the end.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/tally-dev/tally/attribution"
)

const (
	adminToken = "faults-admin-token"
	whsec      = "whsec_faults_0123456789abcdef"
)

var (
	hashKey  = bytes.Repeat([]byte{0x5a}, 64)
	blockKey = bytes.Repeat([]byte{0x3c}, 32)
)

type config struct {
	bin, pg, out             string
	port                     int
	stormRate                int
	stormDur                 time.Duration
	crashRate, crashHookRate int
	crashDur, crashAfter     time.Duration
	soak                     time.Duration
}

func main() {
	var cfg config
	scen := flag.String("scenario", "storm,crash,soak", "comma-separated: storm, crash, soak")
	flag.StringVar(&cfg.bin, "bin", "bin/tally", "the tally binary")
	flag.StringVar(&cfg.pg, "pg", os.Getenv("TALLY_BENCH_PG"), "PostgreSQL admin URL (default: scripts/pg-setup.sh)")
	flag.StringVar(&cfg.out, "out", filepath.Join(os.TempDir(), "tally-faults"), "directory for results and logs")
	flag.IntVar(&cfg.port, "port", 18290, "first port for the tally instances (uses 3)")
	flag.IntVar(&cfg.stormRate, "storm-rate", 1000, "webhook storm: events per second")
	flag.DurationVar(&cfg.stormDur, "storm-duration", 30*time.Second, "webhook storm: duration")
	flag.IntVar(&cfg.crashRate, "crash-rate", 5000, "crash: redirects per second")
	flag.IntVar(&cfg.crashHookRate, "crash-hook-rate", 200, "crash: webhooks per second (and half that in signups)")
	flag.DurationVar(&cfg.crashDur, "crash-duration", 20*time.Second, "crash: duration")
	flag.DurationVar(&cfg.crashAfter, "crash-after", 10*time.Second, "crash: kill -9 this long into the run")
	soak := os.Getenv("SOAK")
	if soak == "" {
		soak = "10m"
	}
	d, err := time.ParseDuration(soak)
	if err != nil {
		fatal("SOAK: %v", err)
	}
	flag.DurationVar(&cfg.soak, "soak", d, "soak duration (env SOAK)")
	flag.Parse()
	if cfg.pg == "" {
		out, err := exec.Command("bash", "scripts/pg-setup.sh").Output()
		if err != nil {
			fatal("scripts/pg-setup.sh: %v", err)
		}
		cfg.pg = strings.TrimSpace(string(out))
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		fatal("%v", err)
	}
	if cfg.bin, err = filepath.Abs(cfg.bin); err != nil {
		fatal("%v", err)
	}
	failed := false
	for _, s := range strings.Split(*scen, ",") {
		var md string
		var ok bool
		start := time.Now()
		switch strings.TrimSpace(s) {
		case "storm":
			md, ok = runStorm(cfg)
		case "crash":
			md, ok = runCrash(cfg)
		case "soak":
			md, ok = runSoak(cfg)
		default:
			fatal("unknown scenario %q", s)
		}
		md += fmt.Sprintf("\n_Run on %s; took %s._\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), time.Since(start).Round(time.Second))
		fmt.Println(md)
		os.WriteFile(filepath.Join(cfg.out, strings.TrimSpace(s)+".md"), []byte(md), 0o644)
		if !ok {
			failed = true
		}
	}
	if failed {
		fmt.Fprintln(os.Stderr, "faults: at least one check FAILED")
		os.Exit(1)
	}
}

func fatal(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "faults: "+f+"\n", a...)
	os.Exit(1)
}

func logf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "== %s "+f+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}

// ---------------------------------------------------------------- database

// freshDB (re)creates database name and returns its URL and a handle.
func freshDB(cfg config, name string) (string, *sql.DB) {
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(cfg.pg)))
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
		fatal("drop %s: %v", name, err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		fatal("create %s: %v", name, err)
	}
	u, _ := url.Parse(cfg.pg)
	u.Path = "/" + name
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(u.String())))
	return u.String(), db
}

func dropDB(cfg config, name string, db *sql.DB) {
	db.Close()
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(cfg.pg)))
	defer admin.Close()
	admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
}

func count(db *sql.DB, q string, args ...any) int64 {
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		fatal("%s: %v", q, err)
	}
	return n
}

// ---------------------------------------------------------------- processes

type proc struct {
	name string
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

// startTally starts `tally serve` on port and waits for /healthz.
func startTally(cfg config, name string, port int, dbURL string, extra ...string) *proc {
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		fatal("port %d is taken (pick others with -port): %v", port, err)
	} else {
		ln.Close()
	}
	logFile, err := os.Create(filepath.Join(cfg.out, name+".log"))
	if err != nil {
		fatal("%v", err)
	}
	cmd := exec.Command(cfg.bin, "serve")
	var env []string
	for _, kv := range os.Environ() {
		// TALLY_PPROF_ADDR reaches a binary built with -tags pprof.
		if !strings.HasPrefix(kv, "TALLY_") || strings.HasPrefix(kv, "TALLY_PPROF_ADDR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(append(env,
		"TALLY_ADDR=127.0.0.1:"+strconv.Itoa(port), "TALLY_DATABASE_URL="+dbURL, "TALLY_PUBLIC_URL="+base,
		"TALLY_ADMIN_TOKEN="+adminToken, "TALLY_HASH_KEY="+hex.EncodeToString(hashKey),
		"TALLY_BLOCK_KEY="+hex.EncodeToString(blockKey), "TALLY_LOG_LEVEL=warn",
		"TALLY_SECRET_KEY="+strings.Repeat("ab", 32),
	), extra...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		fatal("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, base: base, done: make(chan struct{})}
	go func() { cmd.Wait(); logFile.Close(); close(p.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			fatal("%s exited at start; see %s", name, filepath.Join(cfg.out, name+".log"))
		case <-time.After(50 * time.Millisecond):
		}
	}
	fatal("%s did not start", name)
	return nil
}

func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.kill9()
	}
}

// rssKiB reads VmRSS of the process.
func (p *proc) rssKiB() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// ---------------------------------------------------------------- HTTP

var client = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 2048, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// do sends a request and returns the status (0: no answer), body and headers.
func do(method, u, token string, body []byte, headers ...string) (int, []byte, http.Header, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header, nil
}

func mustJSON(method, u, token string, body any, want int, out any) {
	data, _ := json.Marshal(body)
	code, resp, _, err := do(method, u, token, data)
	if err != nil || code != want {
		fatal("%s %s: %d %v %s", method, u, code, err, resp)
	}
	if out != nil {
		json.Unmarshal(resp, out)
	}
}

type shop struct {
	vendorID, secretKey, publicKey, partnerID string
	keys                                      []string
}

// seedShop creates a vendor (10 % of every purchase, no hold), a partner
// and n links through the API of base.
func seedShop(base string, links int) shop {
	var v struct{ ID, SecretKey, PublicKey string }
	var raw map[string]any
	mustJSON("POST", base+"/admin/v1/vendors", adminToken, map[string]string{"name": "Faults Shop", "domain": "shop.example.com"}, 201, &raw)
	v.ID, v.SecretKey, v.PublicKey = raw["id"].(string), raw["secret_key"].(string), raw["public_key"].(string)
	mustJSON("PATCH", base+"/v1/vendor", v.SecretKey, map[string]any{
		"stripe_webhook_secret": whsec,
		"reward_rule":           map[string]any{"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 0},
	}, 200, nil)
	var p struct{ ID string }
	mustJSON("POST", base+"/v1/partners", v.SecretKey, map[string]string{"name": "Ada", "email": "ada@partner.example"}, 201, &p)
	s := shop{vendorID: v.ID, secretKey: v.SecretKey, publicKey: v.PublicKey, partnerID: p.ID}
	for i := range links {
		var l struct{ Key string }
		mustJSON("POST", base+"/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": fmt.Sprintf("https://shop.example.com/p/%d", i)}, 201, &l)
		s.keys = append(s.keys, l.Key)
	}
	return s
}

// clickToken follows /r/key and returns status and tally_ref.
func clickToken(base, key string) (int, string, error) {
	code, _, h, err := do("GET", base+"/r/"+key, "", nil)
	if err != nil || code != http.StatusFound {
		return code, "", err
	}
	u, err := url.Parse(h.Get("Location"))
	if err != nil {
		return code, "", err
	}
	return code, u.Query().Get(attribution.RefParam), nil
}

func codec() *attribution.TokenCodec {
	c, err := attribution.NewTokenCodec(hashKey, blockKey)
	if err != nil {
		fatal("%v", err)
	}
	return c
}

// ---------------------------------------------------------------- pacing and stats

// pace calls fn(i, intended) at rate per second for d, each in its own
// goroutine (open loop: a slow answer does not delay the next send), and
// waits for all of them.
func pace(ctx context.Context, rate int, d time.Duration, fn func(i int, intended time.Time)) {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return
			case <-time.After(w):
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i, at)
		}()
	}
	wg.Wait()
}

// stats collects latencies (from the intended send time) and statuses.
type stats struct {
	mu     sync.Mutex
	lat    []time.Duration
	codes  map[int]int
	errors map[string]int
}

func newStats() *stats { return &stats{codes: map[int]int{}, errors: map[string]int{}} }

func (s *stats) add(code int, err error, since time.Time) {
	d := time.Since(since)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat = append(s.lat, d)
	s.codes[code]++
	if err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		s.errors[msg]++
	}
}

func (s *stats) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lat)
}

func (s *stats) pct(p float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lat) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), s.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	i := int(p/100*float64(len(l))+0.5) - 1
	i = max(0, min(i, len(l)-1))
	return l[i]
}

func (s *stats) codeString() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ks []int
	for k := range s.codes {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var parts []string
	for _, k := range ks {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, s.codes[k]))
	}
	for e, n := range s.errors {
		parts = append(parts, fmt.Sprintf("%d × %q", n, e))
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (s *stats) row(name string) string {
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %s | %s |", name, s.n(), ms(s.pct(50)), ms(s.pct(99)), ms(s.pct(99.9)), ms(s.pct(100)), s.codeString())
}

const statsHeader = "| traffic | requests | p50 | p99 | p99.9 | max | answers |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |"

// check is one acceptance line.
type check struct {
	what, figure string
	ok           bool
}

func checksTable(cs []check) (string, bool) {
	var b strings.Builder
	b.WriteString("| check | figure | |\n| --- | --- | --- |\n")
	all := true
	for _, c := range cs {
		res := "**pass**"
		if !c.ok {
			res, all = "**FAIL**", false
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.what, c.figure, res)
	}
	return b.String(), all
}

// sign returns the Stripe-Signature header of payload signed with secret at
// ts, as Stripe computes it.
func sign(payload []byte, secret string, ts time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts}).Header
}

// waitQueueEmpty waits until the webhook queue is applied: events answered
// "queued" are applied by a background worker shortly after their 2xx.
func waitQueueEmpty(db *sql.DB) {
	start := time.Now()
	for count(db, "SELECT count(*) FROM stripe_events WHERE outcome = 'queued'") > 0 {
		if time.Since(start) > 10*time.Minute {
			fatal("the webhook queue did not drain in 10 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func stripeEvent(id, typ string, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": time.Now().Unix(), "livemode": true, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	})
	return b
}

func checkout(id string, amount int64, ref, email string) map[string]any {
	return map[string]any{
		"id": id, "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": amount, "currency": "usd", "payment_intent": "pi_" + id, "client_reference_id": ref,
		"customer_details": map[string]any{"email": email},
	}
}

// machine describes where the run happened.
func machine() string {
	cpu := "?"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	n, _ := exec.Command("nproc").Output()
	return fmt.Sprintf("%s CPUs (%s), tally, PostgreSQL and the generator on one machine over 127.0.0.1", strings.TrimSpace(string(n)), cpu)
}
