package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/internal/testenv"
)

// Helpers of the record pages' tests (customers, purchases, rewards,
// audit, settings, gaps).

// viewer signs in a viewer of vendorID.
func viewer(t *testing.T, e *testenv.Env, vendorID, email string) *testenv.Browser {
	t.Helper()
	b := e.NewBrowser(t)
	b.Submit(t, userLink(t, e, vendorID, email, "viewer"), url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther)
	return b
}

// act loads page, as a person looking at it, and posts form with the
// page's CSRF token to action.
func act(t *testing.T, b *testenv.Browser, page, action string, form url.Values) *testenv.Page {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", b.Get(t, page).Must(t, http.StatusOK).CSRF(t))
	return b.Post(t, action, f)
}

// auditEntry is an entry of GET /v1/audit.
type auditEntry struct {
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Reason     string          `json:"reason"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// audited returns the vendor's audit entries of action, newest first, as
// the JSON API lists them.
func audited(t *testing.T, e *testenv.Env, v testenv.Vendor, action string) []auditEntry {
	t.Helper()
	var list struct{ Data []auditEntry }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?limit=200", v.SecretKey, nil)).JSON(t, &list)
	var out []auditEntry
	for _, a := range list.Data {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// mustAudit fails unless the newest entry of action is by actor about id.
func mustAudit(t *testing.T, e *testenv.Env, v testenv.Vendor, action, actor, id string) auditEntry {
	t.Helper()
	list := audited(t, e, v, action)
	if len(list) == 0 {
		t.Fatalf("no %s audit entry", action)
	}
	if list[0].Actor != actor || (id != "" && list[0].ObjectID != id) {
		t.Fatalf("the newest %s entry is by %q about %q, want %q about %q", action, list[0].Actor, list[0].ObjectID, actor, id)
	}
	return list[0]
}

// noChangeButtons fails if a viewer's page shows a form that posts a change.
func noChangeButtons(t *testing.T, p *testenv.Page) {
	t.Helper()
	if strings.Contains(p.Body, `method="post" action="/dashboard/`) {
		t.Errorf("%s shows a viewer a change form:\n%s", p.Request.URL.Path, p.Body)
	}
}

// customerOf creates a customer by a signup from the vendor's backend
// (without a token: unattributed, no_token) and returns its id.
func customerOf(t *testing.T, e *testenv.Env, v testenv.Vendor, email string) string {
	t.Helper()
	var r struct {
		Customer struct{ ID string } `json:"customer"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": email})).JSON(t, &r)
	return r.Customer.ID
}

// creditedCustomer creates a customer credited to partner by hand.
func creditedCustomer(t *testing.T, e *testenv.Env, v testenv.Vendor, partnerID, email string) string {
	t.Helper()
	c := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": email, "partner_id": partnerID, "reason": "test"})).Map(t)
	return c["id"].(string)
}

// purchase records a purchase by hand and returns its id and its reward's.
func purchase(t *testing.T, e *testenv.Env, v testenv.Vendor, customerID string, amount int64, currency string) (string, string) {
	t.Helper()
	var p struct {
		ID      string
		Rewards []struct{ ID string }
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": customerID, "amount": amount, "currency": currency, "reason": "test"})).JSON(t, &p)
	reward := ""
	if len(p.Rewards) > 0 {
		reward = p.Rewards[0].ID
	}
	return p.ID, reward
}

const stripeSecret = "whsec_dashboard_test_0123456789"

// testModeReward has Stripe report a test-mode checkout for a customer of
// a partner (found by email).
func testModeReward(t *testing.T, e *testenv.Env, v testenv.Vendor, vendorID, email string) {
	t.Helper()
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": stripeSecret}))
	payload, _ := json.Marshal(map[string]any{
		"id": "evt_test_" + strings.ReplaceAll(email, "@", "_"), "object": "event", "type": "checkout.session.completed",
		"api_version": "2023-10-16", "created": e.Clock.Now().Unix(), "livemode": false,
		"data": map[string]any{"object": map[string]any{
			"id": "cs_test_" + strings.ReplaceAll(email, "@", "_"), "object": "checkout.session", "mode": "payment",
			"payment_status": "paid", "status": "complete", "amount_total": 2000, "currency": "usd", "livemode": false,
			"customer_details": map[string]any{"email": email},
		}},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: stripeSecret, Timestamp: time.Now()})
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header))
}
