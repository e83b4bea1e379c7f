package app_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
	"github.com/tally-dev/tally/webhooks"
)

// tcpProxy forwards connections to upstream until cut: Cut closes every
// open connection and refuses new ones (accepted, then closed at once, as a
// database whose host went away would look through a load balancer);
// Restore lets them through again.
type tcpProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	down     bool
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

func newTCPProxy(t *testing.T, upstream string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// Cut drops every connection and refuses new ones until Restore.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore accepts connections again.
func (p *tcpProxy) Restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestOutage_PostgresCutMidTraffic cuts the connection between Tally and
// PostgreSQL (a TCP proxy in between) while redirects, signups and Stripe
// webhooks flow, then restores it:
//   - while it is down, signups and webhooks answer 503 (never 500, never
//     2xx for something not stored); redirects of cached links keep
//     answering 302 within TALLY_CLICK_WAIT;
//   - nothing is half-written: every signup row has its customer, every
//     stored Stripe event its purchase and reward;
//   - Stripe-style redelivery after recovery (every event again, failed
//     or not) applies each event exactly once, and retried signups end
//     with one customer each;
//   - every click answered 302 reaches the database after recovery
//     (rows == 302s).
//
// It runs with the default webhook queue mode and with every event queued
// (applied by the background worker, which also meets the outage).
func TestOutage_PostgresCutMidTraffic(t *testing.T) {
	if !testenv.IsPostgres() {
		t.Skip("cuts a PostgreSQL connection through a TCP proxy (the PostgreSQL pass runs this)")
	}
	t.Parallel()
	for _, mode := range []string{webhooks.QueueAuto, webhooks.QueueAlways} {
		t.Run("webhooks_"+mode, func(t *testing.T) {
			t.Parallel()
			outageMidTraffic(t, mode)
		})
	}
}

func outageMidTraffic(t *testing.T, webhookQueue string) {
	direct := testenv.DatabaseURL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.Addr()
	clock := testenv.NewClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	in, err := startInstance(t, "A", u.String(), clock.Now, func(c *app.Config) {
		c.ClickWait = 300 * time.Millisecond
		c.LinkCacheTTL = 200 * time.Millisecond // expires during the outage: the stale entry must serve
		c.WebhookQueue = webhookQueue
	})
	if err != nil {
		t.Fatal(err)
	}
	st := in.app.Store

	v := in.must(t, http.StatusCreated, "POST", "/admin/v1/vendors", multiAdmin, map[string]string{"name": "Acme"})
	vendorID, sk := v["id"].(string), v["secret_key"].(string)
	in.must(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{
		"stripe_webhook_secret": multiWhsec,
		"reward_rule":           map[string]any{"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 0},
	})
	p := in.must(t, http.StatusCreated, "POST", "/v1/partners", sk, map[string]string{"name": "Ada", "email": "ada@partner.example"})
	l := in.must(t, http.StatusCreated, "POST", "/v1/links", sk, map[string]any{"partner_id": p["id"], "destination_url": "https://acme.example/"})
	key := l["key"].(string)
	_, ref := in.click(t, key) // warms the link cache; a token for signups and purchases
	if ref == "" {
		t.Fatal("no token")
	}

	var (
		mu         sync.Mutex
		tokens     []string // of every 302
		redirOther = map[int]int{}
		signups    = map[string][]int{} // external_id -> statuses
		events     = map[string][]byte{}
		evStatus   = map[string][]int{}
		phase      atomic.Int32 // 0 before, 1 down, 2 after
		during     = map[string]map[int]int{"signup": {}, "webhook": {}, "redirect": {}}
	)
	note := func(kind string, code int) {
		if phase.Load() == 1 {
			during[kind][code]++
		}
	}
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 4 { // redirects
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				code, tok := in.click(t, key)
				mu.Lock()
				note("redirect", code)
				if code == http.StatusFound {
					tokens = append(tokens, tok)
				} else {
					redirOther[code]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() { // signups
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			ext := fmt.Sprintf("out%d", i)
			code, _, _ := in.do(t, "POST", "/v1/signups", sk, map[string]string{"ref": ref, "email": ext + "@example.com", "external_id": ext})
			mu.Lock()
			note("signup", code)
			signups[ext] = append(signups[ext], code)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Add(1)
	go func() { // webhooks: each purchase earns 10 % of 10,000
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			id := fmt.Sprintf("evt_out_%d", i)
			payload := stripeEvent(id, "checkout.session.completed", clock.Now(),
				checkoutSession(fmt.Sprintf("cs_out_%d", i), 10_000, ref, fmt.Sprintf("buyer%d@example.com", i)))
			code, _ := in.webhook(t, vendorID, payload)
			mu.Lock()
			note("webhook", code)
			events[id] = payload
			evStatus[id] = append(evStatus[id], code)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()

	time.Sleep(700 * time.Millisecond)
	phase.Store(1)
	proxy.Cut()
	t.Log("PostgreSQL cut")
	time.Sleep(2 * time.Second)
	proxy.Restore()
	phase.Store(2)
	t.Log("PostgreSQL restored")
	time.Sleep(1500 * time.Millisecond)
	stop()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("during the outage: redirects %v, signups %v, webhooks %v", during["redirect"], during["signup"], during["webhook"])
	if len(redirOther) > 0 {
		t.Errorf("redirects answered other than 302: %v", redirOther)
	}
	if during["redirect"][http.StatusFound] == 0 {
		t.Error("no redirect answered during the outage")
	}
	for _, kind := range []string{"signup", "webhook"} {
		if during[kind][http.StatusServiceUnavailable] == 0 {
			t.Errorf("no %s answered 503 during the outage: %v", kind, during[kind])
		}
		for code, n := range during[kind] {
			if code != http.StatusServiceUnavailable && (code < 200 || code > 299) {
				t.Errorf("%d %ss answered %d during the outage (want 2xx or 503)", n, kind, code)
			}
		}
	}

	// Nothing half-written, before any retry.
	checkWhole := func(when string) {
		t.Helper()
		if n := countRows(t, st, "signups AS s", "NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = s.customer_id)"); n != 0 {
			t.Errorf("%s: %d signups without their customer", when, n)
		}
		if n := countRows(t, st, "customers AS c", "c.vendor_id = ? AND c.external_id LIKE 'out%' AND NOT EXISTS (SELECT 1 FROM signups s WHERE s.customer_id = c.id)", vendorID); n != 0 {
			t.Errorf("%s: %d customers without their signup", when, n)
		}
		// A queued event has no effect yet, by design: count applied ones,
		// in one statement (one snapshot: the worker may be applying some).
		var ev, pu, rw int
		if err := st.DB().QueryRowContext(t.Context(), `SELECT
			(SELECT count(*) FROM stripe_events WHERE vendor_id = ? AND outcome <> 'queued'),
			(SELECT count(*) FROM purchases WHERE vendor_id = ?),
			(SELECT count(*) FROM rewards WHERE vendor_id = ?)`, vendorID, vendorID, vendorID).Scan(&ev, &pu, &rw); err != nil {
			t.Fatal(err)
		}
		if ev != pu || pu != rw {
			t.Errorf("%s: stripe_events %d, purchases %d, rewards %d: an event was half applied", when, ev, pu, rw)
		}
	}
	checkWhole("after the outage")

	// Stripe redelivers what was not acknowledged; deliver everything again
	// to also prove acknowledged events are not applied twice.
	redelivered := 0
	for id, payload := range events {
		code, out := in.webhook(t, vendorID, payload)
		if code != http.StatusOK {
			t.Fatalf("redelivery of %s: %d %s", id, code, out)
		}
		acked := false
		for _, c := range evStatus[id] {
			acked = acked || c == http.StatusOK
		}
		if acked && out != attribution.OutcomeDuplicate {
			t.Errorf("event %s was acknowledged before, and redelivery applied it again (%s)", id, out)
		}
		if !acked {
			redelivered++
		}
	}
	for ext, codes := range signups {
		if codes[len(codes)-1] == http.StatusServiceUnavailable {
			code, data, _ := in.do(t, "POST", "/v1/signups", sk, map[string]string{"ref": ref, "email": ext + "@example.com", "external_id": ext})
			if code != http.StatusOK && code != http.StatusCreated {
				t.Fatalf("signup retry %s: %d %s", ext, code, data)
			}
		}
	}
	// Queued events (acknowledged, stored) are applied by the worker.
	if pollUntil(30*time.Second, func() bool {
		n, err := st.Payments.QueuedPaymentEvents(t.Context())
		return err == nil && n == 0
	}) < 0 {
		t.Fatal("Stripe events still queued 30 s after recovery")
	}
	checkWhole("after redelivery")
	if n := countRows(t, st, "stripe_events", "vendor_id = ?", vendorID); n != len(events) {
		t.Errorf("stripe_events = %d, unique events sent = %d", n, len(events))
	}
	var total int64
	if err := st.DB().NewSelect().TableExpr("rewards").ColumnExpr("COALESCE(SUM(amount), 0)").Where("vendor_id = ?", vendorID).Scan(t.Context(), &total); err != nil {
		t.Fatal(err)
	}
	if want := int64(len(events)) * 1000; total != want {
		t.Errorf("rewards total %d, want %d (10 %% of 10,000 per unique event)", total, want)
	}
	if n := countRows(t, st, "customers", "vendor_id = ? AND external_id LIKE 'out%'", vendorID); n != len(signups) {
		t.Errorf("customers = %d, unique signups = %d", n, len(signups))
	}
	t.Logf("%d events (%d redelivered after the outage), %d signups, %d redirects answered 302", len(events), redelivered, len(signups), len(tokens))

	// Every answered click reaches the database once the writer drains.
	if pollUntil(30*time.Second, func() bool { return in.app.Clicks.Queued() == 0 }) < 0 {
		t.Fatalf("%d clicks still queued 30 s after recovery", in.app.Clicks.Queued())
	}
	var ids []string
	if err := st.DB().NewSelect().Table("clicks").Column("id").Scan(t.Context(), &ids); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, id := range ids {
		stored[id] = true
	}
	missing := 0
	for _, tok := range append(tokens, ref) {
		ct, err := in.app.Tokens.Decode(tok)
		if err != nil || !stored[ct.ClickID] {
			missing++
		}
	}
	if missing > 0 || len(ids) != len(tokens)+1 {
		t.Errorf("click rows %d, 302s answered %d (+1 warm-up), answered clicks missing %d", len(ids), len(tokens), missing)
	}
}
