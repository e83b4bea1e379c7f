package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

func TestCSRFRefused(t *testing.T) {
	e := testenv.New(t)
	b := e.NewBrowser(t)
	firstRun(t, e, b, "ada@acme.example")
	dash := b.Get(t, "/dashboard").Must(t, http.StatusOK)

	t.Run("SignOutWithoutToken", func(t *testing.T) {
		b.Post(t, "/logout", url.Values{}).Must(t, http.StatusForbidden)
		b.Post(t, "/logout", url.Values{"csrf_token": {"forged-token-forged-token-forged-token"}}).Must(t, http.StatusForbidden)
		b.Get(t, "/dashboard").Must(t, http.StatusOK) // still signed in
	})
	t.Run("AnotherBrowsersToken", func(t *testing.T) {
		other := e.NewBrowser(t)
		signIn(t, other, "ada@acme.example", goodPassword).Must(t, http.StatusSeeOther)
		theirs := other.Get(t, "/dashboard").Must(t, http.StatusOK).CSRF(t)
		if theirs == dash.CSRF(t) {
			t.Fatal("two sessions share a CSRF token")
		}
		b.Post(t, "/logout", url.Values{"csrf_token": {theirs}}).Must(t, http.StatusForbidden)
	})
	t.Run("SignInWithoutToken", func(t *testing.T) {
		fresh := e.NewBrowser(t)
		fresh.Get(t, "/login").Must(t, http.StatusOK)
		fresh.Post(t, "/login", url.Values{"email": {"ada@acme.example"}, "password": {goodPassword}}).Must(t, http.StatusForbidden)
		// A cross-site form carries no cookie at all.
		e.NewBrowser(t).Post(t, "/login", url.Values{"email": {"ada@acme.example"}, "password": {goodPassword}, "csrf_token": {"x"}}).
			Must(t, http.StatusForbidden)
	})
	t.Run("DashboardChangeWithoutToken", func(t *testing.T) {
		b.Post(t, "/dashboard/anything", url.Values{}).Must(t, http.StatusForbidden)
	})
}

func TestViewerRefused(t *testing.T) {
	e := testenv.New(t)
	admin := e.NewBrowser(t)
	firstRun(t, e, admin, "ada@acme.example")
	viewer := e.NewBrowser(t)
	viewer.Submit(t, userLink(t, e, vendorOf(t, e, admin), "vic@acme.example", "viewer"), url.Values{"password": {goodPassword}}).
		Must(t, http.StatusSeeOther)
	page := viewer.Get(t, "/dashboard").Must(t, http.StatusOK)
	if !strings.Contains(page.Body, "vic@acme.example (viewer)") {
		t.Errorf("the viewer is not told they are one:\n%s", page.Body)
	}
	// Any change, on any dashboard route, is refused to a viewer before its
	// handler runs; an admin reaches the (here missing) route.
	for _, path := range []string{"/dashboard", "/dashboard/partners", "/dashboard/settings/team"} {
		p := viewer.Post(t, path, url.Values{"csrf_token": {page.CSRF(t)}}).Must(t, http.StatusForbidden)
		if !strings.Contains(p.Body, "Viewers can see everything but change nothing") {
			t.Errorf("POST %s: %s", path, p.Body)
		}
	}
	adminPage := admin.Get(t, "/dashboard").Must(t, http.StatusOK)
	if p := admin.Post(t, "/dashboard/partners", url.Values{"csrf_token": {adminPage.CSRF(t)}}); p.StatusCode == http.StatusForbidden {
		t.Errorf("an admin's change is refused: %d", p.StatusCode)
	}
	// A viewer may still sign out.
	viewer.Post(t, "/logout", url.Values{"csrf_token": {page.CSRF(t)}}).Must(t, http.StatusSeeOther)
}

func TestSessionAndKeysStayApart(t *testing.T) {
	e := testenv.New(t)
	b := e.NewBrowser(t)
	firstRun(t, e, b, "ada@acme.example")
	v := e.NewVendor(t, "Other")

	t.Run("SessionNeverAuthenticatesTheAPI", func(t *testing.T) {
		for _, path := range []string{"/v1/vendor", "/v1/partners", "/v1/analytics"} {
			p := b.Get(t, path).Must(t, http.StatusUnauthorized)
			if !strings.Contains(p.Body, `"code":"unauthorized"`) {
				t.Errorf("GET %s with a session: %s", path, p.Body)
			}
		}
		b.Post(t, "/v1/partners", url.Values{"name": {"X"}, "email": {"x@example.com"}}).Must(t, http.StatusUnauthorized)
	})
	t.Run("KeyNeverOpensAPage", func(t *testing.T) {
		p := e.NewBrowser(t).Get(t, "/dashboard", "Authorization", "Bearer "+v.SecretKey).Must(t, http.StatusSeeOther)
		if p.Location() != "/login" {
			t.Errorf("a secret key on /dashboard: to %q", p.Location())
		}
	})
}

func TestSessionIdleExpiry(t *testing.T) {
	e := testenv.New(t)
	b := e.NewBrowser(t)
	firstRun(t, e, b, "ada@acme.example")
	// Used every 13 days, a session lives on.
	for range 3 {
		e.Clock.Advance(13 * 24 * time.Hour)
		b.Get(t, "/dashboard").Must(t, http.StatusOK)
	}
	// Idle for 14 days, it is over.
	e.Clock.Advance(14 * 24 * time.Hour)
	if p := b.Get(t, "/dashboard").Must(t, http.StatusSeeOther); p.Location() != "/login" {
		t.Fatalf("an idle session: to %q", p.Location())
	}
}

func TestOwnerEmail(t *testing.T) {
	e := testenv.New(t)
	var created struct {
		ID            string `json:"id"`
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken,
		map[string]string{"name": "Globex", "owner_email": "Hank@Globex.example"})).JSON(t, &created)
	if !strings.HasPrefix(created.OwnerSetupURL, e.URL()+"/setup/") {
		t.Fatalf("owner_setup_url = %q", created.OwnerSetupURL)
	}
	path := strings.TrimPrefix(created.OwnerSetupURL, e.URL())
	b := e.NewBrowser(t)
	form := b.Get(t, path).Must(t, http.StatusOK)
	if !strings.Contains(form.Body, "hank@globex.example") || !strings.Contains(form.Body, `<label for="password">Password</label>`) ||
		strings.Contains(form.Body, "Program name") {
		t.Errorf("the owner's setup form:\n%s", form.Body)
	}
	b.Submit(t, path, url.Values{"password": {"short"}}).Must(t, http.StatusBadRequest)
	if p := b.Submit(t, path, url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther); p.Location() != "/dashboard" {
		t.Fatalf("to %q", p.Location())
	}
	if !strings.Contains(b.Get(t, "/dashboard").Must(t, http.StatusOK).Body, "Globex") {
		t.Error("the owner's dashboard does not show their program")
	}
	e.NewBrowser(t).Get(t, path).Must(t, http.StatusNotFound) // single use
	signIn(t, e.NewBrowser(t), "hank@globex.example", goodPassword).Must(t, http.StatusSeeOther)

	t.Run("Refused", func(t *testing.T) {
		before := e.TableCounts(t)
		for _, email := range []string{"hank@globex.example", "not an email"} {
			r := e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{"name": "Again", "owner_email": email})
			if r.StatusCode != http.StatusConflict && r.StatusCode != http.StatusBadRequest {
				t.Errorf("owner_email %q: %d %s", email, r.StatusCode, r.Body)
			}
		}
		if after := e.TableCounts(t); after["vendors"] != before["vendors"] || after["users"] != before["users"] {
			t.Errorf("a refused owner_email changed something: %v → %v", before, after)
		}
	})
	t.Run("WithoutOwner", func(t *testing.T) {
		m := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{"name": "Solo"})).Map(t)
		if _, ok := m["owner_setup_url"]; ok {
			t.Errorf("owner_setup_url without owner_email: %v", m)
		}
	})
	t.Run("ExpiresAfter72Hours", func(t *testing.T) {
		var v struct {
			OwnerSetupURL string `json:"owner_setup_url"`
		}
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken,
			map[string]string{"name": "Late", "owner_email": "late@late.example"})).JSON(t, &v)
		e.Clock.Advance(72 * time.Hour)
		p := e.NewBrowser(t).Get(t, strings.TrimPrefix(v.OwnerSetupURL, e.URL())).Must(t, http.StatusNotFound)
		if !strings.Contains(p.Body, "expired") {
			t.Errorf("an expired link: %s", p.Body)
		}
	})
}

func TestCookiesSecureOnHTTPS(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.PublicURL = "https://tally.example" })
	p := e.NewBrowser(t).Get(t, "/login").Must(t, http.StatusOK)
	cookies := p.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "tally_csrf" || !cookies[0].Secure || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookies of a page on an https deployment: %+v; want the CSRF cookie Secure, HttpOnly, SameSite=Lax", cookies)
	}
	link, err := e.App.FirstRunURL(t.Context())
	if err != nil || !strings.HasPrefix(link, "https://tally.example/setup/") {
		t.Fatalf("FirstRunURL = %q, %v: want it on the public URL", link, err)
	}
}
