// Browser tests of the public program pages: applying on /join/{slug} and
// accepting an invite, by accessible names, with axe-core, at 375 px, and
// with no console error (a CSP violation is one).
package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// programOn creates a vendor whose program page is on at /join/acme-rockets.
func programOn(t *testing.T, e *testenv.Env) testenv.Vendor {
	t.Helper()
	var v testenv.Vendor
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{
		"name": "Acme Rockets", "domain": "acme.example"})).JSON(t, &v)
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule":  map[string]any{"type": "flat", "amount": 5000, "currency": "usd", "duration_months": 0, "hold_days": 30},
		"program_page": map[string]any{"enabled": true, "slug": "acme-rockets"},
	}))
	return v
}

func TestBrowserJoinPage(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	v := programOn(t, e)

	tb.open(t, e, "/join/acme-rockets")
	if got := tb.text(t); !strings.Contains(got, "USD 50.00 for the first purchase") || strings.Contains(got, "Sign out") {
		t.Fatalf("the program page:\n%s", got)
	}
	tb.checkPage(t, "/join/{slug}")
	tb.fill(t, "Name", "Pat Smith")
	tb.fill(t, "Email", "pat@example.com")
	tb.fill(t, "Website or audience", "A cooking channel, 20k subscribers")
	tb.submit(t, "Apply", "/join/acme-rockets/thanks")
	if got := tb.text(t); !strings.Contains(got, "Thank you for applying") {
		t.Fatalf("the thank-you page:\n%s", got)
	}
	tb.checkPage(t, "/join/{slug}/thanks")

	var list struct {
		Data []struct{ Name, Email, Status, Website string }
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners", v.SecretKey, nil)).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].Status != "pending" || list.Data[0].Website != "A cooking channel, 20k subscribers" {
		t.Fatalf("partners after applying in the browser: %+v", list.Data)
	}
	tb.noErrors(t)
}

func TestBrowserAcceptInvite(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	v := programOn(t, e)
	p := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]any{
		"name": "Ivy", "email": "ivy@example.com", "status": "invited"})).Map(t)
	var inv struct {
		InviteURL string `json:"invite_url"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/partners/"+p["id"].(string)+"/invite", v.SecretKey, nil)).JSON(t, &inv)

	tb.open(t, e, strings.TrimPrefix(inv.InviteURL, e.URL()))
	if got := tb.text(t); !strings.Contains(got, "Ivy, you are invited") {
		t.Fatalf("the invite page:\n%s", got)
	}
	tb.checkPage(t, "/join/invite/{token}")
	tb.submit(t, "Accept invite", "/partner")
	got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+p["id"].(string), v.SecretKey, nil)).Map(t)
	if got["status"] != "active" {
		t.Errorf("after accepting: %v", got)
	}
	tb.noErrors(t)
}
