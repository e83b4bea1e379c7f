package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestPurchasesPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyState", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard/purchases").Must(t, http.StatusOK))
		if !strings.Contains(got, "No purchases yet") || !strings.Contains(got, "Settings, Stripe") {
			t.Errorf("the empty purchase list does not say what to do:\n%s", got)
		}
	})

	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	cust := creditedCustomer(t, e, v, grace.ID, "kim@customers.example")

	t.Run("RecordPurchase", func(t *testing.T) {
		refused := act(t, b, "/dashboard/purchases", "/dashboard/purchases", url.Values{
			"customer": {"kim@customers.example"}, "amount": {"42.505"}, "currency": {"usd"}, "reason": {"Paid by bank transfer"}}).
			Must(t, http.StatusBadRequest)
		if !strings.Contains(refused.Body, "at most 2 decimals") || !strings.Contains(refused.Body, `value="42.505"`) {
			t.Errorf("a bad amount:\n%s", refused.Body)
		}
		act(t, b, "/dashboard/purchases", "/dashboard/purchases", url.Values{
			"customer": {"nobody@customers.example"}, "amount": {"42.50"}, "currency": {"usd"}, "reason": {"x"}}).Must(t, http.StatusNotFound)
		if len(audited(t, e, v, "purchase.create")) != 0 {
			t.Fatal("a refused purchase was recorded")
		}
		act(t, b, "/dashboard/purchases", "/dashboard/purchases", url.Values{
			"customer": {"kim@customers.example"}, "amount": {"1,042.50"}, "currency": {"usd"}, "reason": {"Paid by bank transfer"}}).
			Must(t, http.StatusSeeOther)
		act(t, b, "/dashboard/purchases", "/dashboard/purchases", url.Values{
			"customer": {cust}, "amount": {"1500"}, "currency": {"JPY"}, "reason": {"Paid in yen"}}).Must(t, http.StatusSeeOther)
		mustAudit(t, e, v, "purchase.create", "ada@acme.example", "")
		got := text(b.Get(t, "/dashboard/purchases").Must(t, http.StatusOK))
		for _, want := range []string{"USD 1,042.50", "JPY 1,500", "kim@customers.example", "Grace", "succeeded"} {
			if !strings.Contains(got, want) {
				t.Errorf("the list lacks %q:\n%s", want, got)
			}
		}
	})

	var list struct {
		Data []struct{ ID, Status, Currency string }
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/purchases", v.SecretKey, nil)).JSON(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("%d purchases, want 2", len(list.Data))
	}
	yen := list.Data[0].ID

	t.Run("ExcludeAndInclude", func(t *testing.T) {
		act(t, b, "/dashboard/purchases", "/dashboard/purchases/"+yen+"/exclude", url.Values{"reason": {"bored"}}).
			Must(t, http.StatusBadRequest)
		p := act(t, b, "/dashboard/purchases", "/dashboard/purchases/"+yen+"/exclude",
			url.Values{"reason": {"resale"}, "note": {"Ticket resold"}, "back": {"/dashboard/purchases?status=succeeded"}}).
			Must(t, http.StatusSeeOther)
		if p.Location() != "/dashboard/purchases?status=succeeded" {
			t.Errorf("back to %s", p.Location())
		}
		a := mustAudit(t, e, v, "purchase.exclude", "ada@acme.example", yen)
		if !strings.Contains(string(a.After), "resale") {
			t.Errorf("the exclusion's audit after: %s", a.After)
		}
		page := b.Get(t, "/dashboard/purchases?status=excluded").Must(t, http.StatusOK)
		if got := text(page); !strings.Contains(got, "JPY 1,500") || strings.Contains(got, "USD 1,042.50") || !strings.Contains(got, "Include") {
			t.Errorf("the excluded purchases:\n%s", got)
		}
		// Back on a page outside the dashboard is not followed.
		p = act(t, b, "/dashboard/purchases", "/dashboard/purchases/"+yen+"/include", url.Values{"back": {"https://evil.example/"}}).
			Must(t, http.StatusSeeOther)
		if p.Location() != "/dashboard/purchases" {
			t.Errorf("include went back to %s", p.Location())
		}
		mustAudit(t, e, v, "purchase.include", "ada@acme.example", yen)
		act(t, b, "/dashboard/purchases", "/dashboard/purchases/"+yen+"/include", nil).Must(t, http.StatusConflict)
	})

	t.Run("CSV", func(t *testing.T) {
		csv := b.Get(t, "/dashboard/purchases.csv").Must(t, http.StatusOK)
		if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q", ct)
		}
		api := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/purchases.csv", v.SecretKey, nil))
		if csv.Body != string(api.Body) || !strings.HasPrefix(csv.Body, "purchase_id,purchased_at") || strings.Count(csv.Body, "\n") != 3 {
			t.Errorf("the dashboard's CSV differs from the API's:\n%s\n---\n%s", csv.Body, api.Body)
		}
		today := e.Clock.Now().Format("2006-01-02")
		if got := b.Get(t, "/dashboard/purchases.csv?start=2020-01-01&end=2020-01-31").Must(t, http.StatusOK); strings.Count(got.Body, "\n") != 1 {
			t.Errorf("an empty period's CSV:\n%s", got.Body)
		}
		if got := b.Get(t, "/dashboard/purchases.csv?start="+today+"&end="+today).Must(t, http.StatusOK); strings.Count(got.Body, "\n") != 3 {
			t.Errorf("today's CSV:\n%s", got.Body)
		}
		b.Get(t, "/dashboard/purchases.csv?start=2020-02-01&end=2020-01-01").Must(t, http.StatusBadRequest)
	})

	t.Run("Viewer", func(t *testing.T) {
		vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
		page := vb.Get(t, "/dashboard/purchases").Must(t, http.StatusOK)
		noChangeButtons(t, page)
		if got := text(page); strings.Contains(got, "Record purchase") || strings.Contains(got, "Exclude") || !strings.Contains(got, "JPY 1,500") {
			t.Errorf("a viewer's purchases:\n%s", got)
		}
		vb.Post(t, "/dashboard/purchases/"+yen+"/exclude", url.Values{"csrf_token": {page.CSRF(t)}, "reason": {"fraud"}}).
			Must(t, http.StatusForbidden)
		vb.Get(t, "/dashboard/purchases.csv").Must(t, http.StatusOK)
	})
	t.Run("CSRF", func(t *testing.T) {
		b.Post(t, "/dashboard/purchases/"+yen+"/exclude", url.Values{"reason": {"fraud"}}).Must(t, http.StatusForbidden)
		if n := len(audited(t, e, v, "purchase.exclude")); n != 1 {
			t.Errorf("%d exclusions audited, want 1", n)
		}
	})
}
