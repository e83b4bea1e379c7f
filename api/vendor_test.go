package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// oversized is a syntactically valid JSON object larger than the 256 KiB body limit.
// badRequest is a request body a JSON endpoint must refuse, with the answer.
type badRequest struct {
	name   string
	body   string
	status int
	code   string
}

// withBadBodies adds the bodies every JSON endpoint refuses with 400.
func withBadBodies(cases []badRequest) []badRequest {
	for _, b := range badBodies {
		cases = append(cases, badRequest{b.name, b.body, 400, "invalid"})
	}
	return cases
}

func oversized(field string) string {
	return `{"` + field + `":"` + strings.Repeat("a", 300<<10) + `"}`
}

// badBodies are request bodies every JSON endpoint must refuse with 400,
// whatever its fields.
var badBodies = []struct{ name, body string }{
	{"UnknownField", `{"nonsense": 1}`},
	{"Malformed", `{"name": "X",`},
	{"NotJSON", `name=X`},
	{"Array", `[{"name": "X"}]`},
	{"String", `"X"`},
	{"Null", `null`},
	{"TrailingGarbage", `{} garbage`},
	{"TwoObjects", `{} {}`},
	{"Empty", ``},
}

func TestVendor_Get(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	m := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)
	want := map[string]any{
		"id": v.ID, "name": "Acme", "domain": "", "cookie_domain": "", "fallback_url": "",
		"public_key": v.PublicKey, "attribution_window_days": float64(90), "stripe_webhook_secret_set": false,
		"created_at": "2026-01-15T12:00:00Z",
	}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %#v, want %#v", k, m[k], w)
		}
	}
	if o, ok := m["allowed_origins"].([]any); !ok || len(o) != 0 {
		t.Errorf("allowed_origins = %#v, want []", m["allowed_origins"])
	}
	for _, k := range []string{"secret_key", "secret_key_hash", "stripe_webhook_secret"} {
		if _, ok := m[k]; ok {
			t.Errorf("GET /v1/vendor shows %s", k)
		}
	}
}

func TestVendor_Patch(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")

	for _, tc := range []struct {
		name string
		body map[string]any
		want map[string]any
	}{
		{"Name", map[string]any{"name": "  Acme Corp "}, map[string]any{"name": "Acme Corp"}},
		{"Domain", map[string]any{"domain": "Acme.Example"}, map[string]any{"domain": "acme.example"}},
		{"WindowMin", map[string]any{"attribution_window_days": 1}, map[string]any{"attribution_window_days": float64(1)}},
		{"WindowMax", map[string]any{"attribution_window_days": 365}, map[string]any{"attribution_window_days": float64(365)}},
		{"CookieDomain", map[string]any{"cookie_domain": ".Acme.Example"}, map[string]any{"cookie_domain": "acme.example"}},
		{"CookieDomainCleared", map[string]any{"cookie_domain": ""}, map[string]any{"cookie_domain": ""}},
		{"FallbackURL", map[string]any{"fallback_url": "https://acme.example/partners"}, map[string]any{"fallback_url": "https://acme.example/partners"}},
		{"AllowedOrigins", map[string]any{"allowed_origins": []string{"HTTPS://WWW.Acme.Example/", "http://localhost:3000"}},
			map[string]any{"allowed_origins": []any{"https://www.acme.example", "http://localhost:3000"}}},
		{"AllowedOriginsCleared", map[string]any{"allowed_origins": []string{}}, map[string]any{"allowed_origins": []any{}}},
		{"Several", map[string]any{"name": "Acme", "attribution_window_days": 30, "fallback_url": ""},
			map[string]any{"name": "Acme", "attribution_window_days": float64(30), "fallback_url": ""}},
		{"EmptyObject", map[string]any{}, map[string]any{"name": "Acme"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			patched := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, tc.body)).Map(t)
			got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)
			for k, w := range tc.want {
				if !jsonEqual(patched[k], w) {
					t.Errorf("PATCH answer %s = %#v, want %#v", k, patched[k], w)
				}
				if !jsonEqual(got[k], w) {
					t.Errorf("GET after PATCH %s = %#v, want %#v", k, got[k], w)
				}
			}
		})
	}
}

func TestVendor_StripeWebhookSecretWriteOnly(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	const secret = "whsec_test1234567890abcdef"

	r := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": secret}))
	check := func(r *testenv.Response, set bool) {
		t.Helper()
		if strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), "whsec_") {
			t.Errorf("the webhook secret is returned: %s", r.Body)
		}
		m := r.Map(t)
		if _, ok := m["stripe_webhook_secret"]; ok {
			t.Errorf("stripe_webhook_secret is returned")
		}
		if m["stripe_webhook_secret_set"] != set {
			t.Errorf("stripe_webhook_secret_set = %v, want %v", m["stripe_webhook_secret_set"], set)
		}
	}
	check(r, true)
	check(e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)), true)

	// Other changes keep it.
	check(e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme 2"})), true)
	// Kept, and stored encrypted (TestSecurity_StripeSecretEncryptedAtRest).
	if got, err := e.App.Store.Vendors.FindVendor(t.Context(), v.ID); err != nil || got.StripeWebhookSecret != secret {
		t.Fatalf("stored secret lost: %v", err)
	}
	if raw := rawStripeSecret(t, e, v.ID); strings.Contains(raw, secret) {
		t.Fatalf("stored secret in clear: %q", raw)
	}

	// A bad one is refused and the stored one kept.
	mustError(t, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": "sk_live_123"}), http.StatusBadRequest, "invalid")
	check(e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)), true)

	// "" clears it.
	check(e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": ""})), false)
	check(e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)), false)
}

func TestVendor_PatchValidation(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	// A non-default state, so a refused PATCH that resets fields would show.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"domain": "acme.example", "cookie_domain": "acme.example", "attribution_window_days": 60,
		"allowed_origins": []string{"https://acme.example"}, "fallback_url": "https://acme.example/",
		"stripe_webhook_secret": "whsec_abc",
	}))
	before := get(t, e, v.SecretKey, "/v1/vendor")

	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"WindowZero", `{"attribution_window_days": 0}`, 400},
		{"WindowNegative", `{"attribution_window_days": -1}`, 400},
		{"WindowTooLong", `{"attribution_window_days": 366}`, 400},
		{"WindowFraction", `{"attribution_window_days": 1.5}`, 400},
		{"WindowString", `{"attribution_window_days": "30"}`, 400},
		{"WindowNull", `{"attribution_window_days": null, "name": ""}`, 400},
		{"WindowHuge", `{"attribution_window_days": 1e30}`, 400},
		{"NameEmpty", `{"name": ""}`, 400},
		{"NameTooLong", `{"name": "` + strings.Repeat("x", 201) + `"}`, 400},
		{"NameNumber", `{"name": 5}`, 400},
		{"DomainURL", `{"domain": "https://acme.example"}`, 400},
		{"DomainSpaces", `{"domain": "acme example"}`, 400},
		{"OriginNotURL", `{"allowed_origins": ["acme.example"]}`, 400},
		{"OriginWithPath", `{"allowed_origins": ["https://acme.example/shop"]}`, 400},
		{"OriginFTP", `{"allowed_origins": ["ftp://acme.example"]}`, 400},
		{"OriginWildcard", `{"allowed_origins": ["*"]}`, 400},
		{"OriginsOneBad", `{"allowed_origins": ["https://ok.example", "nope"]}`, 400},
		{"OriginsString", `{"allowed_origins": "https://acme.example"}`, 400},
		{"OriginsNumbers", `{"allowed_origins": [1, 2]}`, 400},
		{"OriginsTooMany", `{"allowed_origins": [` + strings.TrimSuffix(strings.Repeat(`"https://a.example",`, 51), ",") + `]}`, 400},
		{"CookieDomainURL", `{"cookie_domain": "https://acme.example"}`, 400},
		{"CookieDomainBad", `{"cookie_domain": "acme..example"}`, 400},
		{"CookieDomainPort", `{"cookie_domain": "acme.example:443"}`, 400},
		{"StripeSecretWrongPrefix", `{"stripe_webhook_secret": "sk_test_abc"}`, 400},
		{"FallbackJavascript", `{"fallback_url": "javascript:alert(1)"}`, 400},
		{"FallbackRelative", `{"fallback_url": "/partners"}`, 400},
		{"FallbackData", `{"fallback_url": "data:text/html,hi"}`, 400},
		{"ValidThenInvalid", `{"name": "Changed", "attribution_window_days": 0}`, 400},
		{"ReadOnlyID", `{"id": "ven_x"}`, 400},
		{"ReadOnlyPublicKey", `{"public_key": "pk_mine"}`, 400},
		{"StripeSecretSetField", `{"stripe_webhook_secret_set": false}`, 400},
		{"Oversized", oversized("name"), 413},
	}
	for _, b := range badBodies {
		cases = append(cases, struct {
			name   string
			body   string
			status int
		}{b.name, b.body, 400})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, tc.body)
			mustError(t, r, tc.status, "invalid")
			if after := get(t, e, v.SecretKey, "/v1/vendor"); after != before {
				t.Errorf("vendor changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestVendor_OversizedBodyAnswers413(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	for _, tc := range []struct{ method, path, body string }{
		{"PATCH", "/v1/vendor", oversized("name")},
		{"POST", "/v1/partners", oversized("name")},
		{"POST", "/v1/links", oversized("destination_url")},
		{"POST", "/admin/v1/vendors", oversized("name")},
		// Not JSON at all, but too large all the same.
		{"POST", "/v1/partners", strings.Repeat("x", 300<<10)},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			token := v.SecretKey
			if strings.HasPrefix(tc.path, "/admin") {
				token = testenv.AdminToken
			}
			r := e.Do(t, tc.method, tc.path, token, tc.body)
			mustError(t, r, http.StatusRequestEntityTooLarge, "invalid")
		})
	}
	if n := countRows(t, e, "partners"); n != 0 {
		t.Errorf("partners = %d", n)
	}
	if n := countRows(t, e, "vendors"); n != 1 {
		t.Errorf("vendors = %d", n)
	}
}

// jsonEqual compares decoded JSON values.
func jsonEqual(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok || bok {
		if !aok || !bok || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !jsonEqual(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// TestVendor_OversizedChunkedBody: a body without Content-Length is cut at
// the limit too, and still answers 413.
func TestVendor_OversizedChunkedBody(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	before := get(t, e, v.SecretKey, "/v1/vendor")
	for _, tc := range []struct{ name, method, path, body string }{
		{"PatchVendor", "PATCH", "/v1/vendor", oversized("name")},
		{"CreatePartner", "POST", "/v1/partners", oversized("name")},
		{"CreatePartnerWhitespace", "POST", "/v1/partners", `{"name": "X", "email": "x@example.com"}` + strings.Repeat(" ", 300<<10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// io.MultiReader hides the length: the request goes chunked.
			req, err := http.NewRequestWithContext(t.Context(), tc.method, e.URL()+tc.path, io.MultiReader(strings.NewReader(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+v.SecretKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if req.ContentLength != -1 && req.ContentLength != 0 {
				t.Fatalf("request was not chunked")
			}
			mustError(t, &testenv.Response{Response: resp, Body: data}, http.StatusRequestEntityTooLarge, "invalid")
		})
	}
	if after := get(t, e, v.SecretKey, "/v1/vendor"); after != before {
		t.Errorf("vendor changed")
	}
	if n := countRows(t, e, "partners"); n != 0 {
		t.Errorf("partners = %d", n)
	}
}
