package api_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/internal/testenv"
)

// sendStripe posts a signed Stripe event to the vendor's webhook and waits
// until it is applied.
func sendStripe(t *testing.T, e *testenv.Env, vendorID, secret, id, typ string, obj map[string]any) {
	t.Helper()
	e.Clock.Advance(time.Millisecond)
	payload, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": e.Clock.Now().Unix(), "livemode": true, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header))
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := e.App.ApplyQueuedEventsOnce(t.Context()); err != nil {
			t.Fatalf("applying the queue: %v", err)
		}
		if n, err := e.App.Store.Payments.QueuedPaymentEvents(t.Context()); err != nil || n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("events still queued")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// csvRows reads a CSV export into maps by column name.
func csvRows(t *testing.T, e *testenv.Env, token, path string) []map[string]string {
	t.Helper()
	r := e.Must(t, http.StatusOK, e.Do(t, "GET", path, token, nil))
	recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v\n%s", path, err, r.Body)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		out = append(out, row)
	}
	return out
}

// TestExports_FormulasNeutralised: text from visitors, the vendor's backend
// and partners cannot run as a spreadsheet formula; amounts stay numbers,
// negative ones included.
func TestExports_FormulasNeutralised(t *testing.T) {
	t.Parallel()
	const secret = "whsec_csv_test_0123456789"
	const formula = `=HYPERLINK("http://evil.example/","Click")`
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"stripe_webhook_secret": secret, "reward_rule": map[string]any{"type": "percent", "percent": 1000, "hold_days": 0},
	}))
	p := e.NewPartner(t, v, "@x", "x@partner.example")
	l := e.NewLink(t, v, p, "https://shop.example/")

	tok := refOf(t, e.Must(t, http.StatusFound, e.Click(t, l.Key+"?utm_source="+url.QueryEscape(formula))))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"ref": tok, "email": "buyer@example.com", "external_id": "+1"}))
	sendStripe(t, e, v.ID, secret, "evt_buy", "checkout.session.completed", map[string]any{
		"id": "cs_buy", "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": 10000, "currency": "usd", "payment_intent": "pi_buy", "client_reference_id": "+1",
	})
	var rewards struct{ Data []map[string]any }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards?kind=purchase", v.SecretKey, nil)).JSON(t, &rewards)
	if len(rewards.Data) != 1 {
		t.Fatalf("rewards = %v", rewards.Data)
	}
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+rewards.Data[0]["id"].(string)+"/pay", v.SecretKey, map[string]any{"reason": "payout"}))
	// A refund after payout claws back with a negative adjustment.
	sendStripe(t, e, v.ID, secret, "evt_refund", "charge.refunded", map[string]any{
		"id": "ch_buy", "object": "charge", "amount": 10000, "amount_refunded": 4000, "currency": "usd", "payment_intent": "pi_buy",
	})
	e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/rewards", v.SecretKey, map[string]any{"partner_id": p.ID, "amount": 200, "currency": "usd", "reason": "-2"}))

	purchases := csvRows(t, e, v.SecretKey, "/v1/purchases.csv")
	if len(purchases) != 1 {
		t.Fatalf("purchases = %v", purchases)
	}
	for col, want := range map[string]string{
		"utm_source": "'" + formula, "customer_external_id": "'+1", "partner_name": "'@x",
		"amount": "10000", "refunded_amount": "4000", "reward_amount": "1000", "customer_email": "buyer@example.com",
	} {
		if got := purchases[0][col]; got != want {
			t.Errorf("purchases.csv %s = %q, want %q", col, got, want)
		}
	}

	byKind := map[string]map[string]string{}
	for _, r := range csvRows(t, e, v.SecretKey, "/v1/rewards.csv") {
		byKind[r["kind"]] = r
		if r["partner_name"] != "'@x" {
			t.Errorf("rewards.csv partner_name = %q", r["partner_name"])
		}
	}
	if adj := byKind["adjustment"]; adj["amount"] != "-400" {
		t.Errorf("adjustment row = %v, want amount -400", adj)
	}
	if man := byKind["manual"]; man["reason"] != "'-2" || man["amount"] != "200" {
		t.Errorf("manual row = %v", man)
	}
}
