package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/api"
	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

const (
	firefoxUA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	day       = 24 * time.Hour
)

// diagFixture is a vendor with a 30-day window, two partners and a link each.
type diagFixture struct {
	*testenv.Env
	t      *testing.T
	v      testenv.Vendor
	p1, p2 testenv.Partner
	l1, l2 testenv.Link
}

func newDiagFixture(t *testing.T) *diagFixture {
	t.Helper()
	e := testenv.New(t)
	f := &diagFixture{Env: e, t: t, v: e.NewVendor(t, "Acme")}
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", f.v.SecretKey, map[string]any{"attribution_window_days": 30}))
	f.p1 = e.NewPartner(t, f.v, "Ada", "ada@partners.example")
	f.p2 = e.NewPartner(t, f.v, "Bob", "bob@partners.example")
	f.l1 = e.NewLink(t, f.v, f.p1, "https://shop.example/")
	f.l2 = e.NewLink(t, f.v, f.p2, "https://shop.example/pricing")
	return f
}

// ping reports a page load of the vendor's site and writes it.
func (f *diagFixture) ping(t *testing.T, key, page string) {
	t.Helper()
	f.Must(t, http.StatusNoContent, f.Do(t, "POST", "/v1/snippet/ping", "", map[string]any{
		"public_key": key, "url": page, "ref_in_url": false, "cookie_ok": true,
	}))
	if err := f.App.Pings.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// click follows a link with a user agent and returns the token.
func (f *diagFixture) click(t *testing.T, l testenv.Link, ua string) string {
	t.Helper()
	r := f.Click(t, l.Key, "User-Agent", ua)
	if r.StatusCode != http.StatusFound {
		t.Fatalf("click: %d", r.StatusCode)
	}
	return refOf(t, r)
}

// snippetSignup reports a signup from the browser (visitor facts recorded).
func (f *diagFixture) snippetSignup(t *testing.T, email, ref, ua string) map[string]any {
	t.Helper()
	f.Clock.Advance(time.Millisecond)
	body := map[string]any{"public_key": f.v.PublicKey, "email": email}
	if ref != "" {
		body["ref"] = ref
	}
	r := f.Do(t, "POST", "/v1/snippet/signup", "", body, "User-Agent", ua)
	if r.StatusCode != http.StatusCreated && r.StatusCode != http.StatusOK {
		t.Fatalf("snippet signup: %d %s", r.StatusCode, r.Body)
	}
	return r.Map(t)
}

// apiSignup reports a signup from the vendor's backend.
func (f *diagFixture) apiSignup(t *testing.T, email, ref string) map[string]any {
	t.Helper()
	f.Clock.Advance(time.Millisecond)
	body := map[string]any{"email": email}
	if ref != "" {
		body["ref"] = ref
	}
	r := f.Do(t, "POST", "/v1/signups", f.v.SecretKey, body)
	if r.StatusCode != http.StatusCreated && r.StatusCode != http.StatusOK {
		t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
	}
	return r.Map(t)
}

// diagnosisAnswer is the decoded GET /v1/diagnose.
type diagnosisAnswer = api.DiagnosisAnswer

func (f *diagFixture) diagnose(t *testing.T, query string) diagnosisAnswer {
	t.Helper()
	var d diagnosisAnswer
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/diagnose?"+query, f.v.SecretKey, nil)).JSON(t, &d)
	if d.Diagnosis == nil {
		t.Fatalf("empty diagnosis")
	}
	for _, text := range []string{d.Verdict.Summary, d.Verdict.Detail, d.Verdict.Remedy.Text} {
		if strings.Contains(text, "/v1/") {
			t.Fatalf("the verdict's words render an API path: %q", text)
		}
	}
	return d
}

func (f *diagFixture) expect(t *testing.T, d diagnosisAnswer, cause string) {
	t.Helper()
	if d.Verdict.Cause != cause {
		t.Fatalf("cause = %s, want %s: %s / %s", d.Verdict.Cause, cause, d.Verdict.Summary, d.Verdict.Detail)
	}
	if d.Verdict.Summary == "" || d.Verdict.Remedy.Text == "" {
		t.Fatalf("verdict without words: %+v", d.Verdict)
	}
}

// expectCredit checks the remedy is the manual credit of partner for the
// customer ("" when the vendor must name the partner).
func (f *diagFixture) expectCredit(t *testing.T, d diagnosisAnswer, partnerID string) {
	t.Helper()
	r := d.Verdict.Remedy.Request
	if r == nil || r.Method != "POST" || r.Path != "/v1/customers/"+d.Customer.ID+"/attribution" || r.Body["partner_id"] != partnerID || r.Body["reason"] == "" {
		t.Fatalf("remedy = %+v, want credit of %q", d.Verdict.Remedy, partnerID)
	}
}

// follow performs every step of a remedy that is a request to the API, as
// rendered, filling only the parameters the step says the vendor chooses,
// and fails unless each answers 2xx.
func (f *diagFixture) follow(t *testing.T, rem api.RemedyAnswer, fill map[string]string) {
	t.Helper()
	n := 0
	for _, st := range rem.Steps {
		if st.Request == nil {
			continue
		}
		n++
		r := st.Request
		path := r.Path
		var body map[string]any
		if r.Body != nil {
			body = map[string]any{}
			for k, v := range r.Body {
				body[k] = v
			}
		}
		for _, name := range st.Fill {
			v, ok := fill[name]
			if !ok {
				t.Fatalf("step %s needs %s", st.Action, name)
			}
			path = strings.ReplaceAll(path, "{"+name+"}", v)
			if _, ok := body[name]; ok {
				body[name] = v
			}
		}
		if strings.Contains(path, "{") {
			t.Fatalf("step %s: unfilled path %s", st.Action, path)
		}
		var b any
		if body != nil {
			b = body
		}
		resp := f.Do(t, r.Method, path, f.v.SecretKey, b)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("step %s: %s %s: %d %s", st.Action, r.Method, path, resp.StatusCode, resp.Body)
		}
	}
	if n == 0 {
		t.Fatalf("remedy %+v has no request to follow", rem)
	}
}

// expectRepaired diagnoses the customer again: credited to partnerID.
func (f *diagFixture) expectRepaired(t *testing.T, customerID, partnerID string) diagnosisAnswer {
	t.Helper()
	d := f.diagnose(t, "customer_id="+customerID)
	f.expect(t, d, attribution.CauseAttributed)
	if d.Customer.PartnerID != partnerID || d.Timeline[len(d.Timeline)-1].Type != attribution.EventOverride {
		t.Fatalf("after the remedy: %+v", d.Diagnosis)
	}
	return d
}

// finding returns the finding with cause, failing when absent.
func (f *diagFixture) finding(t *testing.T, d diagnosisAnswer, cause string) api.FindingAnswer {
	t.Helper()
	for _, fd := range d.Findings {
		if fd.Cause == cause {
			return fd
		}
	}
	t.Fatalf("no %s finding in %+v", cause, d.Findings)
	return api.FindingAnswer{}
}

func TestDiagnose_Attributed(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	ref := f.click(t, f.l1, testenv.BrowserUA)
	f.Clock.Advance(time.Hour)
	f.snippetSignup(t, "c@example.com", ref, testenv.BrowserUA)
	d := f.diagnose(t, "email=C@example.com")
	f.expect(t, d, attribution.CauseAttributed)
	if d.Customer == nil || d.Customer.PartnerID != f.p1.ID || d.Verdict.Winner == nil || d.Verdict.Winner.PartnerID != f.p1.ID {
		t.Fatalf("diagnosis = %+v", d)
	}
	types := []string{}
	for _, ev := range d.Timeline {
		types = append(types, ev.Type+"/"+ev.Via)
	}
	if got := strings.Join(types, ","); got != "click/token,signup/" {
		t.Fatalf("timeline = %s", got)
	}
}

func TestDiagnose_NoClick(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	f.click(t, f.l1, testenv.BrowserUA) // someone else's click, not tied to the customer
	f.apiSignup(t, "c@example.com", "")
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseNoClick)
	f.expectCredit(t, d, "")
	if len(d.Timeline) != 1 || d.Timeline[0].Type != attribution.EventSignup || d.Timeline[0].Reason != attribution.ReasonNoToken {
		t.Fatalf("timeline = %+v", d.Timeline)
	}
	// The vendor names the partner; the rendered request then repairs the gap.
	f.follow(t, d.Verdict.Remedy, map[string]string{"partner_id": f.p2.ID})
	f.expectRepaired(t, d.Customer.ID, f.p2.ID)
}

// A backend signup with no click at all is no_click, whatever the snippet
// saw on other pages: those are findings, never the customer's verdict.
func TestDiagnose_NoClickDespiteSnippetFindings(t *testing.T) {
	t.Run("WrongKeyPages", func(t *testing.T) {
		f := newDiagFixture(t)
		f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/vendor", f.v.SecretKey, map[string]any{"domain": "shop.example"}))
		f.ping(t, f.v.PublicKey, "https://shop.example/")
		f.ping(t, "pk_wrongwrongwrong", "https://www.shop.example/landing")
		f.ping(t, "pk_wrongwrongwrong", "https://unrelated.example/") // not this vendor's site
		f.apiSignup(t, "c@example.com", "")
		d := f.diagnose(t, "email=c@example.com")
		f.expect(t, d, attribution.CauseNoClick)
		fd := f.finding(t, d, attribution.CauseSnippetMisconfigured)
		if !strings.Contains(fd.Detail, "https://www.shop.example") || strings.Contains(fd.Detail, "unrelated") ||
			strings.Contains(fd.Detail+fd.Remedy.Text, "leaked") {
			t.Fatalf("finding = %+v", fd)
		}
	})
	t.Run("SnippetNeverSeen", func(t *testing.T) {
		f := newDiagFixture(t)
		f.click(t, f.l1, testenv.BrowserUA)
		f.apiSignup(t, "c@example.com", "")
		d := f.diagnose(t, "email=c@example.com")
		f.expect(t, d, attribution.CauseNoClick)
		fd := f.finding(t, d, attribution.CauseSnippetNotSeen)
		if !strings.Contains(fd.Remedy.Text, f.v.PublicKey) {
			t.Fatalf("remedy does not name the public key: %s", fd.Remedy.Text)
		}
		// Following it: the embed code names this deployment's snippet and
		// the key; a page with it pings, and the health check sees it.
		html := fd.Remedy.Steps[0].HTML
		if fd.Remedy.Steps[0].Action != attribution.ActionInstallSnippet || !strings.Contains(html, f.URL()+"/snippet.js") ||
			!strings.Contains(html, `data-key="`+f.v.PublicKey+`"`) {
			t.Fatalf("install step = %+v", fd.Remedy.Steps[0])
		}
		f.Must(t, http.StatusOK, f.Do(t, "GET", "/snippet.js", "", nil))
		f.ping(t, f.v.PublicKey, "https://shop.example/")
		check := fd.Remedy.Steps[1].Request
		var h snippetHealthAnswer
		f.Must(t, http.StatusOK, f.Do(t, check.Method, check.Path, f.v.SecretKey, nil)).JSON(t, &h)
		h.wantCheck(t, "snippet_seen", "ok")
		d = f.diagnose(t, "email=c@example.com")
		for _, fd := range d.Findings {
			if fd.Cause == attribution.CauseSnippetNotSeen {
				t.Fatalf("still not seen: %+v", d.Findings)
			}
		}
	})
}

func TestDiagnose_ClickOutsideWindow(t *testing.T) {
	t.Run("ExpiredToken", func(t *testing.T) {
		f := newDiagFixture(t)
		f.ping(t, f.v.PublicKey, "https://shop.example/")
		clicked := f.Clock.Now()
		ref := f.click(t, f.l1, testenv.BrowserUA)
		f.Clock.Advance(31 * day)
		f.snippetSignup(t, "c@example.com", ref, testenv.BrowserUA)
		d := f.diagnose(t, "email=c@example.com")
		f.expect(t, d, attribution.CauseClickOutsideWindow)
		k := d.Verdict.Click
		if k == nil || k.PartnerID != f.p1.ID || !k.ClickedAt.Equal(clicked) || d.Verdict.ConversionAt == nil ||
			d.Verdict.ConversionAt.Sub(clicked) < 31*day || d.Verdict.WindowDays != 30 {
			t.Fatalf("verdict = %+v", d.Verdict)
		}
		if !strings.Contains(d.Verdict.Summary, "2026-01-15") || !strings.Contains(d.Verdict.Summary, "2026-02-15") {
			t.Fatalf("summary lacks both dates: %s", d.Verdict.Summary)
		}
		f.expectCredit(t, d, f.p1.ID)
		f.follow(t, d.Verdict.Remedy, nil)
		f.expectRepaired(t, d.Customer.ID, f.p1.ID)
	})
	t.Run("ExpiredTokenFromTheBackend", func(t *testing.T) {
		// No visitor facts: the click is found through the signup's token,
		// and the verdict says truthfully that its row exists.
		f := newDiagFixture(t)
		f.ping(t, f.v.PublicKey, "https://shop.example/")
		ref := f.click(t, f.l2, testenv.BrowserUA)
		f.Clock.Advance(45 * day)
		f.apiSignup(t, "c@example.com", ref)
		d := f.diagnose(t, "email=c@example.com")
		f.expect(t, d, attribution.CauseClickOutsideWindow)
		if d.Verdict.Click == nil || d.Verdict.Click.PartnerID != f.p2.ID || d.Verdict.Click.Via != attribution.ViaToken {
			t.Fatalf("verdict = %+v", d.Verdict)
		}
		if strings.Contains(d.Verdict.Detail, "not in the records") || strings.Contains(d.Verdict.Detail, "no longer kept") {
			t.Fatalf("detail denies the click row: %s", d.Verdict.Detail)
		}
		var clicks int
		for _, ev := range d.Timeline {
			if ev.Type == attribution.EventClick && ev.ID == d.Verdict.Click.ClickID {
				clicks++
			}
		}
		if clicks != 1 {
			t.Fatalf("the click is not in the timeline: %+v", d.Timeline)
		}
		f.follow(t, d.Verdict.Remedy, nil)
		f.expectRepaired(t, d.Customer.ID, f.p2.ID)
	})
	t.Run("OldClickNoToken", func(t *testing.T) {
		f := newDiagFixture(t)
		f.ping(t, f.v.PublicKey, "https://shop.example/")
		f.click(t, f.l2, testenv.BrowserUA)
		f.Clock.Advance(40 * day)
		f.snippetSignup(t, "c@example.com", "", testenv.BrowserUA)
		d := f.diagnose(t, "email=c@example.com")
		f.expect(t, d, attribution.CauseClickOutsideWindow)
		if d.Verdict.Click == nil || d.Verdict.Click.PartnerID != f.p2.ID {
			t.Fatalf("verdict = %+v", d.Verdict)
		}
	})
}

func TestDiagnose_LaterClickWon(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	first := f.Clock.Now()
	ref1 := f.click(t, f.l1, testenv.BrowserUA)
	f.Clock.Advance(time.Hour)
	f.snippetSignup(t, "c@example.com", ref1, testenv.BrowserUA)
	f.Clock.Advance(2 * day)
	second := f.Clock.Now()
	ref2 := f.click(t, f.l2, testenv.BrowserUA)
	f.Clock.Advance(time.Hour)
	// Re-attribution of an existing customer takes an authenticated channel.
	f.apiSignup(t, "c@example.com", ref2)

	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseLaterClickWon)
	v := d.Verdict
	if v.Click == nil || v.Click.PartnerID != f.p1.ID || v.Click.PartnerName != "Ada" || !v.Click.ClickedAt.Equal(first) ||
		v.Winner == nil || v.Winner.PartnerID != f.p2.ID || v.Winner.PartnerName != "Bob" || !v.Winner.ClickedAt.Equal(second) {
		t.Fatalf("verdict = %+v / click %+v / winner %+v", v, v.Click, v.Winner)
	}
	f.expectCredit(t, d, f.p1.ID)
	if d.Verdict.Remedy.Request.Body["move_rewards"] != true {
		t.Fatalf("remedy = %+v", d.Verdict.Remedy.Request)
	}
	outcomes := []string{}
	for _, ev := range d.Timeline {
		if ev.Type == attribution.EventSignup {
			outcomes = append(outcomes, ev.Outcome)
		}
	}
	if strings.Join(outcomes, ",") != "attributed,reattributed" {
		t.Fatalf("signups = %v", outcomes)
	}
	f.follow(t, d.Verdict.Remedy, nil)
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)
}

// Every token a signup carried is kept and shown with its reason.
func TestDiagnose_EveryTokenOfASignup(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	older := f.click(t, f.l1, testenv.BrowserUA)
	f.Clock.Advance(time.Hour)
	newer := f.click(t, f.l2, testenv.BrowserUA)
	f.Clock.Advance(time.Hour)
	// The backend passes the older token as ref; the newer one arrives in
	// the tally_ref cookie set on Tally's own subdomain.
	r := f.Do(t, "POST", "/v1/signups", f.v.SecretKey, map[string]any{"email": "c@example.com", "ref": older, "ip": "203.0.113.9", "user_agent": firefoxUA},
		"Cookie", attribution.RefParam+"="+newer)
	f.Must(t, http.StatusCreated, r)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseLaterClickWon)
	var sig *attribution.TimelineEvent
	for i := range d.Timeline {
		if d.Timeline[i].Type == attribution.EventSignup {
			sig = &d.Timeline[i]
		}
	}
	if sig == nil || len(sig.Tokens) != 2 {
		t.Fatalf("signup event = %+v", sig)
	}
	byPartner := map[string]string{}
	for _, tk := range sig.Tokens {
		if tk.ClickID == "" || tk.ClickedAt == nil {
			t.Fatalf("token without its click: %+v", tk)
		}
		byPartner[tk.PartnerID] = tk.Reason
	}
	if byPartner[f.p1.ID] != attribution.ReasonOlderClick || byPartner[f.p2.ID] != "" || !strings.Contains(sig.Detail, attribution.ReasonOlderClick) {
		t.Fatalf("tokens = %+v / %s", sig.Tokens, sig.Detail)
	}
	if sig.Browser != "Firefox" {
		t.Fatalf("the backend's user agent was not kept: %+v", sig)
	}
}

func TestDiagnose_NoTokenWithClicks(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	f.click(t, f.l1, testenv.BrowserUA)
	f.click(t, f.l2, firefoxUA) // another browser on the network: not this visitor
	f.Clock.Advance(2 * day)
	f.snippetSignup(t, "c@example.com", "", testenv.BrowserUA)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseNoTokenWithClicks)
	if d.Verdict.Click == nil || d.Verdict.Click.PartnerID != f.p1.ID {
		t.Fatalf("verdict = %+v", d.Verdict)
	}
	f.expectCredit(t, d, f.p1.ID)
	f.follow(t, d.Verdict.Remedy, nil)
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)
}

// A server-side signup with the visitor's ip and user agent names a click
// from the same network on another device.
func TestDiagnose_AnotherDevice(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.TrustedProxies = []string{"127.0.0.0/8", "::1/128"} })
	f := &diagFixture{Env: e, t: t, v: e.NewVendor(t, "Acme")}
	f.p1 = e.NewPartner(t, f.v, "Ada", "ada@partners.example")
	f.l1 = e.NewLink(t, f.v, f.p1, "https://shop.example/")
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	r := f.Click(t, f.l1.Key, "User-Agent", iPhoneUA, "X-Forwarded-For", "198.51.100.23")
	f.Must(t, http.StatusFound, r)
	f.Clock.Advance(3 * time.Hour)
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, map[string]any{
		"email": "c@example.com", "ip": "198.51.100.77", "user_agent": testenv.BrowserUA,
	}))
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseNoClick)
	fd := f.finding(t, d, attribution.CauseOtherDevice)
	if fd.Click == nil || fd.Click.PartnerID != f.p1.ID || !strings.Contains(fd.Detail, "Safari") || !strings.Contains(fd.Detail, "Chrome on Windows") {
		t.Fatalf("finding = %+v", fd)
	}
	f.follow(t, fd.Remedy, nil)
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)

	// The raw IP is stored nowhere: the signup keeps the truncated one.
	var ips []string
	if err := f.App.Store.DB().NewSelect().Table("signups").Column("ip_trunc").Scan(t.Context(), &ips); err != nil || len(ips) != 1 || ips[0] != "198.51.100.0" {
		t.Fatalf("signups.ip_trunc = %v, %v", ips, err)
	}
}

func TestServerSignup_VisitorValidation(t *testing.T) {
	f := newDiagFixture(t)
	before := f.TableCounts(t)
	for _, body := range []map[string]any{
		{"email": "c@example.com", "ip": "not-an-ip"},
		{"email": "c@example.com", "ip": "fe80::1%eth0"},
		{"email": "c@example.com", "ip": 42},
		{"email": "c@example.com", "user_agent": strings.Repeat("a", 1025)},
	} {
		mustError(t, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, body), http.StatusBadRequest, attribution.EINVALID)
	}
	if after := f.TableCounts(t); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("a refused signup wrote rows: %v -> %v", before, after)
	}
	// The snippet's signup does not take them: its visitor is the request's.
	mustError(t, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": f.v.PublicKey, "email": "c@example.com", "ip": "203.0.113.9"}),
		http.StatusBadRequest, attribution.EINVALID)
}

func TestDiagnose_SafariCookieCap(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	f.click(t, f.l2, iPhoneUA)
	f.Clock.Advance(8 * day)
	f.snippetSignup(t, "c@example.com", "", iPhoneUA)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseSafariCookieCap)
	f.expectCredit(t, d, f.p2.ID)
	if !strings.Contains(d.Verdict.Remedy.Text, "backend") {
		t.Fatalf("remedy = %s", d.Verdict.Remedy.Text)
	}
	f.follow(t, d.Verdict.Remedy, nil)
	f.expectRepaired(t, d.Customer.ID, f.p2.ID)
}

func TestDiagnose_OtherVendorToken(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	other := f.NewVendor(t, "Other")
	op := f.NewPartner(t, other, "Olga", "olga@partners.example")
	ol := f.NewLink(t, other, op, "https://other.example/")
	ref := f.click(t, ol, testenv.BrowserUA)
	f.apiSignup(t, "c@example.com", ref)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseOtherVendorToken)
	for _, ev := range d.Timeline {
		if ev.Type == attribution.EventClick {
			t.Fatalf("another vendor's click leaked into the timeline: %+v", ev)
		}
		for _, tk := range ev.Tokens {
			if tk.ClickID != "" || tk.PartnerID != "" || tk.Reason != attribution.ReasonOtherVendor {
				t.Fatalf("another vendor's token ids leaked: %+v", tk)
			}
		}
	}
	f.follow(t, d.Verdict.Remedy, map[string]string{"partner_id": f.p1.ID})
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)
}

func TestDiagnose_InvalidToken(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	ref := f.click(t, f.l1, testenv.BrowserUA)
	f.apiSignup(t, "c@example.com", ref[:len(ref)-4]+"AAAA")
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseInvalidToken)
	f.follow(t, d.Verdict.Remedy, map[string]string{"partner_id": f.p1.ID})
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)
}

func TestDiagnose_PartnerDisabled(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	ref := f.click(t, f.l1, testenv.BrowserUA)
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/partners/"+f.p1.ID, f.v.SecretKey, map[string]any{"status": "disabled"}))
	f.Clock.Advance(time.Hour)
	f.apiSignup(t, "c@example.com", ref) // the backend: the partner is named by the token alone
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CausePartnerDisabled)
	if d.Verdict.Click == nil || d.Verdict.Click.PartnerID != f.p1.ID {
		t.Fatalf("verdict = %+v", d.Verdict)
	}
	f.expectCredit(t, d, f.p1.ID)
	if st := d.Verdict.Remedy.Steps; len(st) != 2 || st[0].Action != attribution.ActionActivatePartner || st[0].Request.Method != "PATCH" {
		t.Fatalf("steps = %+v", st)
	}
	// Crediting a disabled partner is refused: the steps re-enable them first.
	mustError(t, f.Do(t, "POST", d.Verdict.Remedy.Request.Path, f.v.SecretKey, d.Verdict.Remedy.Request.Body), http.StatusBadRequest, attribution.EINVALID)
	f.follow(t, d.Verdict.Remedy, nil)
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)
}

func TestDiagnose_DirectVisit(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	f.click(t, f.l1, firefoxUA) // the vendor's links get clicks, not from this visitor
	f.Clock.Advance(day)
	f.snippetSignup(t, "c@example.com", "", testenv.BrowserUA)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseDirectVisit)
	st := d.Verdict.Remedy.Steps
	if !strings.Contains(d.Verdict.Remedy.Text, "promotion code") || len(st) != 2 || st[0].Request == nil ||
		st[0].Request.Path != "/v1/partners/{partner_id}/codes" {
		t.Fatalf("remedy = %+v", d.Verdict.Remedy)
	}
	f.follow(t, d.Verdict.Remedy, map[string]string{"partner_id": f.p1.ID, "code": "ADA10"})
	codes := f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partners/"+f.p1.ID+"/codes", f.v.SecretKey, nil))
	if !strings.Contains(string(codes.Body), "ADA10") {
		t.Fatalf("codes = %s", codes.Body)
	}
	f.expectRepaired(t, d.Customer.ID, f.p1.ID)
}

func TestDiagnose_PurchaseUnmatched(t *testing.T) {
	f := newDiagFixture(t)
	ctx := context.Background()
	v, err := f.App.Store.Vendors.FindVendor(ctx, f.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.App.Store.Payments.ApplyPaymentEvent(ctx, v, attribution.PaymentEvent{
		ID: "evt_1", Type: "checkout.session.completed",
		Purchase: &attribution.PaymentPurchase{Ref: "cs_1", Email: "buyer@example.com", StripeCustomerID: "cus_Stripe42",
			Amount: 4900, Currency: "usd", PurchasedAt: f.Clock.Now()},
	})
	if err != nil || out != attribution.OutcomePurchaseUnmatched {
		t.Fatalf("payment event: %s %v", out, err)
	}
	d := f.diagnose(t, "email="+url.QueryEscape("Buyer@example.com"))
	f.expect(t, d, attribution.CausePurchaseUnmatched)
	if d.Customer != nil || len(d.Timeline) != 1 || d.Timeline[0].Type != attribution.EventPurchase || *d.Timeline[0].Amount != 4900 {
		t.Fatalf("diagnosis = %+v", d.Diagnosis)
	}
	r := d.Verdict.Remedy.Request
	if r == nil || r.Path != "/v1/customers" || r.Body["email"] != "buyer@example.com" || r.Body["stripe_customer_id"] != "cus_Stripe42" {
		t.Fatalf("remedy = %+v", d.Verdict.Remedy)
	}
	// The remedy with a real partner gives the purchase to the new customer.
	f.follow(t, d.Verdict.Remedy, map[string]string{"partner_id": f.p1.ID})
	d = f.diagnose(t, "email=buyer@example.com")
	f.expect(t, d, attribution.CauseAttributed)
	if d.Customer.StripeCustomerID != "cus_Stripe42" {
		t.Fatalf("customer = %+v", d.Customer)
	}
	var purchases struct {
		Data []attribution.Purchase `json:"data"`
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/purchases", f.v.SecretKey, nil)).JSON(t, &purchases)
	if len(purchases.Data) != 1 || purchases.Data[0].CustomerID != d.Customer.ID || purchases.Data[0].PartnerID != f.p1.ID {
		t.Fatalf("purchases = %+v", purchases.Data)
	}
}

func TestCreateCustomer_StripeCustomerID(t *testing.T) {
	f := newDiagFixture(t)
	for _, id := range []string{"42", "cus_", "cus_a b", "cus_" + strings.Repeat("x", 260), "sk_live_x"} {
		mustError(t, f.Do(t, "POST", "/v1/customers", f.v.SecretKey, map[string]any{"email": "a@example.com", "partner_id": f.p1.ID, "reason": "by hand", "stripe_customer_id": id}),
			http.StatusBadRequest, attribution.EINVALID)
	}
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/customers", f.v.SecretKey, map[string]any{"email": "a@example.com", "partner_id": f.p1.ID, "reason": "by hand", "stripe_customer_id": "cus_A1"}))
	r := f.Do(t, "POST", "/v1/customers", f.v.SecretKey, map[string]any{"email": "b@example.com", "partner_id": f.p1.ID, "reason": "by hand", "stripe_customer_id": "cus_A1"})
	mustError(t, r, http.StatusConflict, attribution.ECONFLICT)
}

func TestDiagnose_BadRequests(t *testing.T) {
	f := newDiagFixture(t)
	f.apiSignup(t, "c@example.com", "")
	for _, q := range []string{"", "email=c@example.com&external_id=x", "email=&customer_id=", "external_id=a&customer_id=cus_x"} {
		mustError(t, f.Do(t, "GET", "/v1/diagnose?"+q, f.v.SecretKey, nil), http.StatusBadRequest, attribution.EINVALID)
	}
	for _, q := range []string{"email=nobody@example.com", "external_id=nope", "customer_id=cus_nope", "customer_id=cus_01jc0000000000000000000000"} {
		mustError(t, f.Do(t, "GET", "/v1/diagnose?"+q, f.v.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	}
	// Another vendor sees nothing of this customer.
	other := f.NewVendor(t, "Other")
	mustError(t, f.Do(t, "GET", "/v1/diagnose?email=c@example.com", other.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	id := f.diagnose(t, "email=c@example.com").Customer.ID
	mustError(t, f.Do(t, "GET", "/v1/diagnose?customer_id="+id, other.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	mustError(t, f.Do(t, "GET", "/v1/diagnose?email=c@example.com", "", nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
}

// A Stripe purchase that arrived before its customer signed up: the remedy
// is a change in Stripe, and the customer.updated event Stripe then sends
// attaches the purchase.
func TestDiagnose_PurchaseUnmatchedExistingCustomer(t *testing.T) {
	f := newDiagFixture(t)
	ctx := context.Background()
	v, err := f.App.Store.Vendors.FindVendor(ctx, f.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Store.Payments.ApplyPaymentEvent(ctx, v, attribution.PaymentEvent{
		ID: "evt_1", Type: "checkout.session.completed",
		Purchase: &attribution.PaymentPurchase{Ref: "cs_1", Email: "buyer@example.com", StripeCustomerID: "cus_Stripe7",
			Amount: 1500, Currency: "eur", PurchasedAt: f.Clock.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Hour)
	f.apiSignup(t, "buyer@example.com", f.click(t, f.l1, testenv.BrowserUA))
	d := f.diagnose(t, "email=buyer@example.com")
	f.expect(t, d, attribution.CausePurchaseUnmatched)
	st := d.Verdict.Remedy.Steps
	if d.Verdict.Remedy.Request != nil || len(st) != 1 || st[0].Stripe == nil || st[0].Stripe.Object != "customer" ||
		st[0].Stripe.ID != "cus_Stripe7" || st[0].Stripe.Metadata["tally_customer_id"] != d.Customer.ID {
		t.Fatalf("remedy = %+v", d.Verdict.Remedy)
	}
	// Following it in Stripe makes Stripe send customer.updated.
	ch := st[0].Stripe
	if _, err := f.App.Store.Payments.ApplyPaymentEvent(ctx, v, attribution.PaymentEvent{
		ID: "evt_2", Type: "customer.updated",
		Customer: &attribution.PaymentCustomer{StripeCustomerID: ch.ID, MetadataCustomerID: ch.Metadata["tally_customer_id"]},
	}); err != nil {
		t.Fatal(err)
	}
	d = f.diagnose(t, "email=buyer@example.com")
	f.expect(t, d, attribution.CauseAttributed)
	for _, ev := range d.Timeline {
		if ev.Type == attribution.EventPurchase && ev.PartnerID != f.p1.ID {
			t.Fatalf("purchase not attributed: %+v", ev)
		}
	}
}
