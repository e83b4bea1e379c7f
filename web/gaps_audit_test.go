package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

func TestAuditPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyState", func(t *testing.T) {
		if got := text(b.Get(t, "/dashboard/audit").Must(t, http.StatusOK)); !strings.Contains(got, "Nothing changed yet") {
			t.Errorf("the empty log:\n%s", got)
		}
	})
	grace := e.NewPartner(t, v, "Grace", "grace@partners.example") // by the secret key
	cust := customerOf(t, e, v, "lost@customers.example")
	act(t, b, "/dashboard/customers/"+cust, "/dashboard/customers/"+cust+"/credit",
		url.Values{"partner_id": {grace.ID}, "reason": {"Phone order"}}).Must(t, http.StatusSeeOther)

	got := text(b.Get(t, "/dashboard/audit").Must(t, http.StatusOK))
	for _, want := range []string{"customer.reassign", "by ada@acme.example", "Reason: Phone order", "partner.create", "by secret_key:sk_", "Before and after"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
	mine := text(b.Get(t, "/dashboard/audit?actor=ada@acme.example").Must(t, http.StatusOK))
	if !strings.Contains(mine, "customer.reassign") || strings.Contains(mine, "partner.create") {
		t.Errorf("the user's own entries:\n%s", mine)
	}
	byType := text(b.Get(t, "/dashboard/audit?object_type=partner").Must(t, http.StatusOK))
	if strings.Contains(byType, "customer.reassign") || !strings.Contains(byType, "partner.create") {
		t.Errorf("partner entries:\n%s", byType)
	}
	if got := text(b.Get(t, "/dashboard/audit?action=reward.pay").Must(t, http.StatusOK)); !strings.Contains(got, "No entries match these filters") {
		t.Errorf("no match:\n%s", got)
	}
	b.Get(t, "/dashboard/audit?object_type=spaceship").Must(t, http.StatusBadRequest)
	// A viewer reads the same log; another vendor's is its own.
	vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
	if got := text(vb.Get(t, "/dashboard/audit").Must(t, http.StatusOK)); !strings.Contains(got, "customer.reassign") {
		t.Errorf("the viewer's log:\n%s", got)
	}
	_, other := owner(t, e, "Globex", "hank@globex.example")
	if got := text(other.Get(t, "/dashboard/audit").Must(t, http.StatusOK)); strings.Contains(got, "customer.reassign") {
		t.Errorf("another vendor's log shows Acme's entries:\n%s", got)
	}
}

func TestGapsPage(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.CheckAllowPrivate = true })
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyProgram", func(t *testing.T) {
		got := html.UnescapeString(text(b.Get(t, "/dashboard/gaps").Must(t, http.StatusOK)))
		for _, want := range []string{"Snippet health: never_seen", `data-key="` + v.PublicKey + `"`, "No active links yet",
			"Email or customer id", "Every signup of the period was credited", "No UTM value is spelled two ways"} {
			if !strings.Contains(got, want) {
				t.Errorf("the empty gaps page lacks %q:\n%s", want, got)
			}
		}
	})

	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Shop</title><script async src="https://tally.example/snippet.js" data-key="%s"></script></head><body>Hi</body></html>`, v.PublicKey)
	}))
	t.Cleanup(site.Close)
	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	var link testenv.Link
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": grace.ID,
		"destination_url": site.URL + "/pricing", "utm": map[string]string{"source": "Facebook"}})).JSON(t, &link)
	e.Must(t, http.StatusFound, e.Click(t, link.Key+"?utm_source=fb"))
	lost := customerOf(t, e, v, "lost@customers.example")
	purchase(t, e, v, lost, 990, "usd")

	t.Run("Report", func(t *testing.T) {
		got := html.UnescapeString(text(b.Get(t, "/dashboard/gaps").Must(t, http.StatusOK)))
		for _, want := range []string{"1 · Signed up without a click token.", "See the customers", "Check the snippet's health.",
			"1 · Signed up without a click token. USD 9.90", "utm_source: fb", "fb (1, 0)", "Facebook (0, 1)", "Every active link was clicked"} {
			if !strings.Contains(got, want) {
				t.Errorf("the gaps page lacks %q:\n%s", want, got)
			}
		}
		page := b.Get(t, "/dashboard/gaps").Body
		if !strings.Contains(page, `href="/dashboard/customers?status=unattributed&amp;reason=no_token"`) ||
			!strings.Contains(page, `href="/dashboard/purchases?status=unattributed&amp;reason=no_token"`) {
			t.Error("the causes do not link to the customers and purchases behind them")
		}
		if got := text(b.Get(t, "/dashboard/customers?status=unattributed&reason=no_token").Must(t, http.StatusOK)); !strings.Contains(got, "lost@customers.example") {
			t.Errorf("the customers behind no_token:\n%s", got)
		}
		if got := text(b.Get(t, "/dashboard/purchases?status=unattributed&reason=no_token").Must(t, http.StatusOK)); !strings.Contains(got, "USD 9.90") {
			t.Errorf("the purchases behind no_token:\n%s", got)
		}
		// The same report as GET /v1/gaps.
		var api struct {
			UnattributedSignups []struct{ Cause string } `json:"unattributed_signups"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/gaps", v.SecretKey, nil)).JSON(t, &api)
		if len(api.UnattributedSignups) != 1 || api.UnattributedSignups[0].Cause != "no_token" {
			t.Errorf("GET /v1/gaps: %+v", api)
		}
		if got := text(b.Get(t, "/dashboard/gaps?start=2020-01-01&end=2020-01-31").Must(t, http.StatusOK)); !strings.Contains(got, "Every signup of the period was credited") ||
			!strings.Contains(got, link.Key) {
			t.Errorf("a period before anything:\n%s", got)
		}
		b.Get(t, "/dashboard/gaps?start=2020-02-01&end=2020-01-01").Must(t, http.StatusBadRequest)
	})

	t.Run("Diagnose", func(t *testing.T) {
		for _, q := range []string{"lost@customers.example", "LOST@customers.example", lost} {
			p := b.Get(t, "/dashboard/gaps/diagnose?q="+url.QueryEscape(q)).Must(t, http.StatusSeeOther)
			if p.Location() != "/dashboard/customers/"+lost {
				t.Errorf("%s leads to %s", q, p.Location())
			}
		}
		p := b.Get(t, "/dashboard/gaps/diagnose?q=nobody@customers.example").Must(t, http.StatusNotFound)
		if !strings.Contains(text(p), "Email or customer id") {
			t.Errorf("an unknown customer does not show the gaps page again:\n%s", text(p))
		}
		// An email only a Stripe purchase carries has no customer page: its
		// diagnosis is shown on its own.
		testModeReward(t, e, v, vendorOf(t, e, b), "stranger@customers.example")
		p = b.Get(t, "/dashboard/gaps/diagnose?q=stranger@customers.example").Must(t, http.StatusOK)
		var dg struct {
			Verdict struct{ Cause, Summary string } `json:"verdict"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/diagnose?email=stranger@customers.example", v.SecretKey, nil)).JSON(t, &dg)
		if got := html.UnescapeString(text(p)); dg.Verdict.Cause != "purchase_unmatched" || !strings.Contains(got, dg.Verdict.Summary) {
			t.Errorf("the unmatched purchase's diagnosis (%+v):\n%s", dg.Verdict, got)
		}
	})

	t.Run("CheckDestination", func(t *testing.T) {
		p := act(t, b, "/dashboard/gaps", "/dashboard/gaps/links/"+link.ID+"/check", nil).Must(t, http.StatusOK)
		got := text(p)
		if !strings.Contains(got, link.Key+": ok") || !strings.Contains(got, "public_key: ok") {
			t.Errorf("the destination check:\n%s", got)
		}
		act(t, b, "/dashboard/gaps", "/dashboard/gaps/links/lnk_nobody/check", nil).Must(t, http.StatusNotFound)
	})

	t.Run("Viewer", func(t *testing.T) {
		vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
		p := vb.Get(t, "/dashboard/gaps").Must(t, http.StatusOK)
		noChangeButtons(t, p)
		if !strings.Contains(text(p), "Signed up without a click token") {
			t.Errorf("the viewer's gaps page:\n%s", text(p))
		}
		vb.Post(t, "/dashboard/gaps/links/"+link.ID+"/check", url.Values{"csrf_token": {p.CSRF(t)}}).Must(t, http.StatusForbidden)
	})
	t.Run("CSRF", func(t *testing.T) {
		b.Post(t, "/dashboard/gaps/links/"+link.ID+"/check", url.Values{}).Must(t, http.StatusForbidden)
	})
}
