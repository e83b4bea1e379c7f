package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestPortal_NewRewardEmail: a purchase reward emails its partner in the
// reward's transaction, with a List-Unsubscribe link; opening the link
// changes nothing, posting it (the page's button or a mail client's
// one-click) turns that email off, and the next reward sends none.
func TestPortal_NewRewardEmail(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	pp := newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", pp.v.SecretKey, map[string]any{"reward_rule": map[string]any{
		"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 30}}))
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", pp.v.SecretKey, map[string]any{
		"email": "carol@customer.example", "partner_id": pp.p.ID, "reason": "phone"})).Map(t)["id"].(string)
	buy := func(amount int) {
		e.Clock.Advance(time.Second)
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", pp.v.SecretKey, map[string]any{
			"customer_id": cust, "amount": amount, "currency": "usd", "reason": "wire"}))
	}
	buy(5000)
	m := sink.Wait(t, 1)[0]
	if !strings.Contains(m.To, "ada@partners.example") || m.From.Name != "Acme" || !strings.Contains(m.Text, "USD 5.00") ||
		!strings.Contains(m.ListUnsubscribe, "/partner/unsubscribe/") || !strings.Contains(m.Text, "/partner/rewards") {
		t.Fatalf("new reward email to %q, unsubscribe %q:\n%s", m.To, m.ListUnsubscribe, m.Text)
	}
	unsub := strings.TrimPrefix(m.ListUnsubscribe, e.URL())
	wants := func() bool {
		n := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/me", pp.p.Token, nil)).Map(t)["notifications"].(map[string]any)
		return n["new_reward"] == true
	}

	b := e.NewBrowser(t)
	page := b.Get(t, unsub).Must(t, http.StatusOK)
	if !strings.Contains(page.Body, "New reward") || !wants() {
		t.Fatalf("opening the unsubscribe link changed something, or says nothing:\n%s", page.Body)
	}
	// RFC 8058 one-click: a POST with this body, no cookie, no form token.
	r := e.Do(t, "POST", unsub, "", "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
	if r.StatusCode != http.StatusOK || wants() {
		t.Fatalf("one-click unsubscribe: %d, still wanted %v", r.StatusCode, wants())
	}
	b.Post(t, unsub, url.Values{}).Must(t, http.StatusOK) // again: no error
	e.Must(t, http.StatusNotFound, e.Do(t, "GET", "/partner/unsubscribe/not-a-token", "", nil))

	buy(7000)
	time.Sleep(300 * time.Millisecond) // time for a wrong email to arrive
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d emails after unsubscribing, want 1", n)
	}
	rewards := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/rewards", pp.p.Token, nil)).Map(t)["data"].([]any)
	if len(rewards) != 2 {
		t.Fatalf("rewards = %v", rewards)
	}
}
