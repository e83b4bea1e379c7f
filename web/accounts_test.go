package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

const goodPassword = "correct horse battery"

// firstRun opens the link `tally serve` prints on an empty database and
// creates the program and its admin; the browser ends signed in.
func firstRun(t *testing.T, e *testenv.Env, b *testenv.Browser, email string) {
	t.Helper()
	link, err := e.App.FirstRunURL(t.Context())
	if err != nil || link == "" {
		t.Fatalf("FirstRunURL = %q, %v", link, err)
	}
	p := b.Submit(t, strings.TrimPrefix(link, e.URL()), url.Values{
		"program_name": {"Acme Rockets"}, "domain": {"acme.example"}, "email": {email}, "password": {goodPassword},
	}).Must(t, http.StatusSeeOther)
	if p.Location() != "/dashboard" {
		t.Fatalf("first run redirects to %q, want /dashboard", p.Location())
	}
}

// signIn signs b in through the form.
func signIn(t *testing.T, b *testenv.Browser, email, password string) *testenv.Page {
	t.Helper()
	return b.Submit(t, "/login", url.Values{"email": {email}, "password": {password}})
}

// userLink creates a user of the vendor the way `tally user create` does
// and returns the path of their setup link.
func userLink(t *testing.T, e *testenv.Env, vendorID, email, role string) string {
	t.Helper()
	_, token, err := e.App.Accounts.CreateUser(t.Context(), vendorID, email, role)
	if err != nil {
		t.Fatal(err)
	}
	return "/setup/" + token
}

// vendorOf returns the id of the vendor of a signed-in user.
func vendorOf(t *testing.T, e *testenv.Env, b *testenv.Browser) string {
	t.Helper()
	_, u, err := e.App.Accounts.Session(t.Context(), b.Cookie("tally_session"))
	if err != nil {
		t.Fatal(err)
	}
	return u.VendorID
}

func TestFirstRun(t *testing.T) {
	e := testenv.New(t)
	link, err := e.App.FirstRunURL(t.Context())
	if err != nil || !strings.HasPrefix(link, e.URL()+"/setup/") {
		t.Fatalf("FirstRunURL = %q, %v", link, err)
	}
	path := strings.TrimPrefix(link, e.URL())
	b := e.NewBrowser(t)
	// A second start printed another link; it dies with the first program.
	second, err := e.App.FirstRunURL(t.Context())
	if err != nil || second == "" || second == link {
		t.Fatalf("a second FirstRunURL = %q, %v", second, err)
	}

	form := b.Get(t, path).Must(t, http.StatusOK)
	for _, label := range []string{`<label for="program_name">Program name</label>`, `<label for="domain">Domain</label>`,
		`<label for="email">Email</label>`, `<label for="password">Password</label>`, `<button type="submit">`} {
		if !strings.Contains(form.Body, label) {
			t.Errorf("the setup form lacks %s", label)
		}
	}
	csp := form.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("page CSP = %q", csp)
	}
	if strings.Contains(form.Body, "<script>") || strings.Contains(form.Body, " style=") || strings.Contains(form.Body, " onclick=") {
		t.Error("the page has inline script or style")
	}

	t.Run("MistakeKeepsTheLink", func(t *testing.T) {
		p := b.Submit(t, path, url.Values{"program_name": {"Acme Rockets"}, "email": {"ada@acme.example"}, "password": {"short"}}).
			Must(t, http.StatusBadRequest)
		if !strings.Contains(p.Body, "at least 10 characters") || !strings.Contains(p.Body, `value="Acme Rockets"`) || strings.Contains(p.Body, `value="short"`) {
			t.Errorf("the form is not re-shown with the message and what was typed (but the password):\n%s", p.Body)
		}
		if n := e.TableCounts(t)["vendors"]; n != 0 {
			t.Errorf("%d vendors after a refused form", n)
		}
	})

	p := b.Submit(t, path, url.Values{
		"program_name": {"Acme Rockets"}, "domain": {"Acme.Example"}, "email": {"Ada@Acme.example"}, "password": {goodPassword},
	}).Must(t, http.StatusSeeOther)
	if p.Location() != "/dashboard" {
		t.Fatalf("redirect to %q", p.Location())
	}
	var session *http.Cookie
	for _, c := range p.Cookies() {
		if c.Name == "tally_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.MaxAge != 14*24*3600 {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, not Secure on http, 14 days", session)
	}
	dash := b.Get(t, "/dashboard").Must(t, http.StatusOK)
	if !strings.Contains(dash.Body, "Acme Rockets") || !strings.Contains(dash.Body, "ada@acme.example") || !strings.Contains(dash.Body, ">Sign out</button>") {
		t.Errorf("the dashboard does not show the program and its admin:\n%s", dash.Body)
	}

	t.Run("SingleUse", func(t *testing.T) {
		other := e.NewBrowser(t)
		other.Get(t, path).Must(t, http.StatusNotFound)
		form := e.NewBrowser(t)
		form.Get(t, "/login").Must(t, http.StatusOK)
		form.Post(t, path, url.Values{"csrf_token": {form.Cookie("tally_csrf")}, "program_name": {"Again"},
			"email": {"eve@evil.example"}, "password": {goodPassword}}).Must(t, http.StatusNotFound)
		if n := e.TableCounts(t)["vendors"]; n != 1 {
			t.Errorf("%d vendors, want 1", n)
		}
	})
	t.Run("OtherLinksDie", func(t *testing.T) {
		p := e.NewBrowser(t).Get(t, strings.TrimPrefix(second, e.URL())).Must(t, http.StatusNotFound)
		if !strings.Contains(p.Body, "set up already") {
			t.Errorf("an earlier start's link after the first run:\n%s", p.Body)
		}
	})
	t.Run("NoLinkOnceAVendorExists", func(t *testing.T) {
		if link, err := e.App.FirstRunURL(t.Context()); link != "" || err != nil {
			t.Errorf("FirstRunURL = %q, %v; want none", link, err)
		}
	})
	t.Run("StoredHashed", func(t *testing.T) {
		token := strings.TrimPrefix(path, "/setup/")
		var n int
		for _, q := range []string{"SELECT COUNT(*) FROM account_links WHERE token_hash = ?", "SELECT COUNT(*) FROM sessions WHERE token_hash = ?"} {
			for _, secret := range []string{token, b.Cookie("tally_session")} {
				if err := e.App.Store.DB().NewRaw(q, secret).Scan(t.Context(), &n); err != nil || n != 0 {
					t.Errorf("%s with the clear token: %d, %v", q, n, err)
				}
			}
		}
	})
}

func TestSignInAndOut(t *testing.T) {
	e := testenv.New(t)
	firstRun(t, e, e.NewBrowser(t), "ada@acme.example")
	b := e.NewBrowser(t)

	t.Run("NoSessionGoesToLogin", func(t *testing.T) {
		for _, path := range []string{"/dashboard", "/dashboard/anything"} {
			if p := b.Get(t, path).Must(t, http.StatusSeeOther); p.Location() != "/login" {
				t.Errorf("%s redirects to %q", path, p.Location())
			}
		}
	})
	login := b.Get(t, "/login").Must(t, http.StatusOK)
	for _, s := range []string{`<label for="email">Email</label>`, `<label for="password">Password</label>`, `<button type="submit">Sign in</button>`} {
		if !strings.Contains(login.Body, s) {
			t.Errorf("the sign-in form lacks %s", s)
		}
	}
	t.Run("WrongCredentialsOneMessage", func(t *testing.T) {
		wrong := signIn(t, b, "ada@acme.example", "not the password").Must(t, http.StatusUnauthorized)
		unknown := signIn(t, b, "nobody@acme.example", goodPassword).Must(t, http.StatusUnauthorized)
		const msg = "The email or password is not right."
		if !strings.Contains(wrong.Body, msg) || !strings.Contains(unknown.Body, msg) {
			t.Errorf("not the one generic message:\n%s\n%s", wrong.Body, unknown.Body)
		}
		if b.Cookie("tally_session") != "" {
			t.Error("a failed sign-in set a session")
		}
	})
	p := signIn(t, b, " ADA@acme.example ", goodPassword).Must(t, http.StatusSeeOther)
	if p.Location() != "/dashboard" {
		t.Fatalf("sign in redirects to %q", p.Location())
	}
	dash := b.Get(t, "/dashboard").Must(t, http.StatusOK)
	if b.Get(t, "/login").Must(t, http.StatusSeeOther).Location() != "/dashboard" {
		t.Error("the sign-in page does not send a signed-in browser on")
	}
	old := b.Cookie("tally_session")

	out := b.Post(t, "/logout", url.Values{"csrf_token": {dash.CSRF(t)}}).Must(t, http.StatusSeeOther)
	if out.Location() != "/login" || b.Cookie("tally_session") != "" {
		t.Fatalf("sign out: to %q, cookie %q", out.Location(), b.Cookie("tally_session"))
	}
	b.Get(t, "/dashboard").Must(t, http.StatusSeeOther)
	// The old cookie, replayed, no longer opens anything: the session is gone.
	replay := e.NewBrowser(t)
	replay.Get(t, "/dashboard", "Cookie", "tally_session="+old).Must(t, http.StatusSeeOther)
}

func TestSignInThrottled(t *testing.T) {
	// Requests name their address in X-Forwarded-For, trusted from the
	// test's loopback proxy, so the account and the IP count apart.
	e := testenv.New(t, func(c *app.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} })
	firstRun(t, e, e.NewBrowser(t), "ada@acme.example")
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	attempt := func(t *testing.T, ip, email, password string) *testenv.Page {
		t.Helper()
		b := e.NewBrowser(t)
		page := b.Get(t, "/login", from(ip)...).Must(t, http.StatusOK)
		return b.Post(t, "/login", url.Values{"csrf_token": {page.CSRF(t)}, "email": {email}, "password": {password}}, from(ip)...)
	}

	t.Run("FourFailuresDoNotThrottle", func(t *testing.T) {
		for i := range 4 {
			attempt(t, fmt.Sprintf("198.51.100.%d", i+1), "ada@acme.example", "wrong password").Must(t, http.StatusUnauthorized)
		}
		attempt(t, "198.51.100.99", "ada@acme.example", goodPassword).Must(t, http.StatusSeeOther)
	})
	t.Run("PerAccount", func(t *testing.T) {
		for i := range 5 { // each from its own address: only the account counts
			attempt(t, fmt.Sprintf("203.0.113.%d", i+1), "ada@acme.example", "wrong password").Must(t, http.StatusUnauthorized)
		}
		p := attempt(t, "203.0.113.99", "ada@acme.example", goodPassword).Must(t, http.StatusTooManyRequests)
		if !strings.Contains(p.Body, "Too many failed sign-ins") {
			t.Fatalf("throttled sign-in:\n%s", p.Body)
		}
		for _, c := range p.Cookies() {
			if c.Name == "tally_session" {
				t.Fatal("a throttled sign-in started a session")
			}
		}
		e.Clock.Advance(15*time.Minute + time.Second)
		attempt(t, "203.0.113.99", "ada@acme.example", goodPassword).Must(t, http.StatusSeeOther)
	})
	t.Run("PerIP", func(t *testing.T) {
		for i := range 5 { // five accounts guessed from one address
			attempt(t, "192.0.2.66", fmt.Sprintf("guess%d@acme.example", i), "wrong password").Must(t, http.StatusUnauthorized)
		}
		attempt(t, "192.0.2.66", "ada@acme.example", goodPassword).Must(t, http.StatusTooManyRequests)
		attempt(t, "192.0.2.67", "ada@acme.example", goodPassword).Must(t, http.StatusSeeOther)
	})
}
