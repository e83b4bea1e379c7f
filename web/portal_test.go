package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// portalProgram is a vendor with a domain, a partner and its link.
type portalProgram struct {
	v testenv.Vendor
	p testenv.Partner
	l testenv.Link
}

func newPortalProgram(t *testing.T, e *testenv.Env, name, domain, partnerEmail string) portalProgram {
	t.Helper()
	v := e.NewVendor(t, name)
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"domain": domain}))
	p := e.NewPartner(t, v, "Ada", partnerEmail)
	l := e.NewLink(t, v, p, "https://"+domain+"/pricing")
	return portalProgram{v: v, p: p, l: l}
}

var signInLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/partner/sign-in/[A-Za-z0-9_-]+`)

// portalSignIn signs b in as the partner with email, with mail off: the
// sign-in page shows the link an email would carry.
func portalSignIn(t *testing.T, e *testenv.Env, b *testenv.Browser, email string) {
	t.Helper()
	page := b.Submit(t, "/partner/login", url.Values{"email": {email}}).Must(t, http.StatusOK)
	link := signInLinkRE.FindString(html.UnescapeString(page.Body))
	if link == "" {
		t.Fatalf("no sign-in link on the page:\n%s", page.Body)
	}
	if got := b.Submit(t, strings.TrimPrefix(link, e.URL()), nil).Must(t, http.StatusSeeOther).Location(); got != "/partner" {
		t.Fatalf("sign-in sends to %q, want /partner", got)
	}
}

// TestPortal_SignInByEmail: a real email carries the link; opening it
// spends nothing, pressing "Sign in" does, once; an expired link is
// refused; the answer does not tell whether the email is known.
func TestPortal_SignInByEmail(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	pp := newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")

	b := e.NewBrowser(t)
	known := b.Submit(t, "/partner/login", url.Values{"email": {"Ada@Partners.example"}}).Must(t, http.StatusOK)
	unknown := e.NewBrowser(t).Submit(t, "/partner/login", url.Values{"email": {"nobody@partners.example"}}).Must(t, http.StatusOK)
	clean := func(s string) string {
		s = regexp.MustCompile(`name="csrf_token" value="[^"]*"`).ReplaceAllString(s, "")
		return regexp.MustCompile(`<strong>[^<]*</strong>`).ReplaceAllString(s, "")
	}
	if clean(known.Body) != clean(unknown.Body) || strings.Contains(known.Body, "/partner/sign-in/") {
		t.Fatalf("the answers differ for a known and an unknown email, or show the link with mail on:\n%s\n---\n%s", known.Body, unknown.Body)
	}
	msgs := sink.Wait(t, 1)
	time.Sleep(200 * time.Millisecond)
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d emails, want 1 (none for the unknown email)", n)
	}
	m := msgs[0]
	link := signInLinkRE.FindString(m.Text)
	if !strings.Contains(m.To, "ada@partners.example") || m.From.Name != "Acme" || link == "" || m.ListUnsubscribe != "" {
		t.Fatalf("email to %q from %q, unsubscribe %q:\n%s", m.To, m.From.Name, m.ListUnsubscribe, m.Text)
	}
	path := strings.TrimPrefix(link, e.URL())

	// A mail scanner's prefetch (another client, no cookies) spends nothing.
	for range 2 {
		e.Must(t, http.StatusOK, e.Do(t, "GET", path, "", nil))
	}
	b.Submit(t, path, nil).Must(t, http.StatusSeeOther)
	if b.Cookie("tally_partner_session") == "" || b.Cookie("tally_session") != "" {
		t.Fatal("signing in sets tally_partner_session only")
	}
	home := b.Get(t, "/partner").Must(t, http.StatusOK)
	if !strings.Contains(home.Body, pp.l.URL) || !strings.Contains(home.Body, "Clicks") {
		t.Fatalf("home lacks the link %s:\n%s", pp.l.URL, home.Body)
	}

	t.Run("ReusedLinkRefused", func(t *testing.T) {
		b2 := e.NewBrowser(t)
		b2.Get(t, path).Must(t, http.StatusNotFound)
		b2.Post(t, path, url.Values{"csrf_token": {b2.Get(t, "/partner/login").CSRF(t)}}).Must(t, http.StatusNotFound)
		if b2.Cookie("tally_partner_session") != "" {
			t.Fatal("a used link signed in")
		}
	})
	t.Run("ExpiredLinkRefused", func(t *testing.T) {
		b3 := e.NewBrowser(t)
		b3.Submit(t, "/partner/login", url.Values{"email": {"ada@partners.example"}}).Must(t, http.StatusOK)
		second := signInLinkRE.FindString(sink.Wait(t, 2)[1].Text)
		p2 := strings.TrimPrefix(second, e.URL())
		csrf := b3.Get(t, p2).Must(t, http.StatusOK).CSRF(t)
		e.Clock.Advance(15*time.Minute + time.Second)
		b3.Get(t, p2).Must(t, http.StatusNotFound)
		b3.Post(t, p2, url.Values{"csrf_token": {csrf}}).Must(t, http.StatusNotFound)
	})
	t.Run("SessionNeverOpensTheAPIOrDashboard", func(t *testing.T) {
		if r := b.Get(t, "/v1/partner/me"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET /v1/partner/me with the portal cookie: %d", r.StatusCode)
		}
		if r := b.Get(t, "/dashboard"); r.StatusCode != http.StatusSeeOther || r.Location() != "/login" {
			t.Fatalf("GET /dashboard with the portal cookie: %d %s", r.StatusCode, r.Location())
		}
	})
	t.Run("SignOut", func(t *testing.T) {
		page := b.Get(t, "/partner").Must(t, http.StatusOK)
		b.Post(t, "/partner/logout", url.Values{"csrf_token": {page.CSRF(t)}}).Must(t, http.StatusSeeOther)
		if got := b.Get(t, "/partner").Must(t, http.StatusSeeOther).Location(); got != "/partner/login" {
			t.Fatalf("after sign-out /partner sends to %q", got)
		}
	})
}

// TestPortal_SignInThrottled: five requests per email in 15 minutes, then
// 429 whether or not the email is known, and nothing sent.
func TestPortal_SignInThrottled(t *testing.T) {
	e := testenv.New(t)
	newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")
	for _, email := range []string{"ada@partners.example", "nobody@partners.example"} {
		b := e.NewBrowser(t)
		for range 5 {
			b.Submit(t, "/partner/login", url.Values{"email": {email}}).Must(t, http.StatusOK)
		}
		page := b.Submit(t, "/partner/login", url.Values{"email": {email}}).Must(t, http.StatusTooManyRequests)
		if strings.Contains(page.Body, "/partner/sign-in/") || !strings.Contains(page.Body, "Wait 15 minutes") {
			t.Fatalf("throttled page:\n%s", page.Body)
		}
	}
	e.Clock.Advance(15*time.Minute + time.Second)
	portalSignIn(t, e, e.NewBrowser(t), "ada@partners.example")
}

// TestPortal_SeveralPrograms: an email that is a partner of two vendors
// gets one link per program, each naming it and opening that program.
func TestPortal_SeveralPrograms(t *testing.T) {
	e := testenv.New(t)
	a := newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")
	z := newPortalProgram(t, e, "Zenith", "zenith.example", "ada@partners.example")
	b := e.NewBrowser(t)
	page := b.Submit(t, "/partner/login", url.Values{"email": {"ada@partners.example"}}).Must(t, http.StatusOK)
	links := slices.Compact(signInLinkRE.FindAllString(page.Body, -1))
	if len(links) != 2 || !strings.Contains(page.Body, "Acme:") || !strings.Contains(page.Body, "Zenith:") {
		t.Fatalf("links = %v:\n%s", links, page.Body)
	}
	for _, link := range links {
		b := e.NewBrowser(t)
		b.Submit(t, strings.TrimPrefix(link, e.URL()), nil).Must(t, http.StatusSeeOther)
		home := b.Get(t, "/partner").Must(t, http.StatusOK).Body
		if strings.Contains(home, a.l.URL) == strings.Contains(home, z.l.URL) {
			t.Fatalf("a program's home shows both programs' links or neither:\n%s", home)
		}
	}
}

// TestPortal_Pages: every page of a signed-in partner, and its forms.
func TestPortal_Pages(t *testing.T) {
	e := testenv.New(t)
	pp := newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")
	b := e.NewBrowser(t)
	portalSignIn(t, e, b, "ada@partners.example")
	for _, path := range []string{"/partner", "/partner/links", "/partner/customers", "/partner/rewards", "/partner/payouts", "/partner/notifications"} {
		page := b.Get(t, path).Must(t, http.StatusOK)
		if !strings.Contains(page.Body, `aria-label="Partner portal"`) || strings.Contains(page.Body, `aria-label="Dashboard"`) {
			t.Fatalf("%s lacks the portal's navigation", path)
		}
	}

	t.Run("CreateLinkWithVariant", func(t *testing.T) {
		page := b.Submit(t, "/partner/links", url.Values{"destination_url": {"https://www.acme.example/blog"},
			"key": {"ada-blog"}, "utm_source": {"blog"}, "variant": {"sidebar"}}).Must(t, http.StatusSeeOther)
		list := b.Get(t, page.Location()).Must(t, http.StatusOK)
		if !strings.Contains(list.Body, "/r/ada-blog?v=sidebar") {
			t.Fatalf("the new link with its variant is not shown:\n%s", list.Body)
		}
		var links struct{ Data []map[string]any }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/links", pp.p.Token, nil)).JSON(t, &links)
		if len(links.Data) != 3 { // the first link, the fixture's and the new one
			t.Fatalf("links = %v", links.Data)
		}
	})
	t.Run("RefusedLinksChangeNothing", func(t *testing.T) {
		for _, f := range []url.Values{
			{"destination_url": {"https://evil.example/"}},
			{"destination_url": {"https://acme.example/"}, "variant": {"no spaces"}},
			{"destination_url": {"https://acme.example/"}, "key": {pp.l.Key}},
		} {
			page := b.Submit(t, "/partner/links", f)
			if page.StatusCode/100 != 4 || !strings.Contains(page.Body, `role="alert"`) {
				t.Fatalf("%v: %d:\n%s", f, page.StatusCode, page.Body)
			}
		}
		var links struct{ Data []map[string]any }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/links", pp.p.Token, nil)).JSON(t, &links)
		if len(links.Data) != 3 {
			t.Fatalf("links = %v", links.Data)
		}
	})
	t.Run("QRCodes", func(t *testing.T) {
		svg := b.Get(t, "/partner/links/"+pp.l.ID+"/qr.svg").Must(t, http.StatusOK)
		png := b.Get(t, "/partner/links/"+pp.l.ID+"/qr.png").Must(t, http.StatusOK)
		if !strings.HasPrefix(svg.Header.Get("Content-Type"), "image/svg+xml") || !strings.HasPrefix(png.Body, "\x89PNG") {
			t.Fatalf("QR answers: %s / %s", svg.Header.Get("Content-Type"), png.Header.Get("Content-Type"))
		}
	})
	post := func(t *testing.T, page, action string, form url.Values) *testenv.Page {
		t.Helper()
		form.Set("csrf_token", b.Get(t, page).Must(t, http.StatusOK).CSRF(t))
		return b.Post(t, action, form)
	}
	me := func(t *testing.T) map[string]any {
		t.Helper()
		return e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/me", pp.p.Token, nil)).Map(t)
	}
	t.Run("PayoutMethod", func(t *testing.T) {
		post(t, "/partner/payouts", "/partner/payouts/method", url.Values{"type": {"wise"}, "name": {"Ada Lovelace"},
			"iban": {"DE89 3704 0044 0532 0130 00"}, "currency": {"EUR"}}).Must(t, http.StatusSeeOther)
		m, _ := me(t)["payout_method"].(map[string]any)
		if m["type"] != "wise" || m["iban"] != "DE89370400440532013000" || m["currency"] != "eur" {
			t.Fatalf("payout_method = %v", m)
		}
		page := post(t, "/partner/payouts", "/partner/payouts/method", url.Values{"type": {"wise"}, "name": {"Ada"},
			"iban": {"DE00 3704 0044 0532 0130 01"}, "currency": {"eur"}}).Must(t, http.StatusBadRequest)
		if !strings.Contains(page.Body, "IBAN") || !strings.Contains(page.Body, `value="DE00 3704 0044 0532 0130 01"`) {
			t.Fatalf("refused IBAN page:\n%s", page.Body)
		}
		post(t, "/partner/payouts", "/partner/payouts/method", url.Values{"type": {"paypal"}, "paypal_email": {"ada@paypal.example"}}).
			Must(t, http.StatusSeeOther)
		if m, _ := me(t)["payout_method"].(map[string]any); m["type"] != "paypal" || m["email"] != "ada@paypal.example" {
			t.Fatalf("payout_method = %v", m)
		}
	})
	t.Run("Notifications", func(t *testing.T) {
		post(t, "/partner/notifications", "/partner/notifications", url.Values{"payout_sent": {"on"}}).Must(t, http.StatusSeeOther)
		n, _ := me(t)["notifications"].(map[string]any)
		if n["new_reward"] != false || n["payout_sent"] != true {
			t.Fatalf("notifications = %v", n)
		}
		page := b.Get(t, "/partner/notifications").Must(t, http.StatusOK)
		if !strings.Contains(page.Body, `name="payout_sent" checked`) || strings.Contains(page.Body, `name="new_reward" checked`) {
			t.Fatalf("notifications page:\n%s", page.Body)
		}
	})
	t.Run("CSRFRequired", func(t *testing.T) {
		b.Post(t, "/partner/notifications", url.Values{"new_reward": {"on"}}).Must(t, http.StatusForbidden)
		b.Post(t, "/partner/login", url.Values{"email": {"ada@partners.example"}}).Must(t, http.StatusForbidden)
	})
}
