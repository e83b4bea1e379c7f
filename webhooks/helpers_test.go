package webhooks_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
	"github.com/tally-dev/tally/webhooks"
)

const secret = "whsec_test_secret_123"

// shop is a vendor connected to Stripe, with a partner and a link.
type shop struct {
	e       *testenv.Env
	v       testenv.Vendor
	p       testenv.Partner
	link    testenv.Link
	version string
	test    bool // send test-mode events (livemode: false)
}

// eachQueueMode runs fn with events applied while the webhook waits
// (TALLY_WEBHOOK_QUEUE=never) and with every event queued and applied by
// the background worker (always): both must have the same effects.
func eachQueueMode(t *testing.T, fn func(t *testing.T, mode string)) {
	for _, mode := range []string{webhooks.QueueNever, webhooks.QueueAlways} {
		t.Run(mode, func(t *testing.T) { fn(t, mode) })
	}
}

// newShop starts Tally with the webhook queue mode given (default auto).
func newShop(t *testing.T, rule map[string]any, mode ...string) *shop {
	t.Helper()
	e := testenv.New(t, func(c *app.Config) {
		if len(mode) > 0 {
			c.WebhookQueue = mode[0]
		}
	})
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": secret, "reward_rule": rule}))
	p := e.NewPartner(t, v, "Ada", "ada@partner.example")
	var l testenv.Link
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{
		"partner_id": p.ID, "destination_url": "https://shop.example/",
		"utm": map[string]string{"source": "newsletter", "medium": "email", "campaign": "spring"},
	})).JSON(t, &l)
	return &shop{e: e, v: v, p: p, link: l, version: "2023-10-16"}
}

// token clicks the link and returns the tally_ref token.
func (s *shop) token(t *testing.T) string {
	t.Helper()
	r := s.e.Must(t, http.StatusFound, s.e.Click(t, s.link.Key))
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("tally_ref")
}

// payload builds a Stripe event around obj.
func (s *shop) payload(id, typ string, obj map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": s.version,
		"created": s.e.Clock.Now().Unix(), "livemode": !s.test, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	})
	return b
}

// sendAt signs payload with secret at ts and posts it.
func (s *shop) sendRaw(t *testing.T, vendorID, sec string, payload []byte, ts time.Time) *testenv.Response {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: sec, Timestamp: ts})
	return s.e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header)
}

// send posts a signed event and wants 200; it returns the outcome. A
// queued event is waited for until the worker has applied it, and its
// applied outcome is returned.
func (s *shop) send(t *testing.T, id, typ string, obj map[string]any) string {
	t.Helper()
	s.e.Clock.Advance(time.Millisecond)
	r := s.e.Must(t, http.StatusOK, s.sendRaw(t, s.v.ID, secret, s.payload(id, typ, obj), time.Now()))
	var a struct {
		Received bool   `json:"received"`
		Outcome  string `json:"outcome"`
	}
	r.JSON(t, &a)
	if !a.Received {
		t.Fatalf("not received: %s", r.Body)
	}
	if a.Outcome != "queued" {
		return a.Outcome
	}
	s.drain(t)
	var out string
	if err := s.e.App.Store.DB().NewSelect().Table("stripe_events").Column("outcome").
		Where("vendor_id = ? AND id = ?", s.v.ID, id).Scan(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// drain waits until the webhook queue is empty, applying it from the test
// too (beside the background worker, as another instance would).
func (s *shop) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := s.e.App.ApplyQueuedEventsOnce(t.Context()); err != nil {
			t.Fatalf("applying the queue: %v", err)
		}
		n, err := s.e.App.Store.Payments.QueuedPaymentEvents(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still queued", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *shop) purchases(t *testing.T, query string) []map[string]any {
	t.Helper()
	var l struct{ Data []map[string]any }
	s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/purchases"+query, s.v.SecretKey, nil)).JSON(t, &l)
	return l.Data
}

func (s *shop) rewards(t *testing.T, query string) []map[string]any {
	t.Helper()
	var l struct{ Data []map[string]any }
	s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/rewards"+query, s.v.SecretKey, nil)).JSON(t, &l)
	return l.Data
}

func (s *shop) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := s.e.App.Store.DB().NewSelect().TableExpr(table).ColumnExpr("count(*)").Scan(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func session(id string, amount int64, extra map[string]any) map[string]any {
	o := map[string]any{
		"id": id, "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": amount, "currency": "usd", "payment_intent": "pi_" + id[3:],
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func inv(id string, amount int64, customer string, extra map[string]any) map[string]any {
	o := map[string]any{
		"id": id, "object": "invoice", "amount_paid": amount, "currency": "usd", "customer": customer,
		"status": "paid", "billing_reason": "subscription_cycle", "charge": "ch_" + id[3:], "payment_intent": "pi_" + id[3:],
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}
