package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/api"
	"github.com/tally-dev/tally/internal/testenv"
)

// snippetHealthAnswer is the JSON of GET /v1/health/snippet.
type snippetHealthAnswer struct {
	Status     string     `json:"status"`
	Days       int        `json:"days"`
	LastSeenAt *time.Time `json:"last_seen_at"`
	LastSeen   *struct {
		Origin string `json:"origin"`
		Path   string `json:"path"`
	} `json:"last_seen"`
	Checks []struct {
		Name   string           `json:"name"`
		Status string           `json:"status"`
		Detail string           `json:"detail"`
		Remedy string           `json:"remedy"`
		Steps  []api.RemedyStep `json:"steps"`
	} `json:"checks"`
	Pages []struct {
		Origin            string    `json:"origin"`
		Path              string    `json:"path"`
		Pings             int       `json:"pings"`
		RefInURL          int       `json:"ref_in_url"`
		CookieFailures    int       `json:"cookie_failures"`
		RefCookieFailures int       `json:"ref_cookie_failures"`
		LastSeenAt        time.Time `json:"last_seen_at"`
	} `json:"pages"`
}

// check returns the row of one check, failing the test when it is absent.
func (h snippetHealthAnswer) check(t *testing.T, name string) (status, detail, remedy string) {
	t.Helper()
	for _, c := range h.Checks {
		if c.Name == name {
			return c.Status, c.Detail, c.Remedy
		}
	}
	t.Fatalf("no %s check in %+v", name, h.Checks)
	return "", "", ""
}

// wantCheck fails unless check name has status and its detail and remedy
// hold every wanted fragment.
func (h snippetHealthAnswer) wantCheck(t *testing.T, name, status string, fragments ...string) {
	t.Helper()
	got, detail, remedy := h.check(t, name)
	if got != status {
		t.Fatalf("%s: status %s, want %s; detail %q", name, got, status, detail)
	}
	for _, f := range fragments {
		if !strings.Contains(detail+" "+remedy, f) {
			t.Errorf("%s: %q not in detail %q / remedy %q", name, f, detail, remedy)
		}
	}
}

// healthPing beacons a page load like the snippet does.
func healthPing(t *testing.T, e *testenv.Env, key, pageURL string, refInURL, cookieOK bool) {
	t.Helper()
	e.Must(t, http.StatusNoContent, e.Do(t, "POST", "/v1/snippet/ping", "", map[string]any{
		"public_key": key, "url": pageURL, "ref_in_url": refInURL, "cookie_ok": cookieOK,
	}, "Content-Type", "text/plain;charset=UTF-8"))
}

// snippetHealth flushes the pings and reads the report.
func snippetHealth(t *testing.T, e *testenv.Env, v testenv.Vendor, query string) snippetHealthAnswer {
	t.Helper()
	if err := e.App.Pings.Flush(t.Context()); err != nil {
		t.Fatalf("flush pings: %v", err)
	}
	var h snippetHealthAnswer
	r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/health/snippet"+query, v.SecretKey, nil))
	t.Logf("%s", r.Body)
	r.JSON(t, &h)
	return h
}

func healthSignup(t *testing.T, e *testenv.Env, v testenv.Vendor, email, ref string) {
	t.Helper()
	r := e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": email, "ref": ref})
	if r.StatusCode != http.StatusCreated && r.StatusCode != http.StatusOK {
		t.Fatalf("signup %s: %d %s", email, r.StatusCode, r.Body)
	}
}

func TestSnippetHealth_NeverSeen(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"domain": "shop.example"}))
	// Pings of another vendor and of unrelated sites are not this vendor's.
	other := e.NewVendor(t, "Other")
	healthPing(t, e, other.PublicKey, "https://other.example/", false, true)
	healthPing(t, e, "", "https://unrelated.example/", false, true)

	h := snippetHealth(t, e, v, "")
	if h.Status != "never_seen" || h.LastSeenAt != nil || h.LastSeen != nil || len(h.Pages) != 0 || h.Days != 7 {
		t.Fatalf("answer %+v", h)
	}
	h.wantCheck(t, "snippet_seen", "failing", "never received a ping", "https://shop.example", v.PublicKey)
	for _, name := range []string{"cookie_write", "public_key", "signups_without_token", "landing_pages"} {
		h.wantCheck(t, name, "ok")
	}
}

func TestSnippetHealth_OK(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://shop.example/pricing?plan=pro")
	e.Must(t, http.StatusFound, e.Click(t, l.Key))
	e.Clock.Advance(10 * time.Second)
	healthPing(t, e, v.PublicKey, "https://shop.example/pricing?plan=pro", true, true)
	e.Clock.Advance(time.Minute)
	healthPing(t, e, v.PublicKey, "https://shop.example/signup", false, true)
	e.Clock.Advance(time.Hour)

	h := snippetHealth(t, e, v, "")
	if h.Status != "ok" {
		t.Fatalf("status %s: %+v", h.Status, h.Checks)
	}
	wantSeen := e.Clock.Now().Add(-time.Hour)
	if h.LastSeenAt == nil || !h.LastSeenAt.Equal(wantSeen) || h.LastSeen == nil ||
		h.LastSeen.Origin != "https://shop.example" || h.LastSeen.Path != "/signup" {
		t.Fatalf("last seen %v %+v, want %v on /signup", h.LastSeenAt, h.LastSeen, wantSeen)
	}
	if len(h.Pages) != 2 || h.Pages[0].Path != "/signup" || h.Pages[1].Path != "/pricing" || h.Pages[1].RefInURL != 1 || h.Pages[1].Pings != 1 {
		t.Fatalf("pages %+v", h.Pages)
	}
	h.wantCheck(t, "snippet_seen", "ok", "https://shop.example/signup")
	h.wantCheck(t, "cookie_write", "ok")
	h.wantCheck(t, "public_key", "ok")
	h.wantCheck(t, "landing_pages", "ok")
	h.wantCheck(t, "signups_without_token", "ok")
}

func TestSnippetHealth_Stale(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	healthPing(t, e, v.PublicKey, "https://shop.example/", false, true)
	e.Clock.Advance(10 * 24 * time.Hour)

	h := snippetHealth(t, e, v, "")
	if h.Status != "failing" || h.LastSeenAt == nil {
		t.Fatalf("answer %+v", h)
	}
	h.wantCheck(t, "snippet_seen", "failing", "10 days ago", "https://shop.example")
	if len(h.Pages) != 0 {
		t.Fatalf("pages outside the window: %+v", h.Pages)
	}
	h = snippetHealth(t, e, v, "?days=30")
	h.wantCheck(t, "snippet_seen", "ok")
	if h.Status != "ok" || h.Days != 30 || len(h.Pages) != 1 {
		t.Fatalf("days=30: %+v", h)
	}
	for _, q := range []string{"?days=0", "?days=91", "?days=x"} {
		r := e.Do(t, "GET", "/v1/health/snippet"+q, v.SecretKey, nil)
		if r.StatusCode != http.StatusBadRequest || r.ErrorCode() != "invalid" {
			t.Errorf("%s: %d %s", q, r.StatusCode, r.Body)
		}
	}
}

func TestSnippetHealth_CookieWrite(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	// Loads without a token whose cookie test failed do not count.
	for range 4 {
		healthPing(t, e, v.PublicKey, "https://shop.example/", false, false)
	}
	healthPing(t, e, v.PublicKey, "https://shop.example/pricing", true, true)
	h := snippetHealth(t, e, v, "")
	h.wantCheck(t, "cookie_write", "ok", "one page load")

	for range 3 {
		healthPing(t, e, v.PublicKey, "https://shop.example/pricing", true, false)
	}
	h = snippetHealth(t, e, v, "")
	h.wantCheck(t, "cookie_write", "failing", "3 of 4 page loads", "https://shop.example/pricing", "HttpOnly", "CNAME")
	if h.Status != "failing" {
		t.Fatalf("status %s", h.Status)
	}
	for _, p := range h.Pages {
		if p.Path == "/pricing" && (p.RefInURL != 4 || p.RefCookieFailures != 3 || p.CookieFailures != 3) {
			t.Fatalf("page %+v", p)
		}
	}

	// On a CNAME setup the failures may be the server cookie's doing: a warning.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"cookie_domain": "shop.example"}))
	h = snippetHealth(t, e, v, "")
	h.wantCheck(t, "cookie_write", "warning", "HttpOnly")
}

func TestSnippetHealth_PublicKey(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"domain": "shop.example", "allowed_origins": []string{"https://shop.example", "https://www.shop.example"},
	}))
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	e.NewLink(t, v, p, "https://landing.example/spring")
	other := e.NewVendor(t, "Other")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", other.SecretKey, map[string]any{"domain": "other.example"}))

	healthPing(t, e, v.PublicKey, "https://shop.example/", false, true) // counted

	// A key that matches no vendor, from a page of the site: a warning only.
	t.Run("MissingKey", func(t *testing.T) {
		healthPing(t, e, "", "https://www.shop.example/blog", false, true)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "public_key", "warning", "no data-key", "https://www.shop.example", "/blog", v.PublicKey)
	})
	t.Run("SecretKeyOfNoVendor", func(t *testing.T) {
		healthPing(t, e, "sk_live_leaked_secret_0000000000000000", "https://app.shop.example/", false, true)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "public_key", "warning", "no Tally key", "https://app.shop.example")
		if _, d, r := h.check(t, "public_key"); strings.Contains(d+r, "leaked") {
			t.Fatalf("told to replace a secret key that is not its own: %s", r)
		}
	})
	t.Run("UnknownKeyOnALinkDestination", func(t *testing.T) {
		// A link's destination is not the vendor's site: another program's page may be.
		healthPing(t, e, "pk_doesnotexist0000", "https://landing.example/spring", false, true)
		h := snippetHealth(t, e, v, "")
		if _, d, _ := h.check(t, "public_key"); strings.Contains(d, "landing.example") {
			t.Fatalf("shown: %s", d)
		}
	})
	t.Run("OwnSecretKey", func(t *testing.T) {
		healthPing(t, e, v.SecretKey, "https://app.shop.example/", false, true)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "public_key", "failing", "your secret key", "https://app.shop.example", "leaked")
		if strings.Contains(string(e.Do(t, "GET", "/v1/health/snippet", v.SecretKey, nil).Body), v.SecretKey[3:]) {
			t.Fatal("the report repeats a secret key")
		}
	})
	t.Run("OriginNotAllowed", func(t *testing.T) {
		healthPing(t, e, v.PublicKey, "https://staging.elsewhere.example/", false, true)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "public_key", "failing", "allowed_origins", "https://staging.elsewhere.example")
		if h.Status != "failing" {
			t.Fatalf("status %s", h.Status)
		}
		// Following the rendered step allows the origin; its next pings count.
		var allow *api.RemedyRequest
		for _, c := range h.Checks {
			for _, st := range c.Steps {
				if c.Name == "public_key" && st.Action == "allow_origins" {
					allow = st.Request
				}
			}
		}
		if allow == nil || allow.Method != "PATCH" || allow.Path != "/v1/vendor" {
			t.Fatalf("no allow_origins step: %+v", h.Checks)
		}
		e.Must(t, http.StatusOK, e.Do(t, allow.Method, allow.Path, v.SecretKey, allow.Body))
		h = snippetHealth(t, e, v, "")
		if _, d, _ := h.check(t, "public_key"); strings.Contains(d, "staging.elsewhere") {
			t.Fatalf("still reported after the origin was allowed: %s", d)
		}
		healthPing(t, e, v.PublicKey, "https://staging.elsewhere.example/", false, true)
		h = snippetHealth(t, e, v, "")
		found := false
		for _, p := range h.Pages {
			found = found || p.Origin == "https://staging.elsewhere.example"
		}
		if !found {
			t.Fatalf("the allowed origin's ping did not count: %+v", h.Pages)
		}
	})
	t.Run("NotOthers", func(t *testing.T) {
		// Bad pings from sites that are not this vendor's never show.
		healthPing(t, e, "", "https://other.example/", false, true)
		healthPing(t, e, "", "https://unrelated.example/", false, true)
		healthPing(t, e, "", "https://evilshop.example/", false, true)
		h := snippetHealth(t, e, v, "")
		_, detail, _ := h.check(t, "public_key")
		for _, o := range []string{"other.example", "unrelated.example", "evilshop.example"} {
			if strings.Contains(detail, "https://"+o) {
				t.Errorf("%s in %q", o, detail)
			}
		}
		// and the other vendor sees the one from its site, as a warning: its
		// snippet has never been seen.
		ho := snippetHealth(t, e, other, "")
		ho.wantCheck(t, "public_key", "warning", "https://other.example")
		if _, d, _ := ho.check(t, "public_key"); strings.Contains(d, "shop.example") {
			t.Errorf("other vendor sees %q", d)
		}
		if ho.Status != "never_seen" {
			t.Errorf("other vendor: status %s (only pings of no vendor's key)", ho.Status)
		}
	})
}

// Two programs on one host: pings with a wrong key are a warning to both,
// never the misconfiguration of the one whose snippet never pinged; each
// vendor's own key (public or leaked secret) is that vendor's alone.
func TestSnippetHealth_SharedHost(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	a := e.NewVendor(t, "Acme")
	b := e.NewVendor(t, "Beta")
	for _, v := range []testenv.Vendor{a, b} {
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"domain": "shops.example"}))
	}
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", a.SecretKey, map[string]any{"allowed_origins": []string{"https://acme.shops.example"}}))
	healthPing(t, e, a.PublicKey, "https://acme.shops.example/", false, true)         // counted for Acme
	healthPing(t, e, "pk_typo0000000000", "https://beta.shops.example/", false, true) // no vendor's key
	healthPing(t, e, a.SecretKey, "https://acme.shops.example/admin", false, true)    // Acme's leaked secret
	healthPing(t, e, a.PublicKey, "https://beta.shops.example/copy", false, true)     // Acme's key, origin not allowed

	hb := snippetHealth(t, e, b, "")
	if hb.Status != "never_seen" {
		t.Fatalf("Beta: status %s, want never_seen: %+v", hb.Status, hb.Checks)
	}
	hb.wantCheck(t, "public_key", "warning", `"pk_typo0000000000"`, "https://beta.shops.example")
	for _, c := range hb.Checks {
		if c.Status == "failing" && c.Name != "snippet_seen" {
			t.Errorf("Beta: %s failing: %s", c.Name, c.Detail)
		}
		if strings.Contains(c.Detail+c.Remedy, "leaked") || strings.Contains(c.Detail+c.Remedy, "/copy") || strings.Contains(c.Detail+c.Remedy, "/admin") {
			t.Errorf("Beta is shown Acme's pings: %s / %s", c.Detail, c.Remedy)
		}
	}
	hb.wantCheck(t, "snippet_seen", "failing", "never received a ping")

	ha := snippetHealth(t, e, a, "")
	ha.wantCheck(t, "public_key", "failing", "your secret key", "leaked", "/admin", "allowed_origins", "/copy", `"pk_typo0000000000"`)
	if ha.Status != "failing" {
		t.Fatalf("Acme: status %s", ha.Status)
	}

	// The diagnosis uses the same rule: Beta's customer is no_click with a
	// warning finding, and never told to replace a key.
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", b.SecretKey, map[string]any{"email": "c@example.com"}))
	r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/diagnose?email=c@example.com", b.SecretKey, nil))
	var d api.DiagnosisAnswer
	r.JSON(t, &d)
	if d.Verdict.Cause != "no_click" || strings.Contains(string(r.Body), "leaked") || strings.Contains(string(r.Body), "/copy") {
		t.Fatalf("Beta's diagnosis: %s", r.Body)
	}
	causes := []string{}
	for _, fd := range d.Findings {
		causes = append(causes, fd.Cause)
	}
	if strings.Join(causes, ",") != "snippet_not_seen,snippet_misconfigured" {
		t.Fatalf("Beta's findings: %v", causes)
	}
}

func TestSnippetHealth_PublicKeyFixed(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"domain": "shop.example"}))
	healthPing(t, e, "", "https://shop.example/pricing", false, true)
	e.Clock.Advance(time.Hour)
	healthPing(t, e, v.PublicKey, "https://shop.example/pricing", false, true)
	h := snippetHealth(t, e, v, "")
	h.wantCheck(t, "public_key", "warning", "looks fixed")
	if h.Status != "warning" {
		t.Fatalf("status %s", h.Status)
	}
}

func TestSnippetHealth_SignupsWithoutToken(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*testenv.Env, testenv.Vendor, testenv.Link) {
		e := testenv.New(t)
		v := e.NewVendor(t, "Acme")
		p := e.NewPartner(t, v, "Ada", "ada@example.com")
		l := e.NewLink(t, v, p, "https://shop.example/")
		healthPing(t, e, v.PublicKey, "https://shop.example/", false, true)
		return e, v, l
	}
	t.Run("Failing", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		for i := range 5 {
			healthSignup(t, e, v, "c"+string(rune('a'+i))+"@example.com", "")
		}
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "signups_without_token", "failing", "5 of 5 signups", "100 %", "1 click")
	})
	t.Run("Warning", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		for i := range 3 {
			healthSignup(t, e, v, "ref"+string(rune('a'+i))+"@example.com", refOf(t, e.Must(t, http.StatusFound, e.Click(t, l.Key))))
		}
		healthSignup(t, e, v, "none1@example.com", "")
		healthSignup(t, e, v, "none2@example.com", "")
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "signups_without_token", "warning", "2 of 5 signups", "40 %")
	})
	t.Run("FewTokenless", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		for i := range 4 {
			healthSignup(t, e, v, "ref"+string(rune('a'+i))+"@example.com", refOf(t, e.Must(t, http.StatusFound, e.Click(t, l.Key))))
		}
		healthSignup(t, e, v, "none@example.com", "")
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "signups_without_token", "ok", "1 of 5 signups")
	})
	t.Run("NoClicks", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		e.Must(t, http.StatusFound, e.Click(t, l.Key, "User-Agent", googlebotUA)) // bots do not count
		for i := range 5 {
			healthSignup(t, e, v, "c"+string(rune('a'+i))+"@example.com", "")
		}
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "signups_without_token", "ok", "no referral clicks")
	})
	t.Run("OutsideWindow", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		for i := range 5 {
			healthSignup(t, e, v, "c"+string(rune('a'+i))+"@example.com", "")
		}
		e.Clock.Advance(8 * 24 * time.Hour)
		healthPing(t, e, v.PublicKey, "https://shop.example/", false, true)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "signups_without_token", "ok", "No signups")
	})
}

func TestSnippetHealth_LandingPages(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*testenv.Env, testenv.Vendor, testenv.Link) {
		e := testenv.New(t)
		v := e.NewVendor(t, "Acme")
		p := e.NewPartner(t, v, "Ada", "ada@example.com")
		l := e.NewLink(t, v, p, "https://shop.example/pricing?plan=pro")
		return e, v, l
	}
	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		healthPing(t, e, v.PublicKey, "https://blog.example/", false, true) // the snippet runs elsewhere
		e.Clock.Advance(time.Minute)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		e.Clock.Advance(time.Minute)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "landing_pages", "ok") // too recent to judge
		e.Clock.Advance(10 * time.Minute)
		h = snippetHealth(t, e, v, "")
		h.wantCheck(t, "landing_pages", "failing", "https://shop.example never pinged", "Add the two script tags to https://shop.example/pricing")
		if h.Status != "failing" {
			t.Fatalf("status %s", h.Status)
		}
	})
	t.Run("PingBeforeClickOnly", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		healthPing(t, e, v.PublicKey, "https://shop.example/pricing", false, true)
		e.Clock.Advance(time.Hour)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		e.Clock.Advance(time.Hour)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "landing_pages", "failing", "https://shop.example/pricing")
	})
	t.Run("BotClicksIgnored", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		healthPing(t, e, v.PublicKey, "https://blog.example/", false, true)
		e.Must(t, http.StatusFound, e.Click(t, l.Key, "User-Agent", googlebotUA))
		e.Clock.Advance(time.Hour)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "landing_pages", "ok")
	})
	t.Run("Pinged", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		e.Clock.Advance(5 * time.Second)
		healthPing(t, e, v.PublicKey, "https://shop.example/pricing?plan=pro", true, true)
		e.Clock.Advance(time.Hour)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "landing_pages", "ok")
		if h.Status != "ok" {
			t.Fatalf("status %s: %+v", h.Status, h.Checks)
		}
	})
	t.Run("OtherPathOnly", func(t *testing.T) {
		t.Parallel()
		e, v, l := setup(t)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		e.Clock.Advance(5 * time.Second)
		healthPing(t, e, v.PublicKey, "https://shop.example/", false, true)
		e.Clock.Advance(time.Hour)
		h := snippetHealth(t, e, v, "")
		h.wantCheck(t, "landing_pages", "warning", "https://shop.example/pricing")
	})
}

func TestSnippetHealth_Prune(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	healthPing(t, e, v.PublicKey, "https://shop.example/old", false, true)
	e.Clock.Advance(30 * 24 * time.Hour)
	healthPing(t, e, v.PublicKey, "https://shop.example/new", false, true)
	h := snippetHealth(t, e, v, "?days=90")
	if len(h.Pages) != 2 {
		t.Fatalf("pages %+v", h.Pages)
	}
	n, err := e.App.Store.Retention.PruneSnippetPages(t.Context(), e.Clock.Now().Add(-7*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	h = snippetHealth(t, e, v, "?days=90")
	if len(h.Pages) != 1 || h.Pages[0].Path != "/new" {
		t.Fatalf("pages after prune %+v", h.Pages)
	}
}
