package api_test

import (
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/secretbox"
	"github.com/tally-dev/tally/internal/testenv"
)

// Security review of issue 6, one test per point. Tenant isolation across
// every route is in routewalk_test.go.

// TestSecurity_ForwardedForOnlyFromTrustedProxies: a spoofed
// X-Forwarded-For from a peer outside TALLY_TRUSTED_PROXIES changes neither
// the click's IP nor the snippet rate-limit bucket.
func TestSecurity_ForwardedForOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	limited := func(c *app.Config) { c.SnippetRate, c.SnippetBurst = 0.001, 3 }
	spoofs := []string{"203.0.113.1", "203.0.113.2", "198.51.100.3, 203.0.113.4", "2001:db8::5", "203.0.113.6"}
	ping := func(t *testing.T, e *testenv.Env, pk, xff string) int {
		return e.Do(t, "POST", "/v1/snippet/ping", "", `{"public_key":"`+pk+`","url":"https://shop.example/"}`,
			"X-Forwarded-For", xff, "X-Real-IP", xff).StatusCode
	}
	for _, tc := range []struct {
		name    string
		proxies []string
	}{
		{"NoProxiesConfigured", nil},
		{"PeerNotInTrustedRange", []string{"10.0.0.0/8", "192.168.0.0/16"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testenv.New(t, limited, func(c *app.Config) { c.TrustedProxies = tc.proxies })
			v := e.NewVendor(t, "Acme")
			p := e.NewPartner(t, v, "Ada", "ada@example.com")
			l := e.NewLink(t, v, p, "https://shop.example/")
			for _, xff := range spoofs[:2] {
				_, c := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key, "X-Forwarded-For", xff, "X-Real-IP", xff)))
				if c.IPTrunc != "127.0.0.0" {
					t.Errorf("X-Forwarded-For %s from an untrusted peer: ip_trunc %q, want the peer's", xff, c.IPTrunc)
				}
			}
			// Rate limit: the burst is 3 for the peer, whatever the header says.
			got := []int{}
			for _, xff := range spoofs {
				got = append(got, ping(t, e, v.PublicKey, xff))
			}
			if got[3] != http.StatusTooManyRequests || got[4] != http.StatusTooManyRequests {
				t.Errorf("statuses %v: rotating X-Forwarded-For dodged the rate limit", got)
			}
		})
	}
	t.Run("TrustedProxySeparatesClients", func(t *testing.T) {
		t.Parallel()
		e := testenv.New(t, limited, func(c *app.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} })
		v := e.NewVendor(t, "Acme")
		for i, xff := range spoofs {
			if got := ping(t, e, v.PublicKey, xff); got != http.StatusNoContent {
				t.Errorf("client %d (%s) through the trusted proxy: %d, want 204 (its own bucket)", i, xff, got)
			}
		}
	})
}

// TestSecurity_HeadersOnEveryAnswer requests every route (and unknown
// paths, wrong methods) and checks the security headers on each answer,
// HTML, JSON or other; with an https public URL, HSTS too.
func TestSecurity_HeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	for _, https := range []bool{false, true} {
		name := "HTTP"
		var opts []testenv.Option
		if https {
			name = "HTTPS"
			opts = append(opts, func(c *app.Config) { c.PublicURL = "https://tally.example" })
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, opts...)
			e := w.e
			bodies := w.walkBodies()
			check := func(t *testing.T, what string, r *testenv.Response) {
				t.Helper()
				h := r.Header
				if h.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s (%d): X-Content-Type-Options = %q", what, r.StatusCode, h.Get("X-Content-Type-Options"))
				}
				if h.Get("X-Frame-Options") != "DENY" && !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
					t.Errorf("%s (%d): framing not forbidden", what, r.StatusCode)
				}
				if h.Get("Referrer-Policy") == "" {
					t.Errorf("%s (%d): no Referrer-Policy", what, r.StatusCode)
				}
				ct := h.Get("Content-Type")
				csp := h.Get("Content-Security-Policy")
				pageCSP := strings.Contains(csp, "default-src 'self'") && strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "unsafe-")
				if (strings.HasPrefix(ct, "application/json") && !strings.Contains(csp, "default-src 'none'")) ||
					(strings.HasPrefix(ct, "text/html") && !strings.Contains(csp, "default-src 'none'") && !pageCSP) {
					t.Errorf("%s (%d): %s answer without a restrictive Content-Security-Policy", what, r.StatusCode, ct)
				}
				hsts := h.Get("Strict-Transport-Security")
				if https && !strings.HasPrefix(hsts, "max-age=") {
					t.Errorf("%s (%d): no Strict-Transport-Security with an https public URL", what, r.StatusCode)
				}
				if !https && hsts != "" {
					t.Errorf("%s (%d): Strict-Transport-Security on a plain-http deployment", what, r.StatusCode)
				}
			}
			kinds := map[string]int{}
			for _, r := range routes(e) {
				path, ok := w.fill(r.path)
				if !ok {
					continue // reported by TestRouteWalk_Covered
				}
				token := ""
				switch {
				case strings.HasPrefix(r.path, "/v1/partner/"):
					token = w.pa.Token
				case strings.HasPrefix(r.path, "/admin/"):
					token = testenv.AdminToken
				case strings.HasPrefix(r.path, "/v1/") && !strings.HasPrefix(r.path, "/v1/snippet/"):
					token = w.a.SecretKey
				}
				body := bodies[r.name()]
				if strings.HasPrefix(r.path, "/v1/snippet/") && r.method == http.MethodPost {
					body = map[string]any{"public_key": w.a.PublicKey, "url": "https://shop.example/", "email": "s@customer.example"}
				}
				for _, tok := range []string{token, "sk_wrong"} {
					res := e.Do(t, r.method, path, tok, body, "Origin", "https://shop.example")
					check(t, r.name(), res)
					kinds[strings.SplitN(res.Header.Get("Content-Type"), ";", 2)[0]]++
				}
			}
			for _, extra := range []struct{ method, path string }{
				{"GET", "/nope"}, {"GET", "/r/no-such-key"}, {"DELETE", "/v1/vendor"}, {"GET", "/v1/links/lnk_bad"},
				{"POST", "/v1/partners"}, {"GET", "/r/" + w.la.Key + "?url=https://evil.example"},
			} {
				check(t, extra.method+" "+extra.path, e.Do(t, extra.method, extra.path, w.a.SecretKey, nil))
			}
			if kinds["application/json"] < 20 || kinds["text/html"] == 0 {
				t.Errorf("answers seen by type %v: the walk missed JSON or HTML", kinds)
			}
		})
	}
}

// TestSecurity_SecretsNeverShownAgain: the secret key, partner tokens and
// the Stripe signing secret appear only in the answer that creates them:
// never in any later answer (every GET route, lists, errors, CSV) nor in
// the logs.
func TestSecurity_SecretsNeverShownAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	e := w.e
	const whsec = "whsec_walk_0123456789abcdef"
	secrets := map[string]string{
		"secret key": w.a.SecretKey, "secret key hash": attribution.HashKey(w.a.SecretKey),
		"partner token": w.pa.Token, "partner token hash": attribution.HashKey(w.pa.Token),
		"other partner token": w.pb.Token, "signing secret": whsec, "signing secret body": whsec[6:],
	}
	// A second partner is created: its token is in that answer only.
	np := e.NewPartner(t, w.a, "Nia", "nia@partner.example")
	if !strings.HasPrefix(np.Token, attribution.PrefixPartnerToken) {
		t.Fatalf("create partner answer has no token: %+v", np)
	}
	secrets["new partner token"] = np.Token
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", w.a.SecretKey, map[string]any{"stripe_webhook_secret": whsec}))

	var answers []*testenv.Response
	for _, r := range routes(e) {
		if r.method != http.MethodGet {
			continue
		}
		path, ok := w.fill(r.path)
		if !ok {
			continue
		}
		for _, tok := range []string{w.a.SecretKey, w.pa.Token, w.b.SecretKey, ""} {
			answers = append(answers, e.Do(t, r.method, path, tok, nil))
		}
	}
	// Writes answer the object too; errors quote input.
	answers = append(answers,
		e.Do(t, "PATCH", "/v1/vendor", w.a.SecretKey, map[string]any{"name": "Acme 2"}),
		e.Do(t, "PATCH", "/v1/vendor", w.a.SecretKey, map[string]any{"stripe_webhook_secret": "not-a-secret"}),
		e.Do(t, "PATCH", "/v1/partners/"+w.pa.ID, w.a.SecretKey, map[string]any{"name": "Ada 2"}),
		e.Do(t, "GET", "/v1/vendor", w.a.SecretKey+"x", nil),
		e.Do(t, "GET", "/v1/partner/me", w.pa.Token+"x", nil),
		e.Do(t, "POST", "/v1/partners", w.a.SecretKey, map[string]any{"name": "Ada", "email": w.pa.Email}),
	)
	seenVendor := false
	for _, r := range answers {
		for what, s := range secrets {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("%s %s answers the %s: %.300s", r.Request.Method, r.Request.URL.Path, what, r.Body)
			}
		}
		if r.Request.URL.Path == "/v1/vendor" && r.StatusCode == http.StatusOK && r.Request.Header.Get("Authorization") == "Bearer "+w.a.SecretKey {
			seenVendor = true
			if m := r.Map(t); m["stripe_webhook_secret_set"] != true {
				t.Errorf("GET /v1/vendor does not say the signing secret is set: %s", r.Body)
			}
		}
	}
	if !seenVendor || len(answers) < 40 {
		t.Fatalf("walk too small (%d answers, vendor seen %v)", len(answers), seenVendor)
	}
	logs := e.LogText()
	for what, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the logs contain the %s", what)
		}
	}
}

// rawStripeSecret reads the stored column.
func rawStripeSecret(t *testing.T, e *testenv.Env, vendorID string) string {
	t.Helper()
	var s string
	if err := e.App.Store.DB().NewSelect().Table("vendors").Column("stripe_webhook_secret").Where("id = ?", vendorID).Scan(t.Context(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func postEvent(t *testing.T, e *testenv.Env, vendorID, secret, id string) *testenv.Response {
	payload := []byte(`{"id":"` + id + `","object":"event","type":"customer.created","api_version":"2023-10-16","created":1768478400,"data":{"object":{"id":"cus_` + id + `","email":"x@customer.example"}}}`)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	return e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header)
}

// TestSecurity_StripeSecretEncryptedAtRest: the signing secret is stored
// AES-GCM-encrypted with the server key (TALLY_SECRET_KEY or the generated
// one), never in clear; webhooks still verify; a legacy clear value still
// works and is encrypted on the next write; a restart with the key rotated
// ("new,old") still reads it, and one without the old key cannot.
func TestSecurity_StripeSecretEncryptedAtRest(t *testing.T) {
	t.Parallel()
	const whsec = "whsec_rest_0123456789abcdef"
	oldKey := strings.Repeat("ab", 32)
	newKey := strings.Repeat("cd", 32)
	e := testenv.New(t, func(c *app.Config) { c.SecretKey = oldKey })
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": whsec}))

	raw := rawStripeSecret(t, e, v.ID)
	if !strings.HasPrefix(raw, secretbox.Prefix) || strings.Contains(raw, "whsec_") || strings.Contains(raw, whsec[6:]) {
		t.Fatalf("stored signing secret %q is not encrypted", raw)
	}
	e.Must(t, http.StatusOK, postEvent(t, e, v.ID, whsec, "evt_1"))
	e.Must(t, http.StatusBadRequest, postEvent(t, e, v.ID, "whsec_wrong", "evt_2"))

	// The ciphertext is bound to its vendor: copied to another vendor's row it does not open.
	other := e.NewVendor(t, "Other")
	if _, err := e.App.Store.DB().NewUpdate().Table("vendors").Set("stripe_webhook_secret = ?", raw).Where("id = ?", other.ID).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := postEvent(t, e, other.ID, whsec, "evt_3"); r.StatusCode == http.StatusOK {
		t.Error("a ciphertext copied to another vendor's row verifies that vendor's webhooks")
	}

	// Legacy clear value: still verifies, encrypted on the next write.
	if _, err := e.App.Store.DB().NewUpdate().Table("vendors").Set("stripe_webhook_secret = ?", whsec).Where("id = ?", v.ID).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.Must(t, http.StatusOK, postEvent(t, e, v.ID, whsec, "evt_4"))
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme 2"}))
	if raw := rawStripeSecret(t, e, v.ID); !strings.HasPrefix(raw, secretbox.Prefix) {
		t.Fatalf("legacy clear value not re-encrypted on write: %q", raw)
	}

	// Restart with the key rotated: old ciphertext still opens; writes use the new key.
	dbURL := e.App.Config.DatabaseURL
	e2 := testenv.New(t, func(c *app.Config) { c.DatabaseURL, c.SecretKey = dbURL, newKey+","+oldKey })
	e2.Must(t, http.StatusOK, postEvent(t, e2, v.ID, whsec, "evt_5"))
	e2.Must(t, http.StatusOK, e2.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme 3"}))
	rotated := rawStripeSecret(t, e2, v.ID)
	newOnly, _ := hex.DecodeString(newKey)
	box, _ := secretbox.New(newOnly)
	if got, err := box.Open(rotated, "vendors.stripe_webhook_secret:"+v.ID); err != nil || got != whsec {
		t.Fatalf("after a write the secret is not under the newest key: %q, %v", got, err)
	}
	// Restart without the old key after a write: still fine. Without any key
	// that opens it: webhooks refuse (4xx, Stripe retries) instead of failing open.
	e3 := testenv.New(t, func(c *app.Config) { c.DatabaseURL, c.SecretKey = dbURL, strings.Repeat("ef", 32) })
	if r := postEvent(t, e3, v.ID, whsec, "evt_6"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("webhook with an undecryptable secret: %d %s", r.StatusCode, r.Body)
	}
	// A bad key refuses to start.
	if _, err := app.New(t.Context(), app.Config{DatabaseURL: dbURL, SecretKey: "short"}, e.App.Logger); err == nil {
		t.Error("TALLY_SECRET_KEY of the wrong size accepted")
	}
}

// TestSecurity_GeneratedSecretKeyPersists: with no TALLY_SECRET_KEY, the
// key generated on first start is kept, so a restart reads the secrets.
func TestSecurity_GeneratedSecretKeyPersists(t *testing.T) {
	t.Parallel()
	const whsec = "whsec_gen_0123456789abcdef"
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": whsec}))
	if raw := rawStripeSecret(t, e, v.ID); !strings.HasPrefix(raw, secretbox.Prefix) {
		t.Fatalf("stored in clear: %q", raw)
	}
	dbURL := e.App.Config.DatabaseURL
	e2 := testenv.New(t, func(c *app.Config) { c.DatabaseURL = dbURL })
	e2.Must(t, http.StatusOK, postEvent(t, e2, v.ID, whsec, "evt_1"))
}

// TestSecurity_CookieKeyRotation: a token issued under the old keys still
// attributes after a restart with TALLY_HASH_KEY="new,old"; the newest key
// signs new tokens; once the old key is dropped its tokens are invalid.
func TestSecurity_CookieKeyRotation(t *testing.T) {
	t.Parallel()
	oldHash, oldBlock := strings.Repeat("11", 64), strings.Repeat("22", 32)
	newHash, newBlock := strings.Repeat("33", 64), strings.Repeat("44", 32)
	e := testenv.New(t, func(c *app.Config) { c.HashKey, c.BlockKey = oldHash, oldBlock })
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://shop.example/")
	oldToken := refOf(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)))

	dbURL := e.App.Config.DatabaseURL
	rotated := testenv.New(t, func(c *app.Config) {
		c.DatabaseURL, c.HashKey, c.BlockKey = dbURL, newHash+","+oldHash, newBlock+","+oldBlock
	})
	signup := func(e *testenv.Env, email, ref string) map[string]any {
		m := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": email, "ref": ref})).Map(t)
		c, _ := m["customer"].(map[string]any)
		return c
	}
	if c := signup(rotated, "old@customer.example", oldToken); c["partner_id"] != p.ID {
		t.Fatalf("a token issued before the rotation no longer attributes: %v", c)
	}
	newToken := refOf(t, rotated.Must(t, http.StatusFound, rotated.Click(t, l.Key)))
	hk, _ := hex.DecodeString(newHash)
	bk, _ := hex.DecodeString(newBlock)
	ohk, _ := hex.DecodeString(oldHash)
	obk, _ := hex.DecodeString(oldBlock)
	newOnly, _ := attribution.NewTokenCodec(hk, bk)
	oldOnly, _ := attribution.NewTokenCodec(ohk, obk)
	if _, err := newOnly.Decode(newToken); err != nil {
		t.Errorf("the newest key does not sign new tokens: %v", err)
	}
	if _, err := oldOnly.Decode(newToken); err == nil {
		t.Error("new tokens are still signed with the old key")
	}

	dropped := testenv.New(t, func(c *app.Config) { c.DatabaseURL, c.HashKey, c.BlockKey = dbURL, newHash, newBlock })
	if c := signup(dropped, "late@customer.example", oldToken); c["partner_id"] != nil && c["partner_id"] != "" {
		t.Errorf("a token of a dropped key still attributes: %v", c)
	}
	if c := signup(dropped, "new@customer.example", newToken); c["partner_id"] != p.ID {
		t.Errorf("a token of the kept key does not attribute: %v", c)
	}
}

// TestSecurity_NoOpenRedirect: /r/{key} goes only to the link's stored
// destination whatever the request says, the fallback URL is only a
// vendor-set http(s) URL, and no Location names another host.
func TestSecurity_NoOpenRedirect(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://shop.example/landing?plan=pro")
	onlyDestination := func(t *testing.T, r *testenv.Response) {
		t.Helper()
		loc := r.Header.Get("Location")
		if r.StatusCode/100 != 3 {
			if loc != "" {
				t.Errorf("status %d with Location %q", r.StatusCode, loc)
			}
			return
		}
		u, err := url.Parse(loc)
		if err != nil || u.Scheme != "https" || u.Host != "shop.example" || !strings.HasPrefix(u.Path, "/landing") {
			t.Errorf("Location %q leaves the destination", loc)
		}
		if strings.ContainsAny(loc, "\r\n") || len(r.Header.Values("Location")) != 1 {
			t.Errorf("header injection: %q", r.Header.Values("Location"))
		}
		for k := range r.Header {
			if strings.EqualFold(k, "X-Injected") {
				t.Error("a header was injected")
			}
		}
	}
	for _, q := range []string{
		"?url=https://evil.example/", "?next=//evil.example/", "?redirect=https:%2F%2Fevil.example",
		"?destination_url=https://evil.example", "?return_to=%2F%2Fevil.example",
		"?utm_source=%0d%0aX-Injected:%201", "?utm_campaign=%0d%0aLocation:%20https://evil.example",
		"?v=%0d%0aX-Injected:1", "?tally_ref=https://evil.example", "?%0d%0aX-Injected:1=1",
		"/..%2f..%2fevil.example", "%2F%2Fevil.example", "?@evil.example", "#@evil.example",
	} {
		onlyDestination(t, e.Click(t, l.Key+q))
	}
	for _, path := range []string{"/r//evil.example", "/r/%2F%2Fevil.example", "/r/https:%2F%2Fevil.example", "//evil.example/r/" + l.Key, "/r/" + l.Key + "/%2e%2e/%2e%2e/evil.example"} {
		r := e.Do(t, "GET", path, "", nil)
		if loc := r.Header.Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err != nil || (u.Host != "" && u.Host != "shop.example") || strings.HasPrefix(loc, "//") {
				t.Errorf("%s: Location %q", path, loc)
			}
		}
	}
	// Destinations and the fallback are http(s) URLs the vendor set.
	for _, bad := range []string{"javascript:alert(1)", "//evil.example/", "data:text/html,<script>alert(1)</script>",
		"/relative", "https://user:pw@evil.example/", "ftp://evil.example/", "https://evil.example/\r\nX-Injected: 1", "vbscript:x"} {
		if r := e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"fallback_url": bad}); r.StatusCode != http.StatusBadRequest {
			t.Errorf("fallback_url %q: %d", bad, r.StatusCode)
		}
		if r := e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]any{"destination_url": bad}); r.StatusCode != http.StatusBadRequest {
			t.Errorf("destination_url %q: %d", bad, r.StatusCode)
		}
	}
	// Archived link: the fallback, exactly, whatever the query.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"fallback_url": "https://shop.example/landing-partners"}))
	e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
	for _, q := range []string{"", "?url=https://evil.example", "?next=//evil.example"} {
		r := e.Must(t, http.StatusFound, e.Click(t, l.Key+q))
		if loc := r.Header.Get("Location"); loc != "https://shop.example/landing-partners" {
			t.Errorf("fallback Location %q", loc)
		}
	}
}

// TestSecurity_BadTextAnswers400: NUL characters and invalid UTF-8 in a
// path, query or JSON body are refused with a 400 before reaching the
// database (which cannot store them and would answer 5xx), and change nothing.
func TestSecurity_BadTextAnswers400(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	e := w.e
	before := e.TableCounts(t)
	for _, tc := range []struct {
		method, path string
		token        string
		body         any
	}{
		{"GET", "/v1/customers?email=a%00b@x.example", w.a.SecretKey, nil},
		{"GET", "/v1/customers?email=%ff%fe", w.a.SecretKey, nil},
		{"GET", "/v1/diagnose?email=a%00b@x.example", w.a.SecretKey, nil},
		{"GET", "/v1/partners?email=%00", w.a.SecretKey, nil},
		{"GET", "/v1/links/lnk_%00", w.a.SecretKey, nil},
		{"GET", "/r/key%00", "", nil},
		{"GET", "/r/%ff", "", nil},
		{"POST", "/v1/signups", w.a.SecretKey, `{"email":"a\u0000@b.example"}`},
		{"POST", "/v1/partners", w.a.SecretKey, `{"name":"N\u0000","email":"n@partner.example"}`},
		{"PATCH", "/v1/vendor", w.a.SecretKey, `{"name":"\u0000"}`},
		{"POST", "/v1/snippet/signup", "", `{"public_key":"` + w.a.PublicKey + `","email":"a\u0000@b.example"}`},
		{"POST", "/v1/snippet/ping", "", `{"public_key":"pk_\u0000","url":"https://shop.example/"}`},
	} {
		r := e.Do(t, tc.method, tc.path, tc.token, tc.body)
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s %v: %d, want 400: %s", tc.method, tc.path, tc.body, r.StatusCode, r.Body)
		}
	}
	// A literal backslash-u0000 in text is text, not a NUL.
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners", w.a.SecretKey, `{"name":"N\\u0000","email":"slash@partner.example"}`))
	after := e.TableCounts(t)
	after["partners"]--
	after["audit_entries"] = before["audit_entries"]       // the partner creation may be audited
	after["webhook_events"]--                              // the partner creation's event, to A's endpoint
	after["webhook_deliveries"]--                          // and its delivery
	after["webhook_attempts"] = before["webhook_attempts"] // deliveries are tried in the background
	if !maps.Equal(before, after) {
		t.Errorf("refused requests wrote rows: %v -> %v", before, after)
	}
}
