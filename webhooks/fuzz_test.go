package webhooks_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/internal/testenv"
)

// fuzzTables are the rows a Stripe event may write.
var fuzzTables = []string{"stripe_events", "customers", "purchases", "rewards", "audit_entries", "signups"}

func fuzzCounts(tb testing.TB, e *testenv.Env) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, table := range fuzzTables {
		n, err := e.App.Store.DB().NewSelect().TableExpr(table).Count(tb.Context())
		if err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		out[table] = int(n)
	}
	return out
}

func fuzzEvent(id, typ string, obj any) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": 1768478400, "livemode": false, "data": map[string]any{"object": obj},
	})
	return b
}

// FuzzStripeEvent posts arbitrary payloads, correctly signed with the
// vendor's secret, to POST /webhooks/stripe/{vendor_id} through the real
// router and store: the answer is 2xx or 4xx, never 5xx (a 5xx makes Stripe
// retry a payload that can never succeed) nor a panic, and a 4xx wrote nothing.
func FuzzStripeEvent(f *testing.F) {
	// One Tally per fuzz process: each exec only signs and posts.
	e := testenv.New(f)
	v := e.NewVendor(f, "Acme")
	e.Must(f, http.StatusOK, e.Do(f, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"stripe_webhook_secret": secret,
		"reward_rule":           map[string]any{"type": "percent", "percent": 2000, "hold_days": 30},
	}))
	p := e.NewPartner(f, v, "Ada", "ada@partner.example")
	l := e.NewLink(f, v, p, "https://shop.example/")
	r := e.Must(f, http.StatusFound, e.Click(f, l.Key))
	token := r.Header.Get("Location")
	token = token[strings.Index(token, "tally_ref=")+len("tally_ref="):]

	for _, seed := range [][]byte{
		fuzzEvent("evt_1", "checkout.session.completed", session("cs_1", 5000, map[string]any{"client_reference_id": token, "customer": "cus_1", "customer_email": "a@b.example"})),
		fuzzEvent("evt_2", "invoice.paid", inv("in_1", 2500, "cus_1", map[string]any{"customer_email": "a@b.example", "discounts": []any{"di_1", map[string]any{"promotion_code": map[string]any{"id": "promo_1", "code": "ADA"}}}})),
		fuzzEvent("evt_3", "charge.refunded", map[string]any{"id": "ch_1", "amount": 2500, "amount_refunded": 99999, "currency": "usd", "invoice": "in_1"}),
		fuzzEvent("evt_4", "customer.created", map[string]any{"id": "cus_2", "email": "c@d.example", "metadata": map[string]any{"tally_customer_id": 42}}),
		fuzzEvent("evt_5", "customer.updated", map[string]any{"id": "cus_2", "deleted": true}),
		fuzzEvent("evt_6", "checkout.session.completed", session("cs_2", -1, map[string]any{"currency": strings.Repeat("x", 300)})),
		fuzzEvent("evt_7", "invoice.paid", inv("in_2", 1<<62, "cus_\u0000", map[string]any{"customer_email": "\u0000@x.example", "currency": "u\u0000d"})),
		fuzzEvent("evt_8", "checkout.session.completed", session("cs_\u0000", 100, map[string]any{"client_reference_id": strings.Repeat("é", 2000)})),
		fuzzEvent("evt_9", "invoice.paid", []any{1, 2}),
		fuzzEvent("evt_10", "payment_intent.succeeded", map[string]any{"id": "pi_1"}),
		fuzzEvent("", "invoice.paid", nil),
		fuzzEvent(strings.Repeat("e", 5000), "checkout.session.completed", session("cs_3", 100, nil)),
		[]byte(`{"id":"evt_11","type":"invoice.paid","data":{"object":{"id":"in_3","amount_paid":"12","currency":1}}}`),
		[]byte(`{"id":"evt_12","type":"invoice.paid","data":null}`),
		[]byte(`{"id":"evt_13","type":"charge.refunded","data":{"object":{"id":"ch_2","amount":1e400}}}`),
		[]byte(`{"id":"evt_14","type":"customer.created","data":{"object":{"id":"cus_3","metadata":[]}}}`),
		[]byte(`{"id":"evt_15","type":"invoice.paid","created":-9223372036854775808,"data":{"object":{"id":"in_4","amount_paid":5,"currency":"usd","status_transitions":{"paid_at":9223372036854775807}}}}`),
		[]byte(`{"id":"evt_16","type":"checkout.session.completed","data":{"object":{"id":"cs_4","amount_total":100,"currency":"usd","payment_status":"paid","customer":{"id":{"nested":1}}}}}`),
		[]byte(`{`), []byte(`null`), []byte(``), []byte(`[]`), []byte("\xff\xfe"),
	} {
		f.Add(seed)
	}

	handler := e.App.Handler()
	f.Fuzz(func(t *testing.T, payload []byte) {
		before := fuzzCounts(t, e)
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
		req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe/"+v.ID, bytes.NewReader(sp.Payload))
		req.Header.Set("Stripe-Signature", sp.Header)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch code := rec.Code; {
		case code >= 500:
			t.Fatalf("signed payload %q answered %d: %s", payload, code, rec.Body)
		case code >= 400:
			if after := fuzzCounts(t, e); !maps.Equal(before, after) {
				t.Fatalf("signed payload %q answered %d but wrote rows: %v -> %v", payload, code, before, after)
			}
		case code != http.StatusOK:
			t.Fatalf("signed payload %q answered %d: %s", payload, code, rec.Body)
		}
	})
}
