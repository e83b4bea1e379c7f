package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestOverviewWidgets(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	got := text(b.Get(t, "/dashboard").Must(t, http.StatusOK))
	for _, want := range []string{"Clicks over time", "No partner has clicks or sales in this period yet.", "No link has clicks in this period yet.",
		"Snippet health:"} {
		if !strings.Contains(got, want) {
			t.Errorf("the empty overview lacks %q:\n%s", want, got)
		}
	}

	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 30}}))
	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	linus := e.NewPartner(t, v, "Linus", "linus@partners.example")
	lg := e.NewLink(t, v, grace, "https://acme.example/")
	ll := e.NewLink(t, v, linus, "https://acme.example/")
	for i := 0; i < 3; i++ {
		e.Must(t, http.StatusFound, e.Click(t, lg.Key, "User-Agent", testenv.BrowserUA+" g"+string(rune('0'+i))))
	}
	e.Must(t, http.StatusFound, e.Click(t, ll.Key))
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "c1@customers.example", "partner_id": linus.ID, "reason": "test"})).Map(t)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": cust["id"], "amount": 9900, "currency": "usd", "reason": "test"}))
	// A signup without a token, and its purchase: unattributed.
	anon := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": "anon@customers.example"})).Map(t)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": anon["customer"].(map[string]any)["id"], "amount": 100, "currency": "usd", "reason": "test"}))

	page := b.Get(t, "/dashboard").Must(t, http.StatusOK)
	got = text(page)
	for _, want := range []string{
		"Top partners Partner Clicks Purchases Grace 3 0 Linus 1 1",
		"Top links Link Clicks Purchases " + lg.Key + " 3 0 " + ll.Key + " 1 0", // Linus's sale was credited by hand, without a link
		"1 pending reward to approve", "1 unattributed purchase in this period",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the overview lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(page.Body, `href="/dashboard/partners/`+grace.ID+`"`) || !strings.Contains(page.Body, `data-chart="{`) {
		t.Errorf("no link to the top partner, or no chart")
	}
}
