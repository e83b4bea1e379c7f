package web_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestPortal_RouteWalk walks every /partner route as partner A with the
// ids of partner B of the same vendor, and as partner C of another
// vendor: an id of someone else's is 404, and no page shows another
// partner's or another vendor's data. A new portal route fails this test
// until it is walked.
func TestPortal_RouteWalk(t *testing.T) {
	e := testenv.New(t)
	a := newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", a.v.SecretKey, map[string]any{"reward_rule": map[string]any{
		"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 0}}))
	bob := e.NewPartner(t, a.v, "Bob", "bob@partners.example")
	bobLink := e.NewLink(t, a.v, bob, "https://acme.example/bob")
	customer := func(p testenv.Partner, email string, amount int) {
		id := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", a.v.SecretKey, map[string]any{
			"email": email, "partner_id": p.ID, "reason": "walk"})).Map(t)["id"].(string)
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", a.v.SecretKey, map[string]any{
			"customer_id": id, "amount": amount, "currency": "usd", "reason": "walk"}))
	}
	customer(a.p, "carol@ada-customer.example", 1000)
	customer(bob, "dave@bob-customer.example", 77770)
	e.Clock.Advance(1e9)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/payouts", a.v.SecretKey, map[string]any{"partner_ids": []string{bob.ID}}))
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partner/me", bob.Token, map[string]any{
		"payout_method": map[string]any{"type": "paypal", "email": "bob@paypal.example"}}))
	z := newPortalProgram(t, e, "Zenith", "zenith.example", "zed@partners.example")

	// What A must never see of Bob, and C of Acme.
	bobs := []string{bobLink.Key, bobLink.ID, "d***@b***.example", "777.00", "7,777.00", "bob@", "Bob"}
	acmes := append(bobs, a.l.Key, a.l.ID, "Acme", "c***@a***.example", "USD 100.00")

	known := map[string]bool{
		"GET /partner": true, "POST /partner/logout": true, "GET /partner/links": true, "POST /partner/links": true,
		"GET /partner/links/:id/qr.svg": true, "GET /partner/links/:id/qr.png": true, "GET /partner/customers": true,
		"GET /partner/rewards": true, "GET /partner/payouts": true, "POST /partner/payouts/method": true,
		"GET /partner/notifications": true, "POST /partner/notifications": true, "POST /partner/sessions/:id/revoke": true,
		// public: signed-in or not, they take a token, not an id
		"GET /partner/login": true, "POST /partner/login": true, "GET /partner/sign-in/:token": true,
		"POST /partner/sign-in/:token": true, "GET /partner/unsubscribe/:token": true, "POST /partner/unsubscribe/:token": true,
	}
	var routes []string
	for _, r := range e.App.Server.Echo.Routes() {
		if !strings.HasPrefix(r.Path, "/partner") || strings.HasSuffix(r.Path, "/*") || r.Method == "echo_route_not_found" {
			continue
		}
		key := r.Method + " " + r.Path
		if !known[key] {
			t.Errorf("route %s is not walked: add it to this test", key)
		}
		routes = append(routes, key)
	}
	sort.Strings(routes)

	walk := func(t *testing.T, email, owner string, never []string, otherLink string) {
		b := e.NewBrowser(t)
		portalSignIn(t, e, b, email)
		csrf := b.Get(t, "/partner").Must(t, http.StatusOK).CSRF(t)
		for _, route := range routes {
			method, path, _ := strings.Cut(route, " ")
			if strings.Contains(path, ":token") || path == "/partner/login" || path == "/partner/logout" {
				continue
			}
			path = strings.ReplaceAll(path, ":id", otherLink)
			var page *testenv.Page
			if method == "GET" {
				page = b.Get(t, path)
			} else {
				page = b.Post(t, path, url.Values{"csrf_token": {csrf}, "destination_url": {"https://" + owner + "/x"}})
			}
			if strings.Contains(route, ":id") && page.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404", method, path, page.StatusCode)
			}
			if page.StatusCode >= 500 {
				t.Errorf("%s %s: %d", method, path, page.StatusCode)
			}
			for _, s := range never {
				if strings.Contains(page.Body, s) {
					t.Errorf("%s %s shows %q", method, path, s)
				}
			}
		}
		if len(routes) < 10 {
			t.Fatalf("walked %d routes", len(routes))
		}
	}
	t.Run("AnotherPartnerOfTheVendor", func(t *testing.T) { walk(t, "ada@partners.example", "acme.example", bobs, bobLink.ID) })
	t.Run("AnotherVendorsPartner", func(t *testing.T) { walk(t, "zed@partners.example", "zenith.example", acmes, a.l.ID) })

	// Bob's settings and links are as they were.
	me := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/me", bob.Token, nil)).Map(t)
	if m, _ := me["payout_method"].(map[string]any); m["email"] != "bob@paypal.example" {
		t.Fatalf("Bob's payout method = %v", me["payout_method"])
	}
	var links struct{ Data []map[string]any }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/links", bob.Token, nil)).JSON(t, &links)
	if len(links.Data) != 2 { // the first link every active partner gets, and his own
		t.Fatalf("Bob's links = %v", links.Data)
	}
	// The walk can see: A sees its own customer and reward, C its own link.
	b := e.NewBrowser(t)
	portalSignIn(t, e, b, "ada@partners.example")
	if !strings.Contains(b.Get(t, "/partner/customers").Body, "c***@a***.example") || !strings.Contains(b.Get(t, "/partner/rewards").Body, "USD 1.00") {
		t.Fatal("A does not see its own customer and reward")
	}
	c := e.NewBrowser(t)
	portalSignIn(t, e, c, "zed@partners.example")
	c.Get(t, "/partner/links/"+z.l.ID+"/qr.svg").Must(t, http.StatusOK)
}
