package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestCustomersPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyState", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard/customers").Must(t, http.StatusOK))
		if !strings.Contains(got, "No customers yet") || !strings.Contains(got, "tally('signup'") {
			t.Errorf("the empty customer list does not say what to do:\n%s", got)
		}
	})

	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	lost := customerOf(t, e, v, "lost@customers.example")
	credited := creditedCustomer(t, e, v, grace.ID, "kept@customers.example")

	t.Run("ListAndFilters", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard/customers").Must(t, http.StatusOK))
		for _, want := range []string{"lost@customers.example", "Unattributed", "no_token", "kept@customers.example", "Grace"} {
			if !strings.Contains(got, want) {
				t.Errorf("the list lacks %q:\n%s", want, got)
			}
		}
		got = text(b.Get(t, "/dashboard/customers?status=unattributed&reason=no_token").Must(t, http.StatusOK))
		if !strings.Contains(got, "lost@customers.example") || strings.Contains(got, "kept@customers.example") {
			t.Errorf("unattributed, no_token:\n%s", got)
		}
		got = text(b.Get(t, "/dashboard/customers?partner_id="+grace.ID).Must(t, http.StatusOK))
		if strings.Contains(got, "lost@customers.example") || !strings.Contains(got, "kept@customers.example") {
			t.Errorf("Grace's customers:\n%s", got)
		}
		if got := text(b.Get(t, "/dashboard/customers?email=nobody@x.example").Must(t, http.StatusOK)); !strings.Contains(got, "No customers match these filters") {
			t.Errorf("no match:\n%s", got)
		}
		b.Get(t, "/dashboard/customers?status=maybe").Must(t, http.StatusBadRequest)
	})

	t.Run("DiagnosisAndCredit", func(t *testing.T) {
		page := b.Get(t, "/dashboard/customers/"+lost).Must(t, http.StatusOK)
		got := text(page)
		// The verdict GET /v1/diagnose gives, rendered for people.
		var dg struct {
			Verdict struct{ Summary, Cause string } `json:"verdict"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/diagnose?customer_id="+lost, v.SecretKey, nil)).JSON(t, &dg)
		if dg.Verdict.Summary == "" || !strings.Contains(got, dg.Verdict.Summary) {
			t.Errorf("the page lacks the verdict %q:\n%s", dg.Verdict.Summary, got)
		}
		for _, want := range []string{"Timeline", "signup", "Credit a partner", "Partner", "Reason", "Credit partner"} {
			if !strings.Contains(got, want) {
				t.Errorf("the customer page lacks %q", want)
			}
		}
		// Without a reason, nothing changes and the form says why.
		refused := act(t, b, "/dashboard/customers/"+lost, "/dashboard/customers/"+lost+"/credit",
			url.Values{"partner_id": {grace.ID}, "reason": {"  "}}).Must(t, http.StatusBadRequest)
		if !strings.Contains(refused.Body, "reason is required") || !strings.Contains(refused.Body, `value="`+grace.ID+`" selected`) {
			t.Errorf("the refused form:\n%s", refused.Body)
		}
		if len(audited(t, e, v, "customer.reassign")) != 0 {
			t.Fatal("a refused credit was audited")
		}
		// An unknown partner is refused too.
		act(t, b, "/dashboard/customers/"+lost, "/dashboard/customers/"+lost+"/credit",
			url.Values{"partner_id": {"par_nobody"}, "reason": {"x"}}).Must(t, http.StatusNotFound)

		done := act(t, b, "/dashboard/customers/"+lost, "/dashboard/customers/"+lost+"/credit",
			url.Values{"partner_id": {grace.ID}, "reason": {"Told us at the demo"}}).Must(t, http.StatusSeeOther)
		if done.Location() != "/dashboard/customers/"+lost {
			t.Errorf("after the credit: %s", done.Location())
		}
		a := mustAudit(t, e, v, "customer.reassign", "ada@acme.example", lost)
		if a.Reason != "Told us at the demo" {
			t.Errorf("audit reason %q", a.Reason)
		}
		var c struct {
			PartnerID    string `json:"partner_id"`
			AttributedBy string `json:"attributed_by"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/customers/"+lost, v.SecretKey, nil)).JSON(t, &c)
		if c.PartnerID != grace.ID || c.AttributedBy != "manual" {
			t.Errorf("the customer after the credit: %+v", c)
		}
		if got := text(b.Get(t, "/dashboard/customers/"+lost).Must(t, http.StatusOK)); !strings.Contains(got, "Grace (manual)") {
			t.Errorf("the page after the credit:\n%s", got)
		}
	})

	t.Run("Viewer", func(t *testing.T) {
		vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
		page := vb.Get(t, "/dashboard/customers/"+credited).Must(t, http.StatusOK)
		noChangeButtons(t, page)
		if strings.Contains(text(page), "Credit partner") {
			t.Error("a viewer sees the credit button")
		}
		vb.Post(t, "/dashboard/customers/"+credited+"/credit", url.Values{"csrf_token": {page.CSRF(t)},
			"partner_id": {grace.ID}, "reason": {"x"}}).Must(t, http.StatusForbidden)
	})
	t.Run("CSRF", func(t *testing.T) {
		b.Post(t, "/dashboard/customers/"+credited+"/credit", url.Values{"partner_id": {grace.ID}, "reason": {"x"}}).
			Must(t, http.StatusForbidden)
		if n := len(audited(t, e, v, "customer.reassign")); n != 1 {
			t.Errorf("%d reassignments audited, want 1", n)
		}
	})
	t.Run("OtherVendorsCustomer", func(t *testing.T) {
		other := e.NewVendor(t, "Globex")
		theirs := customerOf(t, e, other, "theirs@globex.example")
		b.Get(t, "/dashboard/customers/"+theirs).Must(t, http.StatusNotFound)
		act(t, b, "/dashboard/customers", "/dashboard/customers/"+theirs+"/credit",
			url.Values{"partner_id": {grace.ID}, "reason": {"x"}}).Must(t, http.StatusNotFound)
	})
}
