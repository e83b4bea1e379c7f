package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// owner creates a vendor with an owner through the admin API and signs
// the owner in; it returns the vendor (with its secret key) and the browser.
func owner(t *testing.T, e *testenv.Env, name, email string) (testenv.Vendor, *testenv.Browser) {
	t.Helper()
	var v struct {
		testenv.Vendor
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken,
		map[string]string{"name": name, "owner_email": email})).JSON(t, &v)
	b := e.NewBrowser(t)
	b.Submit(t, strings.TrimPrefix(v.OwnerSetupURL, e.URL()), url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther)
	return v.Vendor, b
}

var tags = regexp.MustCompile(`<[^>]+>`)

// text is a page's text without tags, spaces collapsed.
func text(p *testenv.Page) string {
	return strings.Join(strings.Fields(tags.ReplaceAllString(p.Body, " ")), " ")
}

func TestOverview(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyState", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard").Must(t, http.StatusOK))
		for _, want := range []string{"Next step: add your first partner", "Clicks 0", "Unique clicks 0", "Signups 0", "Purchases 0",
			"No attributed revenue in this period.", "No rewards in this period."} {
			if !strings.Contains(got, want) {
				t.Errorf("the empty overview lacks %q:\n%s", want, got)
			}
		}
	})

	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 30}}))
	p := e.NewPartner(t, v, "Grace", "grace@partners.example")
	l := e.NewLink(t, v, p, "https://acme.example/")
	e.Must(t, http.StatusFound, e.Click(t, l.Key))
	e.Clock.Advance(time.Minute)
	for _, c := range []struct {
		email, currency string
		amount          int64
	}{{"c1@customers.example", "usd", 123456}, {"c2@customers.example", "jpy", 1500}} {
		cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
			"email": c.email, "partner_id": p.ID, "reason": "test"})).Map(t)
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
			"customer_id": cust["id"], "amount": c.amount, "currency": c.currency, "reason": "test"}))
	}
	// The same figures as the JSON API's analytics, by the same service.
	var rep struct {
		Totals struct {
			Clicks, Purchases int64
			Revenue           map[string]int64
		} `json:"totals"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/analytics", v.SecretKey, nil)).JSON(t, &rep)

	page := b.Get(t, "/dashboard").Must(t, http.StatusOK)
	got := text(page)
	for _, want := range []string{"Clicks 1", "Purchases 2", "JPY 1,500", "USD 1,234.56", "Pending 2 USD 10.00"} {
		if !strings.Contains(got, want) {
			t.Errorf("the overview lacks %q:\n%s", want, got)
		}
	}
	if rep.Totals.Clicks != 1 || rep.Totals.Purchases != 2 || rep.Totals.Revenue["usd"] != 123456 {
		t.Errorf("the API's analytics disagree with the test: %+v", rep.Totals)
	}
	if strings.Contains(got, "Next step") {
		t.Error("the empty state shows beside a partner")
	}
	if !strings.Contains(page.Body, `<td class="num">1,234.56</td>`) {
		t.Error("amounts are not in right-aligned number cells")
	}

	t.Run("Period", func(t *testing.T) {
		// A period before anything happened is empty; start and end are
		// days, end included, as in the API.
		got := text(b.Get(t, "/dashboard?start=2025-12-01&end=2025-12-31").Must(t, http.StatusOK))
		if !strings.Contains(got, "Clicks 0") || !strings.Contains(got, "No rewards in this period.") {
			t.Errorf("December 2025:\n%s", got)
		}
		today := e.Clock.Now().Format("2006-01-02")
		if got := text(b.Get(t, "/dashboard?start="+today+"&end="+today).Must(t, http.StatusOK)); !strings.Contains(got, "Clicks 1") {
			t.Errorf("today alone:\n%s", got)
		}
		bad := b.Get(t, "/dashboard?start=yesterday").Must(t, http.StatusBadRequest)
		if !strings.Contains(bad.Body, "start") {
			t.Errorf("a bad date: %s", bad.Body)
		}
	})
	t.Run("OtherVendorsStayOut", func(t *testing.T) {
		_, other := owner(t, e, "Globex", "hank@globex.example")
		got := text(other.Get(t, "/dashboard").Must(t, http.StatusOK))
		if !strings.Contains(got, "Clicks 0") || strings.Contains(got, "USD 1,234.56") || !strings.Contains(got, "Globex") {
			t.Errorf("another vendor's overview:\n%s", got)
		}
	})
}
