package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
	"github.com/tally-dev/tally/webhooks"
)

// refusePurchases makes the database refuse every new purchase, as a
// broken deployment would, until the returned function lifts it.
func refusePurchases(t *testing.T, e *testenv.Env) (lift func()) {
	t.Helper()
	db := e.App.Store.DB()
	stmts := []string{`CREATE TRIGGER refuse_purchases BEFORE INSERT ON purchases
		BEGIN SELECT RAISE(ABORT, 'purchases refused by the test'); END`}
	drop := []string{`DROP TRIGGER refuse_purchases`}
	if testenv.IsPostgres() {
		stmts = []string{
			`CREATE FUNCTION refuse_purchases() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'purchases refused by the test'; END $$`,
			`CREATE TRIGGER refuse_purchases BEFORE INSERT ON purchases FOR EACH ROW EXECUTE FUNCTION refuse_purchases()`,
		}
		drop = []string{`DROP TRIGGER refuse_purchases ON purchases`, `DROP FUNCTION refuse_purchases()`}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return func() {
		t.Helper()
		for _, s := range drop {
			if _, err := db.ExecContext(t.Context(), s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
}

type stripeEventList struct {
	Data []struct {
		ID            string     `json:"id"`
		Type          string     `json:"type"`
		Outcome       string     `json:"outcome"`
		Attempts      int        `json:"attempts"`
		LastError     string     `json:"last_error"`
		NextAttemptAt *time.Time `json:"next_attempt_at"`
		ReceivedAt    time.Time  `json:"received_at"`
	} `json:"data"`
	HasMore bool `json:"has_more"`
}

func stripeEvents(t *testing.T, e *testenv.Env, token, query string) stripeEventList {
	t.Helper()
	var l stripeEventList
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/stripe_events"+query, token, nil)).JSON(t, &l)
	return l
}

// An event that fails on every attempt is dead after the last one, listed
// to its vendor and counted for operators; the vendor retries it once the
// cause is fixed, and it is applied.
func TestStripeEvents_DeadThenRetried(t *testing.T) {
	const maxAttempts = 3
	e := testenv.New(t, func(c *app.Config) {
		c.WebhookQueue = webhooks.QueueAlways
		c.WebhookMaxAttempts = maxAttempts
	})
	v := e.NewVendor(t, "Acme")
	const secret = "whsec_dead_0123456789"
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": secret}))
	lift := refusePurchases(t, e)

	r := e.Must(t, http.StatusOK, postStripe(t, e, v.ID, secret, "evt_poison", "checkout.session.completed", map[string]any{
		"id": "cs_poison", "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": 4200, "currency": "usd", "payment_intent": "pi_poison",
		"customer_details": map[string]any{"email": "poison@customer.example"},
	}))
	if r.Map(t)["outcome"] != "queued" {
		t.Fatalf("answer = %s", r.Body)
	}

	// The worker tries it, fails, waits out each backoff (the clock moves
	// past it), and stops at the last attempt.
	deadline := time.Now().Add(20 * time.Second)
	for len(stripeEvents(t, e, v.SecretKey, "?status=dead").Data) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the event never died: %+v", stripeEvents(t, e, v.SecretKey, ""))
		}
		e.App.ApplyQueuedEventsOnce(t.Context())
		e.Clock.Advance(2 * time.Hour)
	}
	// A dead event is not tried again, however long it waits.
	for range 3 {
		e.App.ApplyQueuedEventsOnce(t.Context())
		e.Clock.Advance(24 * time.Hour)
	}
	dead := stripeEvents(t, e, v.SecretKey, "?status=dead").Data
	if len(dead) != 1 {
		t.Fatalf("dead = %+v", dead)
	}
	d := dead[0]
	if d.ID != "evt_poison" || d.Type != "checkout.session.completed" || d.Outcome != "dead" || d.Attempts != maxAttempts ||
		!strings.Contains(d.LastError, "purchases refused by the test") || d.NextAttemptAt != nil {
		t.Fatalf("dead event = %+v", d)
	}
	if q := stripeEvents(t, e, v.SecretKey, "?status=queued").Data; len(q) != 0 {
		t.Fatalf("queued = %+v", q)
	}
	raw := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/stripe_events", v.SecretKey, nil))
	if strings.Contains(string(raw.Body), "payload") || strings.Contains(string(raw.Body), "poison@customer.example") {
		t.Fatalf("the list shows the payload: %s", raw.Body)
	}

	// Operators see it.
	var st struct {
		WebhookQueue int `json:"webhook_queue"`
		WebhookDead  int `json:"webhook_dead"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/admin/v1/status", testenv.AdminToken, nil)).JSON(t, &st)
	if st.WebhookDead != 1 || st.WebhookQueue != 0 {
		t.Fatalf("status = %+v", st)
	}
	m := metricsOf(t, e)
	if got := m.value(t, "tally_webhook_dead"); got != 1 {
		t.Errorf("tally_webhook_dead = %v", got)
	}
	if got := m.value(t, "tally_stripe_events_total", "type", "checkout.session.completed", "outcome", "attempt_failed"); got != maxAttempts {
		t.Errorf("failed attempts counted = %v, want %d", got, maxAttempts)
	}
	if got := m.value(t, "tally_stripe_events_total", "type", "checkout.session.completed", "outcome", "dead"); got != 1 {
		t.Errorf("dead events counted = %v", got)
	}

	// Another vendor neither sees nor retries it.
	other := e.NewVendor(t, "Other")
	if l := stripeEvents(t, e, other.SecretKey, ""); len(l.Data) != 0 {
		t.Fatalf("another vendor sees %+v", l.Data)
	}
	e.Must(t, http.StatusNotFound, e.Do(t, "POST", "/v1/stripe_events/evt_poison/retry", other.SecretKey, nil))
	e.Must(t, http.StatusBadRequest, e.Do(t, "POST", "/v1/stripe_events/evt_poison/retry", v.SecretKey, map[string]any{"reason": strings.Repeat("x", 1001)}))
	e.Must(t, http.StatusBadRequest, e.Do(t, "POST", "/v1/stripe_events/evt_poison/retry", v.SecretKey, map[string]any{"why": "typo"}))
	if l := stripeEvents(t, e, v.SecretKey, "?status=dead"); len(l.Data) != 1 {
		t.Fatal("a refused retry changed the event")
	}

	// The cause is fixed; the vendor retries; the event is applied.
	lift()
	var retried struct {
		Outcome  string `json:"outcome"`
		Attempts int    `json:"attempts"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/stripe_events/evt_poison/retry", v.SecretKey, map[string]any{"reason": "trigger removed"})).JSON(t, &retried)
	if retried.Outcome != "queued" || retried.Attempts != 0 {
		t.Fatalf("retried = %+v", retried)
	}
	e.Must(t, http.StatusConflict, e.Do(t, "POST", "/v1/stripe_events/evt_poison/retry", v.SecretKey, nil))
	deadline = time.Now().Add(20 * time.Second)
	for {
		e.App.ApplyQueuedEventsOnce(t.Context())
		l := stripeEvents(t, e, v.SecretKey, "")
		if len(l.Data) == 1 && l.Data[0].Outcome == "purchase_unmatched" {
			if l.Data[0].LastError != "" {
				t.Fatalf("an applied event keeps its last error: %+v", l.Data[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retried event was not applied: %+v", l.Data)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var purchases struct {
		Data []struct {
			Amount int64 `json:"amount"`
		} `json:"data"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/purchases", v.SecretKey, nil)).JSON(t, &purchases)
	if len(purchases.Data) != 1 || purchases.Data[0].Amount != 4200 {
		t.Fatalf("purchases = %+v", purchases.Data)
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/admin/v1/status", testenv.AdminToken, nil)).JSON(t, &st)
	if st.WebhookDead != 0 || st.WebhookQueue != 0 {
		t.Fatalf("status after the retry = %+v", st)
	}

	// The retry is audited.
	var audit struct {
		Data []struct {
			Action string         `json:"action"`
			Actor  string         `json:"actor"`
			Reason string         `json:"reason"`
			Before map[string]any `json:"before"`
			After  map[string]any `json:"after"`
		} `json:"data"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_type=stripe_event&object_id=evt_poison", v.SecretKey, nil)).JSON(t, &audit)
	if len(audit.Data) != 1 {
		t.Fatalf("audit = %+v", audit.Data)
	}
	a := audit.Data[0]
	if a.Action != "stripe_event.retry" || a.Reason != "trigger removed" || a.Before["outcome"] != "dead" ||
		a.Before["attempts"] != float64(maxAttempts) || a.After["outcome"] != "queued" || !strings.HasPrefix(a.Actor, "secret_key:") {
		t.Fatalf("audit entry = %+v", a)
	}
}

// The list pages newest received first, each event once, events received
// at the same time ordered by id; its filters and cursor are checked.
func TestStripeEvents_ListPages(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	const secret = "whsec_pages_0123456789"
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": secret}))
	ids := []string{"evt_a", "evt_b", "evt_c", "evt_d", "evt_e"}
	for i, id := range ids {
		if i%2 == 0 {
			e.Clock.Advance(time.Second) // some events share their received_at
		}
		e.Must(t, http.StatusOK, postStripe(t, e, v.ID, secret, id, "payout.paid", map[string]any{"id": "po_" + id, "object": "payout"}))
	}
	var got []string
	cursor := ""
	for range len(ids) + 1 {
		var page struct {
			Data       []struct{ ID string } `json:"data"`
			HasMore    bool                  `json:"has_more"`
			NextCursor string                `json:"next_cursor"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/stripe_events?limit=2&cursor="+cursor, v.SecretKey, nil)).JSON(t, &page)
		for _, d := range page.Data {
			got = append(got, d.ID)
		}
		if !page.HasMore {
			break
		}
		cursor = page.NextCursor
	}
	if strings.Join(got, ",") != "evt_e,evt_d,evt_c,evt_b,evt_a" {
		t.Fatalf("pages = %v, want newest first, each once", got)
	}
	if l := stripeEvents(t, e, v.SecretKey, "?status=dead"); len(l.Data) != 0 {
		t.Fatalf("dead = %+v", l.Data)
	}
	e.Must(t, http.StatusBadRequest, e.Do(t, "GET", "/v1/stripe_events?status=applied", v.SecretKey, nil))
	e.Must(t, http.StatusBadRequest, e.Do(t, "GET", "/v1/stripe_events?cursor=evt_missing", v.SecretKey, nil))
	e.Must(t, http.StatusBadRequest, e.Do(t, "GET", "/v1/stripe_events?limit=0", v.SecretKey, nil))
	e.Must(t, http.StatusUnauthorized, e.Do(t, "GET", "/v1/stripe_events", "", nil))
}
