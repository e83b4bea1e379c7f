package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
	"github.com/tally-dev/tally/webhooks"
)

const (
	multiAdmin  = "multi-admin-token"
	multiWhsec  = "whsec_multi_instance_0123456789"
	multiTTL    = 300 * time.Millisecond
	multiBuyers = 6
)

// instance is one Tally process of a deployment: its own App (pool, link
// cache, click writer, jobs) behind its own HTTP server, on the shared
// database.
type instance struct {
	name   string
	app    *app.App
	srv    *httptest.Server
	client *http.Client
}

// startInstance starts an App on dbURL behind an httptest server.
func startInstance(t *testing.T, name, dbURL string, clock attribution.Clock, mod func(*app.Config)) (*instance, error) {
	srv := httptest.NewUnstartedServer(nil)
	cfg := app.Config{
		DatabaseURL: dbURL, AdminToken: multiAdmin, Clock: clock, ClickWait: 5 * time.Second,
		LinkCacheTTL: multiTTL, PublicURL: "http://" + srv.Listener.Addr().String(),
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := app.New(context.Background(), cfg, quietLogger())
	if err != nil {
		srv.Listener.Close()
		return nil, err
	}
	srv.Config.Handler = a.Handler()
	srv.Start()
	in := &instance{name: name, app: a, srv: srv, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	t.Cleanup(func() {
		srv.Close()
		a.Close(context.Background())
	})
	return in, nil
}

// do sends a request; body is JSON-encoded unless it is a []byte.
func (in *instance) do(t *testing.T, method, path, token string, body any, headers ...string) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, in.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", testenv.BrowserUA)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := in.client.Do(req)
	if err != nil {
		t.Errorf("%s: %s %s: %v", in.name, method, path, err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// must sends a request, wants status, and decodes the JSON answer.
func (in *instance) must(t *testing.T, want int, method, path, token string, body any) map[string]any {
	t.Helper()
	code, data, _ := in.do(t, method, path, token, body)
	if code != want {
		t.Fatalf("%s: %s %s: %d, want %d: %s", in.name, method, path, code, want, data)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	return m
}

// click follows /r/key and returns the status and the tally_ref token.
func (in *instance) click(t *testing.T, key string) (int, string) {
	t.Helper()
	code, _, h := in.do(t, "GET", "/r/"+key, "", nil)
	if code != http.StatusFound {
		return code, ""
	}
	u, err := url.Parse(h.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return code, u.Query().Get(attribution.RefParam)
}

// webhook signs payload (now, real time: Stripe's tolerance is checked on
// the wall clock) and posts it.
func (in *instance) webhook(t *testing.T, vendorID string, payload []byte) (int, string) {
	t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: multiWhsec, Timestamp: time.Now()})
	code, data, _ := in.do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header)
	var a struct{ Outcome string }
	json.Unmarshal(data, &a)
	if code != http.StatusOK {
		return code, string(data)
	}
	return code, a.Outcome
}

func stripeEvent(id, typ string, created time.Time, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": created.Unix(), "livemode": true, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	})
	return b
}

func checkoutSession(id string, amount int64, ref, email string) map[string]any {
	return map[string]any{
		"id": id, "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": amount, "currency": "usd", "payment_intent": "pi_" + id, "client_reference_id": ref,
		"customer_details": map[string]any{"email": email},
	}
}

// wantRows reports an error unless table holds want rows matching where.
func wantRows(t *testing.T, st *store.Store, want int, table, where string, args ...any) {
	t.Helper()
	if n := countRows(t, st, table, where, args...); n != want {
		t.Errorf("%s where %s: %d rows, want %d", table, where, n, want)
	}
}

func countRows(t *testing.T, st *store.Store, table, where string, args ...any) int {
	t.Helper()
	q := st.DB().NewSelect().TableExpr(table).ColumnExpr("count(*)")
	if where != "" {
		q = q.Where(where, args...)
	}
	var n int
	if err := q.Scan(context.Background(), &n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// pollUntil calls cond every 20 ms until it is true or limit passes, and
// returns how long it took (or -1).
func pollUntil(limit time.Duration, cond func() bool) time.Duration {
	start := time.Now()
	for time.Since(start) < limit {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return -1
}

// TestMultiInstance_TwoInstancesOneDatabase runs two instances on one
// PostgreSQL database, started at the same moment (so they migrate
// concurrently), and drives both: a deployment behind a load balancer.
func TestMultiInstance_TwoInstancesOneDatabase(t *testing.T) {
	if !testenv.IsPostgres() {
		t.Skip("several instances share one PostgreSQL; SQLite is single-instance (the PostgreSQL pass runs this)")
	}
	t.Parallel()
	dbURL := testenv.DatabaseURL(t)
	clock := testenv.NewClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))

	// Both start at once: migrations and first-start keys race.
	var insts [2]*instance
	var errs [2]error
	var wg sync.WaitGroup
	for i, name := range []string{"A", "B"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts[i], errs[i] = startInstance(t, name, dbURL, clock.Now, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent start: %v", err)
		}
	}
	A, B := insts[0], insts[1]
	stA := A.app.Store

	v := A.must(t, http.StatusCreated, "POST", "/admin/v1/vendors", multiAdmin, map[string]string{"name": "Acme"})
	vendorID, sk := v["id"].(string), v["secret_key"].(string)
	A.must(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{
		"stripe_webhook_secret": multiWhsec,
		"reward_rule":           map[string]any{"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 30},
	})
	p := A.must(t, http.StatusCreated, "POST", "/v1/partners", sk, map[string]string{"name": "Ada", "email": "ada@partner.example"})
	l := A.must(t, http.StatusCreated, "POST", "/v1/links", sk, map[string]any{"partner_id": p["id"], "destination_url": "https://acme.example/"})
	key, linkID := l["key"].(string), l["id"].(string)

	t.Run("LinkCreatedOnA_ClicksOnB", func(t *testing.T) {
		// One instance's token verifies on the other: both loaded the same keys.
		code, tok := B.click(t, key)
		if code != http.StatusFound || tok == "" {
			t.Fatalf("click on B: %d", code)
		}
		if _, err := A.app.Tokens.Decode(tok); err != nil {
			t.Fatalf("B's token does not verify on A: %v", err)
		}
	})

	t.Run("NegativeCacheOnB_BoundedByTTL", func(t *testing.T) {
		// B is asked for a key before it exists: it caches "unknown".
		if code, _ := B.click(t, "later-key"); code != http.StatusNotFound {
			t.Fatalf("unknown key on B: %d", code)
		}
		A.must(t, http.StatusCreated, "POST", "/v1/links", sk, map[string]any{"partner_id": p["id"], "destination_url": "https://acme.example/", "key": "later-key"})
		if code, _ := A.click(t, "later-key"); code != http.StatusFound {
			t.Fatalf("new link on A itself: %d", code)
		}
		took := pollUntil(multiTTL+2*time.Second, func() bool { code, _ := B.click(t, "later-key"); return code == http.StatusFound })
		if took < 0 {
			t.Fatalf("B still answers 404 for a link created on A after TTL %v + 2s", multiTTL)
		}
		t.Logf("a link created on A redirected on B after %v (TTL %v)", took.Round(time.Millisecond), multiTTL)
	})

	t.Run("LinkChangedOnA_BServesLastKnownWhileRefreshing", func(t *testing.T) {
		rl := A.must(t, http.StatusCreated, "POST", "/v1/links", sk, map[string]any{"partner_id": p["id"], "destination_url": "https://old.example/", "key": "refresh-key"})
		host := func() string {
			code, _, h := B.do(t, "GET", "/r/refresh-key", "", nil)
			if code != http.StatusFound {
				t.Fatalf("click on B: %d", code)
			}
			u, err := url.Parse(h.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			return u.Host
		}
		if got := host(); got != "old.example" {
			t.Fatalf("B redirects to %s, want old.example", got)
		}
		A.must(t, http.StatusOK, "PATCH", "/v1/links/"+rl["id"].(string), sk, map[string]any{"destination_url": "https://new.example/"})
		time.Sleep(multiTTL + 50*time.Millisecond)
		// Past the TTL, B answers at once with what it knew and looks the
		// link up again beside the redirect: the next clicks get the change.
		if got := host(); got != "old.example" {
			t.Fatalf("first click on B past the TTL went to %s: it waited for a lookup instead of serving the last known target", got)
		}
		if took := pollUntil(2*time.Second, func() bool { return host() == "new.example" }); took < 0 {
			t.Fatal("B never picked up the new destination after serving the last known one")
		}
	})

	// Signups on both, with tokens clicked on the other instance.
	var tokens []string
	for i := range multiBuyers {
		clicker, signer := A, B
		if i%2 == 1 {
			clicker, signer = B, A
		}
		code, tok := clicker.click(t, key)
		if code != http.StatusFound {
			t.Fatalf("click on %s: %d", clicker.name, code)
		}
		tokens = append(tokens, tok)
		body := map[string]string{"ref": tok, "email": fmt.Sprintf("buyer%d@example.com", i), "external_id": fmt.Sprintf("u%d", i)}
		m := signer.must(t, http.StatusCreated, "POST", "/v1/signups", sk, body)
		if !strings.Contains(fmt.Sprint(m), p["id"].(string)) {
			t.Errorf("signup on %s not attributed to the partner: %v", signer.name, m)
		}
	}
	t.Run("SameSignupOnBothAtOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, in := range []*instance{A, B} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = in.do(t, "POST", "/v1/signups", sk, map[string]string{"ref": tokens[0], "email": "twice@example.com", "external_id": "twice"})
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != http.StatusOK && c != http.StatusCreated {
				t.Errorf("concurrent signup answered %d", c)
			}
		}
		if n := countRows(t, stA, "customers", "external_id = ?", "twice"); n != 1 {
			t.Errorf("customers with external_id twice = %d, want 1", n)
		}
	})

	// Webhooks on both; every event is also delivered to both at once (a
	// Stripe retry racing the original through another instance).
	t.Run("SameStripeEventOnBothAtOnce", func(t *testing.T) {
		for i := range multiBuyers {
			payload := stripeEvent(fmt.Sprintf("evt_multi_%d", i), "checkout.session.completed", clock.Now(),
				checkoutSession(fmt.Sprintf("cs_multi_%d", i), 10_000, tokens[i], fmt.Sprintf("buyer%d@example.com", i)))
			var wg sync.WaitGroup
			out := make([]string, 2)
			codes := make([]int, 2)
			for j, in := range []*instance{A, B} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[j], out[j] = in.webhook(t, vendorID, payload)
				}()
			}
			wg.Wait()
			if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
				t.Fatalf("event %d: answers %d %q / %d %q", i, codes[0], out[0], codes[1], out[1])
			}
			applied := 0
			for _, o := range out {
				if o == attribution.OutcomePurchase {
					applied++
				} else if o != attribution.OutcomeDuplicate {
					t.Errorf("event %d: outcome %q", i, o)
				}
			}
			if applied != 1 {
				t.Errorf("event %d applied %d times (outcomes %v)", i, applied, out)
			}
		}
		wantRows(t, stA, multiBuyers, "stripe_events", "vendor_id = ?", vendorID)
		wantRows(t, stA, multiBuyers, "purchases", "vendor_id = ?", vendorID)
		wantRows(t, stA, multiBuyers, "rewards", "vendor_id = ? AND status = ?", vendorID, attribution.RewardPending)
	})

	t.Run("JobLockExcludesTheOtherInstance", func(t *testing.T) {
		ctx := t.Context()
		for _, job := range []int64{store.JobApproveRewards, store.JobRollup, store.JobRetention} {
			ran, err := A.app.Store.RunJob(ctx, job, func(ctx context.Context) error {
				if ok, err := B.app.Store.RunJob(ctx, job, func(context.Context) error { return nil }); err != nil || ok {
					t.Errorf("job %d: B ran it while A held the lock (%v)", job, err)
				}
				if job == store.JobApproveRewards {
					if _, ran := B.app.ApproveDueRewardsOnce(ctx); ran {
						t.Error("B approved rewards while A held the job lock")
					}
				}
				return nil
			})
			if err != nil || !ran {
				t.Fatalf("job %d on A: ran %v, %v", job, ran, err)
			}
			// Released: B gets it now.
			if ok, err := B.app.Store.RunJob(ctx, job, func(context.Context) error { return nil }); err != nil || !ok {
				t.Errorf("job %d: B could not run it after A released it (%v)", job, err)
			}
		}
	})

	t.Run("ApprovalJobOnBothAtOnce", func(t *testing.T) {
		auditBefore := countRows(t, stA, "audit_entries", "")
		clock.Advance(31 * 24 * time.Hour) // past the 30-day hold
		total, ranCount := 0, 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 5 { // several ticks, both instances each time
			for _, in := range []*instance{A, B} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, ran := in.app.ApproveDueRewardsOnce(t.Context())
					mu.Lock()
					total += n
					if ran {
						ranCount++
					}
					mu.Unlock()
				}()
			}
		}
		wg.Wait()
		if total != multiBuyers {
			t.Errorf("rewards approved across instances = %d, want %d (each exactly once)", total, multiBuyers)
		}
		if ranCount == 0 {
			t.Error("no instance ran the approval job")
		}
		if n := countRows(t, stA, "rewards", "vendor_id = ? AND status = ? AND approved_at IS NOT NULL", vendorID, attribution.RewardApproved); n != multiBuyers {
			t.Errorf("approved rewards = %d, want %d", n, multiBuyers)
		}
		// The automatic approval writes no audit entry; above all it writes
		// none twice.
		if n := countRows(t, stA, "audit_entries", ""); n != auditBefore {
			t.Errorf("audit entries went from %d to %d during the approval job", auditBefore, n)
		}
		t.Logf("%d ticks on 2 instances: %d ran the job, %d skipped it", 10, ranCount, 10-ranCount)
	})

	// Queued webhook events (stored by both instances) are applied by both
	// instances' workers and by explicit passes on both at once: each
	// exactly once (FOR UPDATE SKIP LOCKED).
	t.Run("QueuedEventsAppliedOnceAcrossInstances", func(t *testing.T) {
		ctx := t.Context()
		v, err := A.app.Store.Vendors.FindVendor(ctx, vendorID)
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		for i := range n {
			in := []*instance{A, B}[i%2]
			ev := attribution.PaymentEvent{ID: fmt.Sprintf("evt_queued_%d", i), Type: "checkout.session.completed",
				Purchase: &attribution.PaymentPurchase{Ref: fmt.Sprintf("cs_queued_%d", i), ClientReferenceID: tokens[i%multiBuyers],
					Email: fmt.Sprintf("queued%d@example.com", i), Amount: 2_000, Currency: "usd", PurchasedAt: clock.Now()}}
			webhooks.VerifyToken(in.app.Tokens, v, &ev) // as the webhook does before it queues
			if out, err := in.app.Store.Payments.QueuePaymentEvent(ctx, v, ev); err != nil || out != attribution.OutcomeQueued {
				t.Fatalf("queue %d: %q, %v", i, out, err)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var wg sync.WaitGroup
			for _, in := range []*instance{A, B} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := in.app.ApplyQueuedEventsOnce(ctx); err != nil {
						t.Errorf("%s applying the queue: %v", in.name, err)
					}
				}()
			}
			wg.Wait()
			if q, err := A.app.Store.Payments.QueuedPaymentEvents(ctx); err != nil || q == 0 || time.Now().After(deadline) {
				if q != 0 {
					t.Fatalf("queue still holds %d (%v)", q, err)
				}
				break
			}
		}
		wantRows(t, stA, n, "purchases", "vendor_id = ? AND stripe_ref LIKE 'cs_queued_%'", vendorID)
		wantRows(t, stA, n, "rewards", "vendor_id = ? AND purchase_id IN (SELECT id FROM purchases WHERE stripe_ref LIKE 'cs_queued_%')", vendorID)
		wantRows(t, stA, n, "stripe_events", "vendor_id = ? AND id LIKE 'evt_queued_%' AND outcome = ?", vendorID, attribution.OutcomePurchase)
	})

	t.Run("RollupAndRetentionOnBothAtOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		for _, in := range []*instance{A, B} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := in.app.RollUpOnce(t.Context()); err != nil {
					t.Errorf("%s rollup: %v", in.name, err)
				}
				if _, err := in.app.RetentionOnce(t.Context()); err != nil {
					t.Errorf("%s retention: %v", in.name, err)
				}
			}()
		}
		wg.Wait()
		if _, err := B.app.RollUpOnce(t.Context()); err != nil { // whichever skipped, everything is rolled up now
			t.Fatal(err)
		}
		var rolled int
		if err := stA.DB().NewSelect().TableExpr("click_rollups").ColumnExpr("COALESCE(SUM(clicks + bot_clicks), 0)").Scan(t.Context(), &rolled); err != nil {
			t.Fatal(err)
		}
		if clicks := countRows(t, stA, "clicks", ""); rolled != clicks {
			t.Errorf("rolled-up clicks = %d, raw clicks = %d", rolled, clicks)
		}
	})

	t.Run("ArchiveOnA_StopsOnBWithinTTL", func(t *testing.T) {
		if code, _ := B.click(t, key); code != http.StatusFound { // B has it cached now
			t.Fatalf("click on B: %d", code)
		}
		A.must(t, http.StatusOK, "DELETE", "/v1/links/"+linkID, sk, nil)
		if code, _ := A.click(t, key); code != http.StatusNotFound {
			t.Errorf("A still redirects the link it archived: %d", code)
		}
		took := pollUntil(multiTTL+2*time.Second, func() bool { code, _ := B.click(t, key); return code == http.StatusNotFound })
		if took < 0 {
			t.Fatalf("B still redirects an archived link after TTL %v + 2s", multiTTL)
		}
		t.Logf("archived on A, B stopped redirecting after %v (TTL %v)", took.Round(time.Millisecond), multiTTL)
	})

	// Every click either instance answered is stored once.
	time.Sleep(50 * time.Millisecond)
	var ids []string
	if err := stA.DB().NewSelect().Table("clicks").Column("id").Scan(t.Context(), &ids); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("click %s stored twice", id)
		}
		seen[id] = true
	}
	for _, tok := range tokens {
		ct, err := B.app.Tokens.Decode(tok)
		if err != nil || !seen[ct.ClickID] {
			t.Errorf("answered click %s not stored (%v)", ct.ClickID, err)
		}
	}
}

// TestJobLock_SQLiteJustRuns: on SQLite (one instance) the job helpers run
// every time; on PostgreSQL two runs in a row both get the lock.
func TestJobLock_RunsWhenFree(t *testing.T) {
	t.Parallel()
	a, err := app.New(t.Context(), app.Config{DatabaseURL: testenv.DatabaseURL(t)}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	for range 2 {
		if _, ran := a.ApproveDueRewardsOnce(t.Context()); !ran {
			t.Error("approval job skipped with no other instance")
		}
		if ran, err := a.RollUpOnce(t.Context()); !ran || err != nil {
			t.Errorf("rollup job: ran %v, %v", ran, err)
		}
		if ran, err := a.RetentionOnce(t.Context()); !ran || err != nil {
			t.Errorf("retention job: ran %v, %v", ran, err)
		}
	}
	// Nested on one instance: on PostgreSQL the session lock is held by a
	// dedicated connection, so the same instance's second run skips too;
	// on SQLite it runs.
	ran, err := a.Store.RunJob(t.Context(), store.JobRollup, func(ctx context.Context) error {
		inner, err := a.Store.RunJob(ctx, store.JobRollup, func(context.Context) error { return nil })
		if err != nil {
			return err
		}
		if want := !testenv.IsPostgres(); inner != want {
			t.Errorf("nested run: ran %v, want %v", inner, want)
		}
		return nil
	})
	if !ran || err != nil {
		t.Fatalf("outer run: %v %v", ran, err)
	}
}
