package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
type diagnosisAnswer struct {
	Customer *attribution.Customer       `json:"customer"`
	Timeline []attribution.TimelineEvent `json:"timeline"`
	Verdict  attribution.Verdict         `json:"verdict"`
}

func (f *diagFixture) diagnose(t *testing.T, query string) diagnosisAnswer {
	t.Helper()
	var d diagnosisAnswer
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/diagnose?"+query, f.v.SecretKey, nil)).JSON(t, &d)
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

// expectCredit checks the remedy is the manual credit of partner for the customer.
func (f *diagFixture) expectCredit(t *testing.T, d diagnosisAnswer, partnerID string) {
	t.Helper()
	r := d.Verdict.Remedy.Request
	if r == nil || r.Method != "POST" || r.Path != "/v1/customers/"+d.Customer.ID+"/attribution" || r.Body["partner_id"] != partnerID || r.Body["reason"] == "" {
		t.Fatalf("remedy = %+v, want credit of %s", d.Verdict.Remedy, partnerID)
	}
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
	f.expectCredit(t, d, "par_…")
	if len(d.Timeline) != 1 || d.Timeline[0].Type != attribution.EventSignup || d.Timeline[0].Reason != attribution.ReasonNoToken {
		t.Fatalf("timeline = %+v", d.Timeline)
	}
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
	f.snippetSignup(t, "c@example.com", ref2, testenv.BrowserUA)

	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseLaterClickWon)
	v := d.Verdict
	if v.Click == nil || v.Click.PartnerID != f.p1.ID || v.Click.PartnerName != "Ada" || !v.Click.ClickedAt.Equal(first) ||
		v.Winner == nil || v.Winner.PartnerID != f.p2.ID || v.Winner.PartnerName != "Bob" || !v.Winner.ClickedAt.Equal(second) {
		t.Fatalf("verdict = %+v / click %+v / winner %+v", v, v.Click, v.Winner)
	}
	f.expectCredit(t, d, f.p1.ID)
	outcomes := []string{}
	for _, ev := range d.Timeline {
		if ev.Type == attribution.EventSignup {
			outcomes = append(outcomes, ev.Outcome)
		}
	}
	if strings.Join(outcomes, ",") != "attributed,reattributed" {
		t.Fatalf("signups = %v", outcomes)
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

	// The remedy, sent as is, repairs the gap.
	r := d.Verdict.Remedy.Request
	f.Must(t, http.StatusOK, f.Do(t, r.Method, r.Path, f.v.SecretKey, r.Body))
	d = f.diagnose(t, "customer_id=" + d.Customer.ID)
	f.expect(t, d, attribution.CauseAttributed)
	if d.Customer.PartnerID != f.p1.ID || d.Timeline[len(d.Timeline)-1].Type != attribution.EventOverride {
		t.Fatalf("after the remedy: %+v", d)
	}
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
	}
}

func TestDiagnose_InvalidToken(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	ref := f.click(t, f.l1, testenv.BrowserUA)
	f.apiSignup(t, "c@example.com", ref[:len(ref)-4]+"AAAA")
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseInvalidToken)
}

func TestDiagnose_PartnerDisabled(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	ref := f.click(t, f.l1, testenv.BrowserUA)
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/partners/"+f.p1.ID, f.v.SecretKey, map[string]any{"status": "disabled"}))
	f.Clock.Advance(time.Hour)
	f.snippetSignup(t, "c@example.com", ref, testenv.BrowserUA)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CausePartnerDisabled)
	if d.Verdict.Click == nil || d.Verdict.Click.PartnerID != f.p1.ID {
		t.Fatalf("verdict = %+v", d.Verdict)
	}
	f.expectCredit(t, d, f.p1.ID)
}

func TestDiagnose_SnippetNotSeen(t *testing.T) {
	f := newDiagFixture(t)
	f.click(t, f.l1, testenv.BrowserUA)
	f.apiSignup(t, "c@example.com", "")
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseSnippetNotSeen)
	if !strings.Contains(d.Verdict.Remedy.Text, f.v.PublicKey) {
		t.Fatalf("remedy does not name the public key: %s", d.Verdict.Remedy.Text)
	}
}

func TestDiagnose_SnippetMisconfigured(t *testing.T) {
	f := newDiagFixture(t)
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/vendor", f.v.SecretKey, map[string]any{"domain": "shop.example"}))
	f.ping(t, "pk_wrongwrongwrong", "https://www.shop.example/landing")
	f.ping(t, "pk_wrongwrongwrong", "https://unrelated.example/") // not this vendor's site
	f.apiSignup(t, "c@example.com", "")
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseSnippetMisconfigured)
	if !strings.Contains(d.Verdict.Detail, "https://www.shop.example") || strings.Contains(d.Verdict.Detail, "unrelated") {
		t.Fatalf("detail = %s", d.Verdict.Detail)
	}
}

func TestDiagnose_DirectVisit(t *testing.T) {
	f := newDiagFixture(t)
	f.ping(t, f.v.PublicKey, "https://shop.example/")
	f.click(t, f.l1, firefoxUA) // the vendor's links get clicks, not from this visitor
	f.Clock.Advance(day)
	f.snippetSignup(t, "c@example.com", "", testenv.BrowserUA)
	d := f.diagnose(t, "email=c@example.com")
	f.expect(t, d, attribution.CauseDirectVisit)
	if !strings.Contains(d.Verdict.Remedy.Text, "promotion code") || d.Verdict.Remedy.Request == nil ||
		!strings.HasSuffix(d.Verdict.Remedy.Request.Path, "/codes") {
		t.Fatalf("remedy = %+v", d.Verdict.Remedy)
	}
}

func TestDiagnose_PurchaseUnmatched(t *testing.T) {
	f := newDiagFixture(t)
	ctx := context.Background()
	v, err := f.App.Store.FindVendor(ctx, f.v.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.App.Store.ApplyPaymentEvent(ctx, v, attribution.PaymentEvent{
		ID: "evt_1", Type: "checkout.session.completed",
		Purchase: &attribution.PaymentPurchase{Ref: "cs_1", Email: "buyer@example.com", Amount: 4900, Currency: "usd", PurchasedAt: f.Clock.Now()},
	})
	if err != nil || out != attribution.OutcomePurchaseUnmatched {
		t.Fatalf("payment event: %s %v", out, err)
	}
	d := f.diagnose(t, "email=" + url.QueryEscape("Buyer@example.com"))
	f.expect(t, d, attribution.CausePurchaseUnmatched)
	if d.Customer != nil || len(d.Timeline) != 1 || d.Timeline[0].Type != attribution.EventPurchase || *d.Timeline[0].Amount != 4900 {
		t.Fatalf("diagnosis = %+v", d)
	}
	r := d.Verdict.Remedy.Request
	if r == nil || r.Path != "/v1/customers" || r.Body["email"] != "buyer@example.com" {
		t.Fatalf("remedy = %+v", d.Verdict.Remedy)
	}
	// The remedy with a real partner gives the purchase to the new customer.
	r.Body["partner_id"] = f.p1.ID
	cust := f.Must(t, http.StatusCreated, f.Do(t, r.Method, r.Path, f.v.SecretKey, r.Body)).Map(t)
	d = f.diagnose(t, "customer_id=" + cust["id"].(string))
	f.expect(t, d, attribution.CauseAttributed)
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
