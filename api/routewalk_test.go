package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// world is two vendors with one of everything: A's objects are what B's
// key, partner tokens and the wrong kind of key must never reach.
type world struct {
	e                     *testenv.Env
	a, b                  testenv.Vendor
	pa, pb                testenv.Partner
	la, lb                testenv.Link
	cust, purchase, rewrd string // A's
	payout                string // A's
	stripeEvent           string // A's
	hook, delivery, event string // A's webhook endpoint, one of its deliveries and its event
	custEmail             string
}

func newWorld(t *testing.T, opts ...testenv.Option) *world {
	t.Helper()
	e := testenv.New(t, opts...)
	w := &world{e: e, a: e.NewVendor(t, "Acme"), b: e.NewVendor(t, "Bravo"), custEmail: "carol@customer.example"}
	w.hook = e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/webhook_endpoints", w.a.SecretKey, map[string]any{
		"url": "https://hooks.acme.invalid/tally"})).Map(t)["id"].(string)
	w.pa = e.NewPartner(t, w.a, "Ada", "ada@partner.example")
	w.pb = e.NewPartner(t, w.b, "Bob", "bob@partner.example")
	// A private destination: the destination check refuses it without a
	// network round trip.
	w.la = e.NewLink(t, w.a, w.pa, "http://127.0.0.1:9/landing?plan=pro")
	w.lb = e.NewLink(t, w.b, w.pb, "https://bravo.example/")
	setRule(t, e, w.a, map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 30})
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", w.a.SecretKey, map[string]any{"stripe_webhook_secret": "whsec_walk_0123456789abcdef"}))
	w.cust = e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", w.a.SecretKey, map[string]any{
		"email": w.custEmail, "partner_id": w.pa.ID, "reason": "walk",
	})).Map(t)["id"].(string)
	pur := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", w.a.SecretKey, map[string]any{
		"customer_id": w.cust, "amount": 1000, "currency": "usd", "reason": "walk",
	})).Map(t)
	w.purchase = pur["id"].(string)
	w.rewrd = pur["rewards"].([]any)[0].(map[string]any)["id"].(string)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners/"+w.pa.ID+"/codes", w.a.SecretKey, map[string]any{"code": "ADA10"}))
	e.Must(t, http.StatusFound, e.Click(t, w.la.Key))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/rewards", w.a.SecretKey, map[string]any{"partner_id": w.pa.ID, "amount": 700, "currency": "usd", "reason": "walk"}))
	var batches struct{ Data []struct{ ID string } }
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/payouts", w.a.SecretKey, nil)).JSON(t, &batches)
	w.payout = batches.Data[0].ID
	w.stripeEvent = "evt_walk_acme"
	e.Must(t, http.StatusOK, postStripe(t, e, w.a.ID, "whsec_walk_0123456789abcdef", w.stripeEvent, "customer.created", map[string]any{
		"id": "cus_WalkAcme", "object": "customer", "email": w.custEmail,
	}))
	var deliveries struct {
		Data []struct {
			ID      string `json:"id"`
			EventID string `json:"event_id"`
		} `json:"data"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+w.hook+"/deliveries", w.a.SecretKey, nil)).JSON(t, &deliveries)
	w.delivery, w.event = deliveries.Data[0].ID, deliveries.Data[0].EventID
	return w
}

// idFor fills a route's :id with A's object of that kind.
func (w *world) idFor(path string) (string, bool) {
	for prefix, id := range map[string]string{
		"/v1/partners/": w.pa.ID, "/v1/links/": w.la.ID, "/v1/customers/": w.cust,
		"/v1/purchases/": w.purchase, "/v1/rewards/": w.rewrd,
		"/v1/partner/links/": w.la.ID, "/v1/partner/rewards/": w.rewrd, "/v1/payouts/": w.payout,
		"/v1/stripe_events/":     w.stripeEvent,
		"/v1/webhook_endpoints/": w.hook, "/v1/events/": w.event,
	} {
		if strings.HasPrefix(path, prefix+":id") {
			return id, true
		}
	}
	return "", false
}

// fill replaces the params of a route path with A's values.
func (w *world) fill(path string) (string, bool) {
	ok := true
	out := regexp.MustCompile(`:[a-z_]+`).ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case ":key":
			return w.la.Key
		case ":vendor_id":
			return w.a.ID
		case ":delivery_id":
			return w.delivery
		case ":id":
			id, found := w.idFor(path)
			ok = ok && found
			return id
		}
		ok = false
		return p
	})
	return out, ok
}

// walkBodies are the bodies of the routes that take one, valid enough to
// get past decoding to the ownership check.
func (w *world) walkBodies() map[string]any {
	return map[string]any{
		"PATCH /v1/vendor":                   map[string]any{"name": "Renamed"},
		"POST /v1/partners":                  map[string]any{"name": "Eve", "email": "eve@partner.example"},
		"PATCH /v1/partners/:id":             map[string]any{"name": "Hijacked", "status": "disabled"},
		"POST /v1/links":                     map[string]any{"partner_id": w.pa.ID, "destination_url": "https://evil.example/"},
		"PATCH /v1/links/:id":                map[string]any{"destination_url": "https://evil.example/"},
		"POST /v1/signups":                   map[string]any{"email": "new@customer.example"},
		"POST /v1/customers":                 map[string]any{"email": "x@customer.example", "partner_id": w.pa.ID, "reason": "r"},
		"POST /v1/customers/:id/attribution": map[string]any{"partner_id": w.pb.ID, "reason": "r"},
		"POST /v1/purchases":                 map[string]any{"customer_id": w.cust, "amount": 1, "currency": "usd", "reason": "r"},
		"POST /v1/rewards":                   map[string]any{"partner_id": w.pa.ID, "amount": 1, "currency": "usd", "reason": "r"},
		"POST /v1/rewards/:id/approve":       map[string]any{"reason": "r"},
		"POST /v1/rewards/:id/decline":       map[string]any{"reason": "r"},
		"POST /v1/rewards/:id/pay":           map[string]any{"reason": "r"},
		"POST /v1/partners/:id/codes":        map[string]any{"code": "STOLEN"},
		"POST /v1/purchases/:id/exclude":     map[string]any{"reason": "fraud"},
		"POST /v1/purchases/:id/include":     map[string]any{"reason": "r"},
		"POST /v1/partner/links":             map[string]any{"destination_url": "https://evil.example/"},
		"POST /admin/v1/vendors":             map[string]any{"name": "Mallory"},
		"POST /v1/webhook_endpoints":         map[string]any{"url": "https://evil.example/"},
		"PATCH /v1/webhook_endpoints/:id":    map[string]any{"url": "https://evil.example/", "status": "disabled"},
		"POST /v1/payouts":                   map[string]any{"partner_ids": []string{w.pa.ID}},
		"PATCH /v1/partner/me":               map[string]any{"notifications": map[string]any{"payout_sent": false}},
	}
}

// walkSkip names the routes the walk does not call, and why. A route that
// is neither handled by the walk nor named here fails TestRouteWalk_Covered.
var walkSkip = map[string]string{
	"GET /healthz":                     "public liveness probe, no data",
	"GET /readyz":                      "public readiness probe, no data",
	"GET /r/:key":                      "public redirect; open-redirect and isolation tests in security_test.go",
	"HEAD /r/:key":                     "public redirect (HEAD)",
	"GET /snippet.js":                  "public static script",
	"HEAD /snippet.js":                 "public static script (HEAD)",
	"POST /webhooks/stripe/:vendor_id": "authenticated by the vendor's Stripe signature; webhooks tests",
	"POST /v1/snippet/signup":          "public, names its vendor by public key; snippet tests",
	"POST /v1/snippet/ping":            "public, names its vendor by public key; snippet tests",
	"GET /v1/snippet/config":           "public, names its vendor by public key; snippet tests",
	"OPTIONS /v1/snippet/signup":       "CORS preflight, no data",
	"OPTIONS /v1/snippet/ping":         "CORS preflight, no data",
	"OPTIONS /v1/snippet/config":       "CORS preflight, no data",
	"GET /v1/openapi.json":             "public API description, no data; api/openapi tests",
	"GET /login":                       "web page, session cookie only; web tests",
	"POST /login":                      "web page, session cookie only; web tests",
	"POST /logout":                     "web page, session cookie only; web tests",
	"GET /setup/:token":                "web page, one-time link; web tests",
	"POST /setup/:token":               "web page, one-time link; web tests",
	"GET /password/reset":              "web page, public form; web reset tests",
	"POST /password/reset":             "web page, public form, throttled; web reset tests",
	"GET /password/reset/:token":       "web page, one-time link; web reset tests",
	"POST /password/reset/:token":      "web page, one-time link; web reset tests",
	"GET /dashboard":                   "web page, session cookie only; web tests",
	// program pages
	"GET /join/:slug":          "public program page, names its vendor by slug; web join tests",
	"POST /join/:slug":         "public application, names its vendor by slug; web join tests",
	"GET /join/:slug/thanks":   "public thank-you page; web join tests",
	"GET /join/invite/:token":  "web page, one-time invite link; web join tests",
	"POST /join/invite/:token": "web page, one-time invite link; web join tests",
	// dash-b pages
	"GET /dashboard/audit":                         "web page, session cookie only; web tests",
	"GET /dashboard/customers":                     "web page, session cookie only; web tests",
	"GET /dashboard/customers/:id":                 "web page, session cookie only; web tests",
	"GET /dashboard/gaps":                          "web page, session cookie only; web tests",
	"GET /dashboard/gaps/diagnose":                 "web page, session cookie only; web tests",
	"GET /dashboard/purchases":                     "web page, session cookie only; web tests",
	"GET /dashboard/purchases.csv":                 "web page, session cookie only; web tests",
	"GET /dashboard/rewards":                       "web page, session cookie only; web tests",
	"GET /dashboard/rewards.csv":                   "web page, session cookie only; web tests",
	"GET /dashboard/settings":                      "web page, session cookie only; web tests",
	"POST /dashboard/customers/:id/credit":         "web page, session cookie only; web tests",
	"POST /dashboard/gaps/links/:id/check":         "web page, session cookie only; web tests",
	"POST /dashboard/purchases":                    "web page, session cookie only; web tests",
	"POST /dashboard/purchases/:id/exclude":        "web page, session cookie only; web tests",
	"POST /dashboard/purchases/:id/include":        "web page, session cookie only; web tests",
	"POST /dashboard/rewards":                      "web page, session cookie only; web tests",
	"POST /dashboard/rewards/:id/:action":          "web page, session cookie only; web tests",
	"POST /dashboard/rewards/bulk":                 "web page, session cookie only; web tests",
	"POST /dashboard/settings/keys/rotate":         "web page, session cookie only; web tests",
	"POST /dashboard/settings/program":             "web page, session cookie only; web tests",
	"POST /dashboard/settings/reward-rule":         "web page, session cookie only; web tests",
	"POST /dashboard/settings/sessions/:id/revoke": "web page, session cookie only; web tests",
	"POST /dashboard/settings/stripe":              "web page, session cookie only; web tests",
	"POST /dashboard/settings/team":                "web page, session cookie only; web tests",
}

type walkRoute struct{ method, path string }

func (r walkRoute) name() string { return r.method + " " + r.path }

// routes returns the application's routes, without Echo's internal
// not-found routes of groups.
func routes(e *testenv.Env) []walkRoute {
	var out []walkRoute
	for _, r := range e.App.Server.Echo.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		default:
			continue
		}
		if strings.HasSuffix(r.Path, "*") {
			continue
		}
		out = append(out, walkRoute{r.Method, r.Path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name() < out[j].name() })
	return out
}

type routeKind int

const (
	kindSkipped routeKind = iota
	kindVendor
	kindPartner
	kindAdmin
	kindUnknown
)

func kindOf(r walkRoute) routeKind {
	switch {
	case walkSkip[r.name()] != "":
		return kindSkipped
	case strings.HasPrefix(r.path, "/dashboard/"):
		// Web pages: a session cookie only, never a key; each page's web
		// tests check another vendor's objects are not found.
		return kindSkipped
	case r.path == "/partner" || strings.HasPrefix(r.path, "/partner/") || strings.HasPrefix(r.path, "/unsubscribe/"):
		// The partner portal's pages: a partner session cookie or a
		// one-time token only, never a key; web/portal_routewalk_test.go
		// walks them with another partner's and vendor's ids.
		return kindSkipped
	case strings.HasPrefix(r.path, "/v1/partner/") || r.path == "/v1/partner":
		return kindPartner
	case strings.HasPrefix(r.path, "/admin/v1/") || r.path == "/metrics":
		return kindAdmin
	case strings.HasPrefix(r.path, "/v1/") && !strings.HasPrefix(r.path, "/v1/snippet/"):
		return kindVendor
	}
	return kindUnknown
}

// TestRouteWalk_Covered fails when a route appears that the walk cannot
// call (an unknown kind, or a parameter it cannot fill) and the skip list
// does not name, or when the skip list names a route that no longer exists.
func TestRouteWalk_Covered(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	seen := map[string]bool{}
	for _, r := range routes(w.e) {
		seen[r.name()] = true
		switch kindOf(r) {
		case kindUnknown:
			t.Errorf("%s: the walk does not know this route; make the isolation walk handle it or add it to walkSkip with a reason", r.name())
		case kindSkipped:
		default:
			if _, ok := w.fill(r.path); !ok {
				t.Errorf("%s: the walk cannot fill its parameters; add the object to world.idFor", r.name())
			}
		}
	}
	for name := range walkSkip {
		if !seen[name] {
			t.Errorf("walkSkip names %s, which is no longer a route", name)
		}
	}
}

// TestRouteWalk_Isolation walks every route: vendor B's key on vendor A's
// object ids answers 404 (or 403) and changes nothing of A's; B's lists
// and filters never show A's objects; a partner token on a vendor route and
// a secret key on a partner route answer 401.
func TestRouteWalk_Isolation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	e := w.e
	bodies := w.walkBodies()
	aSecrets := []string{w.pa.ID, w.la.ID, w.la.Key, w.cust, w.purchase, w.rewrd, w.custEmail, w.pa.Email, "ADA10", w.stripeEvent, w.payout}

	snapshot := func() string {
		var b strings.Builder
		for _, p := range []string{"/v1/vendor", "/v1/partners/" + w.pa.ID, "/v1/links/" + w.la.ID, "/v1/customers/" + w.cust,
			"/v1/purchases/" + w.purchase, "/v1/rewards/" + w.rewrd, "/v1/partners", "/v1/links", "/v1/customers",
			"/v1/purchases", "/v1/rewards", "/v1/partners/" + w.pa.ID + "/codes", "/v1/audit", "/v1/payouts/" + w.payout} {
			b.WriteString(p + " " + string(e.Must(t, http.StatusOK, e.Do(t, "GET", p, w.a.SecretKey, nil)).Body) + "\n")
		}
		return b.String()
	}
	before, beforeRows := snapshot(), e.TableCounts(t)
	walked := 0
	for _, r := range routes(e) {
		kind := kindOf(r)
		if kind == kindSkipped || kind == kindUnknown {
			continue
		}
		path, ok := w.fill(r.path)
		if !ok {
			continue // reported by TestRouteWalk_Covered
		}
		body := bodies[r.name()]
		walked++
		t.Run(strings.ReplaceAll(r.name(), "/", "_"), func(t *testing.T) {
			switch kind {
			case kindVendor:
				// A partner token, A's public key and no key are refused on a vendor route.
				for _, tok := range []string{w.pa.Token, w.a.PublicKey, ""} {
					if got := e.Do(t, r.method, path, tok, body); got.StatusCode != http.StatusUnauthorized {
						t.Errorf("with %.3s… : %d, want 401: %s", tok, got.StatusCode, got.Body)
					}
				}
				res := e.Do(t, r.method, path, w.b.SecretKey, body)
				if strings.Contains(r.path, ":id") {
					if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
						t.Errorf("vendor B on A's object: %d, want 404/403: %s", res.StatusCode, res.Body)
					}
				}
				leaks(t, "vendor B", res, aSecrets)
				if r.method == http.MethodGet && !strings.Contains(r.path, ":") {
					for _, q := range []string{"?partner_id=" + w.pa.ID, "?link_id=" + w.la.ID, "?customer_id=" + w.cust,
						"?email=" + w.custEmail, "?external_id=" + w.cust, "?purchase_id=" + w.purchase} {
						leaks(t, "vendor B"+q, e.Do(t, r.method, path+q, w.b.SecretKey, nil), aSecrets)
					}
				}
			case kindPartner:
				for _, tok := range []string{w.a.SecretKey, w.a.PublicKey, testenv.AdminToken, ""} {
					if got := e.Do(t, r.method, path, tok, body); got.StatusCode != http.StatusUnauthorized {
						t.Errorf("with %.3s… : %d, want 401: %s", tok, got.StatusCode, got.Body)
					}
				}
				res := e.Do(t, r.method, path, w.pb.Token, body)
				if strings.Contains(r.path, ":id") && res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
					t.Errorf("vendor B's partner on A's object: %d, want 404/403: %s", res.StatusCode, res.Body)
				}
				leaks(t, "vendor B's partner", res, aSecrets)
				if r.method == http.MethodGet && !strings.Contains(r.path, ":") {
					for _, q := range []string{"?partner_id=" + w.pa.ID, "?link_id=" + w.la.ID, "?customer_id=" + w.cust} {
						leaks(t, "vendor B's partner"+q, e.Do(t, r.method, path+q, w.pb.Token, nil), aSecrets)
					}
				}
			case kindAdmin:
				for _, tok := range []string{w.a.SecretKey, w.pa.Token, ""} {
					if got := e.Do(t, r.method, path, tok, body); got.StatusCode != http.StatusUnauthorized {
						t.Errorf("with %.3s… : %d, want 401: %s", tok, got.StatusCode, got.Body)
					}
				}
			}
		})
	}
	if walked < 30 {
		t.Fatalf("walked %d routes: the route table was not read", walked)
	}
	if after := snapshot(); after != before {
		t.Errorf("A's data changed during the walk:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// B's own creates add rows; none of A's rows may change, which the
	// snapshot checks. Rows of tables B cannot write stay as they were.
	afterRows := e.TableCounts(t)
	for _, table := range []string{"clicks", "stripe_events"} {
		if afterRows[table] != beforeRows[table] {
			t.Errorf("%s: %d rows -> %d", table, beforeRows[table], afterRows[table])
		}
	}
}

func leaks(t *testing.T, who string, r *testenv.Response, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("%s: %s %s answer shows A's %q: %s", who, r.Request.Method, r.Request.URL, s, r.Body)
		}
	}
}
