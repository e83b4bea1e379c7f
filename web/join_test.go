package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// programVendor is a vendor with an owner (ada@acme.example, signed in in
// the browser), the domain acme.example, a reward rule, and its program
// page turned on with the slug derived from its name.
func programVendor(t *testing.T, e *testenv.Env) (testenv.Vendor, *testenv.Browser) {
	t.Helper()
	v, b := owner(t, e, "Acme Rockets", "ada@acme.example")
	r := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"domain":       "acme.example",
		"reward_rule":  map[string]any{"type": "percent", "percent": 2000, "duration_months": 12, "hold_days": 30},
		"program_page": map[string]any{"enabled": true},
	})).Map(t)
	if page := r["program_page"].(map[string]any); page["enabled"] != true || page["slug"] != "acme-rockets" {
		t.Fatalf("program_page = %v, want on with the slug derived from the name", page)
	}
	return v, b
}

// mailTo waits for a message to to whose subject holds subject.
func mailTo(t *testing.T, sink *testenv.SMTPSink, to, subject string) *testenv.SinkMessage {
	t.Helper()
	for {
		msgs := sink.Messages()
		for _, m := range msgs {
			if len(m.EnvelopeTo) == 1 && m.EnvelopeTo[0] == to && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		sink.Wait(t, len(msgs)+1)
	}
}

// outboxCount counts the messages the outbox ever held.
func outboxCount(t *testing.T, e *testenv.Env) int {
	t.Helper()
	entries, err := e.App.Store.Mail.OutboxEntries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

type partnerRow struct {
	ID, Name, Email, Status, Website string
}

func partnersOf(t *testing.T, e *testenv.Env, v testenv.Vendor, query string) []partnerRow {
	t.Helper()
	var list struct{ Data []partnerRow }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners"+query, v.SecretKey, nil)).JSON(t, &list)
	return list.Data
}

func linksOf(t *testing.T, e *testenv.Env, v testenv.Vendor, partnerID string) []testenv.Link {
	t.Helper()
	var list struct {
		Data []struct {
			testenv.Link
			DestinationURL string `json:"destination_url"`
		}
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links?partner_id="+partnerID, v.SecretKey, nil)).JSON(t, &list)
	out := []testenv.Link{}
	for _, l := range list.Data {
		if l.DestinationURL != "https://acme.example/" {
			t.Errorf("first link to %q, want the vendor's domain", l.DestinationURL)
		}
		out = append(out, l.Link)
	}
	return out
}

func lastAudit(t *testing.T, e *testenv.Env, v testenv.Vendor) struct{ Actor, Action, ObjectID string } {
	t.Helper()
	var audit struct {
		Data []struct {
			Actor, Action string
			ObjectID      string `json:"object_id"`
		}
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?limit=1", v.SecretKey, nil)).JSON(t, &audit)
	if len(audit.Data) == 0 {
		t.Fatal("no audit entry")
	}
	return struct{ Actor, Action, ObjectID string }(audit.Data[0])
}

func TestJoinPage(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v, _ := programVendor(t, e)
	visitor := e.NewBrowser(t)

	page := visitor.Get(t, "/join/acme-rockets").Must(t, http.StatusOK)
	got := text(page)
	for _, want := range []string{"Acme Rockets partner program", "20 % of every purchase for 12 months", "Name", "Email", "Website or audience", "Apply"} {
		if !strings.Contains(got, want) {
			t.Errorf("the program page lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(page.Body, `aria-label="Dashboard"`) || strings.Contains(got, "Sign out") {
		t.Errorf("the public page shows the dashboard's navigation:\n%s", got)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}

	applied := visitor.Submit(t, "/join/acme-rockets", url.Values{"name": {"Pat Smith"}, "email": {"Pat@Example.com"}, "website": {"youtube.com/@pat, 20k cooks"}}).
		Must(t, http.StatusSeeOther)
	if applied.Location() != "/join/acme-rockets/thanks" {
		t.Fatalf("applying leads to %q", applied.Location())
	}
	thanks := visitor.Get(t, applied.Location()).Must(t, http.StatusOK)
	if got := text(thanks); !strings.Contains(got, "Thank you for applying") || !strings.Contains(got, "Acme Rockets") {
		t.Errorf("the thank-you page:\n%s", got)
	}
	ps := partnersOf(t, e, v, "")
	if len(ps) != 1 || ps[0].Status != "pending" || ps[0].Email != "pat@example.com" || ps[0].Website != "youtube.com/@pat, 20k cooks" {
		t.Fatalf("partners after an application: %+v", ps)
	}
	pat := ps[0]
	if a := lastAudit(t, e, v); a.Actor != "applicant" || a.Action != "partner.apply" || a.ObjectID != pat.ID {
		t.Errorf("audit = %+v", a)
	}
	received := mailTo(t, sink, "pat@example.com", "We received your application")
	if !strings.Contains(received.Text, "Hello Pat Smith") {
		t.Errorf("application received:\n%s", received.Text)
	}
	review := mailTo(t, sink, "ada@acme.example", "New partner application: Pat Smith")
	if want := e.URL() + "/dashboard/partners/" + pat.ID; !strings.Contains(review.Text, want) {
		t.Errorf("the admin's email lacks the review link %s:\n%s", want, review.Text)
	}

	t.Run("DuplicateAnswersTheSame", func(t *testing.T) {
		mails := outboxCount(t, e)
		again := e.NewBrowser(t).Submit(t, "/join/acme-rockets", url.Values{"name": {"Someone Else"}, "email": {" PAT@example.COM "}}).
			Must(t, http.StatusSeeOther)
		if again.Location() != applied.Location() || again.Body != applied.Body {
			t.Errorf("a second application answers %q %q, the first %q %q", again.Location(), again.Body, applied.Location(), applied.Body)
		}
		if ps := partnersOf(t, e, v, ""); len(ps) != 1 || ps[0].Name != "Pat Smith" {
			t.Errorf("a second application changed the partners: %+v", ps)
		}
		if a := lastAudit(t, e, v); a.Action != "partner.apply" || a.ObjectID != pat.ID {
			t.Errorf("a second application was audited: %+v", a)
		}
		if n := outboxCount(t, e); n != mails {
			t.Errorf("a second application enqueued %d emails", n-mails)
		}
	})

	t.Run("BadInputKeepsTheForm", func(t *testing.T) {
		p := e.NewBrowser(t).Submit(t, "/join/acme-rockets", url.Values{"name": {"Robin"}, "email": {"not an email"}, "website": {"robin.example"}}).
			Must(t, http.StatusBadRequest)
		if got := text(p); !strings.Contains(got, "Email must be an email address") || !strings.Contains(p.Body, `value="Robin"`) || !strings.Contains(p.Body, "robin.example") {
			t.Errorf("a bad email:\n%s", got)
		}
		if ps := partnersOf(t, e, v, ""); len(ps) != 1 {
			t.Errorf("a refused application created a partner: %+v", ps)
		}
	})

	t.Run("NoCSRFNoApplication", func(t *testing.T) {
		e.NewBrowser(t).Post(t, "/join/acme-rockets", url.Values{"name": {"Mallory"}, "email": {"mallory@example.com"}}).Must(t, http.StatusForbidden)
		if ps := partnersOf(t, e, v, "?email=mallory@example.com"); len(ps) != 0 {
			t.Errorf("an application without the form's token: %+v", ps)
		}
	})

	t.Run("SlugIsCaseInsensitive", func(t *testing.T) {
		visitor.Get(t, "/join/ACME-Rockets").Must(t, http.StatusOK)
	})

	t.Run("DisabledPageIsNotFound", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"program_page": map[string]any{"enabled": false}}))
		p := visitor.Get(t, "/join/acme-rockets").Must(t, http.StatusNotFound)
		if !strings.Contains(text(p), "no partner program at this address") {
			t.Errorf("the 404 page:\n%s", text(p))
		}
		visitor.Get(t, "/join/acme-rockets/thanks").Must(t, http.StatusNotFound)
		visitor.Post(t, "/join/acme-rockets", url.Values{"csrf_token": {page.CSRF(t)}, "name": {"Late"}, "email": {"late@example.com"}}).
			Must(t, http.StatusNotFound)
		visitor.Get(t, "/join/no-such-program").Must(t, http.StatusNotFound)
		if ps := partnersOf(t, e, v, "?email=late@example.com"); len(ps) != 0 {
			t.Errorf("an application to a closed page: %+v", ps)
		}
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"program_page": map[string]any{"enabled": true}}))
	})
}

func TestJoinPage_RateLimited(t *testing.T) {
	e := testenv.New(t)
	v, _ := programVendor(t, e)
	b := e.NewBrowser(t)
	csrf := b.Get(t, "/join/acme-rockets").Must(t, http.StatusOK).CSRF(t)
	limited := -1
	for i := range 30 {
		p := b.Post(t, "/join/acme-rockets", url.Values{"csrf_token": {csrf}, "name": {"Bot"}, "email": {"bot" + string(rune('a'+i)) + "@example.com"}})
		if p.StatusCode == http.StatusTooManyRequests {
			limited = i
			if !strings.Contains(text(p), "Too many applications") || p.Header.Get("Retry-After") == "" {
				t.Errorf("the 429 page:\n%s", text(p))
			}
			break
		}
		p.Must(t, http.StatusSeeOther)
	}
	if limited < 3 || limited > 15 {
		t.Fatalf("limited after %d applications, want a small burst", limited)
	}
	if ps := partnersOf(t, e, v, "?limit=100"); len(ps) != limited {
		t.Errorf("%d partners for %d accepted applications", len(ps), limited)
	}
	// Reading the page is not limited.
	b.Get(t, "/join/acme-rockets").Must(t, http.StatusOK)
}

func TestProgramPageSetting(t *testing.T) {
	e := testenv.New(t)
	v, b := programVendor(t, e)
	other := e.NewVendor(t, "Acme Rockets")

	t.Run("TakenSlugIsConflict", func(t *testing.T) {
		r := e.Do(t, "PATCH", "/v1/vendor", other.SecretKey, map[string]any{"program_page": map[string]any{"enabled": true, "slug": "ACME-rockets"}})
		e.Must(t, http.StatusConflict, r)
		if r.ErrorCode() != "conflict" || !strings.Contains(string(r.Body), "acme-rockets") {
			t.Errorf("409 body: %s", r.Body)
		}
		var got struct {
			ProgramPage struct {
				Enabled bool
				Slug    string
			} `json:"program_page"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", other.SecretKey, nil)).JSON(t, &got)
		if got.ProgramPage.Enabled || got.ProgramPage.Slug != "" {
			t.Errorf("a refused change changed the page: %+v", got.ProgramPage)
		}
	})

	t.Run("DefaultSlugAvoidsTakenOnes", func(t *testing.T) {
		r := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", other.SecretKey, map[string]any{"program_page": map[string]any{"enabled": true}})).Map(t)
		if slug := r["program_page"].(map[string]any)["slug"]; slug != "acme-rockets-2" {
			t.Errorf("default slug = %v, want acme-rockets-2", slug)
		}
		e.Must(t, http.StatusBadRequest, e.Do(t, "PATCH", "/v1/vendor", other.SecretKey, map[string]any{"program_page": map[string]any{"slug": "invite"}}))
	})

	t.Run("Audited", func(t *testing.T) {
		var audit struct {
			Data []struct {
				Action string
				After  struct {
					ProgramPage struct{ Slug string } `json:"program_page"`
				}
			}
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?limit=1", other.SecretKey, nil)).JSON(t, &audit)
		if len(audit.Data) != 1 || audit.Data[0].Action != "vendor.update" || audit.Data[0].After.ProgramPage.Slug != "acme-rockets-2" {
			t.Errorf("audit: %+v", audit.Data)
		}
	})

	t.Run("SettingsForm", func(t *testing.T) {
		page := b.Get(t, "/dashboard/settings").Must(t, http.StatusOK)
		for _, want := range []string{"Public program page", "Slug", "Minimum payout", e.URL() + "/join/acme-rockets"} {
			if !strings.Contains(text(page), want) {
				t.Errorf("Settings lacks %q", want)
			}
		}
		form := url.Values{"name": {"Acme Rockets"}, "domain": {"acme.example"}, "attribution_window_days": {"90"}, "time_zone": {"UTC"},
			"program_page_enabled": {"on"}, "program_page_slug": {"rockets"}, "minimum_payout": {"5000"}}
		form.Set("csrf_token", page.CSRF(t))
		b.Post(t, "/dashboard/settings/program", form).Must(t, http.StatusSeeOther)
		var got struct {
			MinimumPayout int64 `json:"minimum_payout"`
			ProgramPage   struct {
				Enabled bool
				Slug    string
			} `json:"program_page"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).JSON(t, &got)
		if !got.ProgramPage.Enabled || got.ProgramPage.Slug != "rockets" || got.MinimumPayout != 5000 {
			t.Errorf("saved: %+v", got)
		}
		e.NewBrowser(t).Get(t, "/join/rockets").Must(t, http.StatusOK)

		form.Set("program_page_slug", "acme-rockets-2") // the other vendor's
		p := b.Post(t, "/dashboard/settings/program", form).Must(t, http.StatusConflict)
		if !strings.Contains(text(p), "is taken") {
			t.Errorf("a taken slug:\n%s", text(p))
		}
		form.Del("program_page_enabled")
		form.Set("program_page_slug", "rockets")
		b.Post(t, "/dashboard/settings/program", form).Must(t, http.StatusSeeOther)
		e.NewBrowser(t).Get(t, "/join/rockets").Must(t, http.StatusNotFound)
	})
}

var inviteLink = regexp.MustCompile(`https?://[^\s"<>]+/join/invite/[A-Za-z0-9_-]+`)

func TestApplicationDecisions(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v, b := programVendor(t, e)
	apply := func(t *testing.T, name, email string) partnerRow {
		t.Helper()
		e.NewBrowser(t).Submit(t, "/join/acme-rockets", url.Values{"name": {name}, "email": {email}}).Must(t, http.StatusSeeOther)
		ps := partnersOf(t, e, v, "?email="+url.QueryEscape(email))
		if len(ps) != 1 || ps[0].Status != "pending" {
			t.Fatalf("applicant %s: %+v", email, ps)
		}
		if ls := linksOf(t, e, v, ps[0].ID); len(ls) != 0 {
			t.Errorf("a pending applicant has links: %+v", ls)
		}
		return ps[0]
	}

	t.Run("ApprovedInTheDashboard", func(t *testing.T) {
		pat := apply(t, "Pat", "pat@example.com")
		path := "/dashboard/partners/" + pat.ID
		page := b.Get(t, path).Must(t, http.StatusOK)
		b.Post(t, path+"/approve", url.Values{"csrf_token": {page.CSRF(t)}}).Must(t, http.StatusSeeOther)
		m := mailTo(t, sink, "pat@example.com", "Welcome to the Acme Rockets partner program")
		if want := e.URL() + "/partner/login"; !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("the approval email lacks %s:\n%s", want, m.Text)
		}
		ls := linksOf(t, e, v, pat.ID)
		if len(ls) != 1 {
			t.Fatalf("an approved partner's links: %+v", ls)
		}
		if loc := e.Click(t, ls[0].Key).Header.Get("Location"); !strings.HasPrefix(loc, "https://acme.example/") || !strings.Contains(loc, "tally_ref=") {
			t.Errorf("the first link redirects to %q", loc)
		}
		if got := text(b.Get(t, path).Must(t, http.StatusOK)); !strings.Contains(got, ls[0].Key) {
			t.Errorf("the partner's page lacks the first link:\n%s", got)
		}
	})

	t.Run("RejectedThroughTheAPI", func(t *testing.T) {
		sam := apply(t, "Sam", "sam@example.com")
		r := e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/partners/"+sam.ID+"/reject", v.SecretKey, map[string]any{"reason": "Your audience is outside our market."})).Map(t)
		if r["status"] != "rejected" {
			t.Errorf("rejected: %v", r)
		}
		m := mailTo(t, sink, "sam@example.com", "Your application to Acme Rockets")
		if !strings.Contains(m.Text, "Your audience is outside our market.") || !strings.Contains(m.HTML, "Your audience is outside our market.") {
			t.Errorf("the rejection lacks its reason:\n%s", m.Text)
		}
		if a := lastAudit(t, e, v); a.Action != "partner.reject" || !strings.HasPrefix(a.Actor, "secret_key:") {
			t.Errorf("audit = %+v", a)
		}
		e.Must(t, http.StatusConflict, e.Do(t, "POST", "/v1/partners/"+sam.ID+"/approve", v.SecretKey, nil))
		if ls := linksOf(t, e, v, sam.ID); len(ls) != 0 {
			t.Errorf("a rejected applicant has links: %+v", ls)
		}
	})

	t.Run("RejectedWithoutReasonInTheDashboard", func(t *testing.T) {
		kim := apply(t, "Kim", "kim@example.com")
		path := "/dashboard/partners/" + kim.ID
		page := b.Get(t, path).Must(t, http.StatusOK)
		b.Post(t, path+"/reject", url.Values{"csrf_token": {page.CSRF(t)}, "reason": {""}}).Must(t, http.StatusSeeOther)
		m := mailTo(t, sink, "kim@example.com", "Your application to Acme Rockets")
		if strings.Contains(m.Text, "reason") {
			t.Errorf("a rejection without a reason mentions one:\n%s", m.Text)
		}
	})

	t.Run("ApprovedThroughTheAPI", func(t *testing.T) {
		lee := apply(t, "Lee", "lee@example.com")
		e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/partners/"+lee.ID+"/approve", v.SecretKey, nil))
		mailTo(t, sink, "lee@example.com", "Welcome to the Acme Rockets partner program")
		if ls := linksOf(t, e, v, lee.ID); len(ls) != 1 {
			t.Errorf("links: %+v", ls)
		}
		e.Must(t, http.StatusConflict, e.Do(t, "POST", "/v1/partners/"+lee.ID+"/approve", v.SecretKey, nil))
		e.Must(t, http.StatusBadRequest, e.Do(t, "POST", "/v1/partners/"+lee.ID+"/reject", v.SecretKey, `{"reason": 5}`))
	})

	t.Run("AnotherVendorsPartnerIsNotFound", func(t *testing.T) {
		ps := partnersOf(t, e, v, "?email=lee@example.com")
		other := e.NewVendor(t, "Beta")
		for _, action := range []string{"approve", "reject", "invite"} {
			e.Must(t, http.StatusNotFound, e.Do(t, "POST", "/v1/partners/"+ps[0].ID+"/"+action, other.SecretKey, nil))
		}
	})

	t.Run("CreatedDirectlyGetsAFirstLink", func(t *testing.T) {
		p := e.NewPartner(t, v, "Max", "max@example.com")
		if ls := linksOf(t, e, v, p.ID); len(ls) != 1 {
			t.Errorf("a partner created active: links %+v", ls)
		}
	})
}

func TestPartnerInvites(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v, b := programVendor(t, e)

	// Email is on: "Send invite" emails the link and shows the partner's page.
	sent := b.Submit(t, "/dashboard/partners/invite", url.Values{"name": {"Ivy"}, "email": {"ivy@example.com"}}).Must(t, http.StatusSeeOther)
	if !partnerPath.MatchString(sent.Location()) {
		t.Fatalf("inviting leads to %q", sent.Location())
	}
	ivyID := strings.TrimPrefix(sent.Location(), "/dashboard/partners/")
	if got := text(b.Get(t, sent.Location()).Must(t, http.StatusOK)); !strings.Contains(got, "Invited") || strings.Contains(got, "/join/invite/") {
		t.Errorf("with email on, the page shows no link:\n%s", got)
	}
	if a := lastAudit(t, e, v); a.Action != "partner.invite" || a.Actor != "ada@acme.example" {
		t.Errorf("audit = %+v", a)
	}
	m := mailTo(t, sink, "ivy@example.com", "You are invited to the Acme Rockets partner program")
	link := inviteLink.FindString(m.Text)
	if !strings.HasPrefix(link, e.URL()+"/join/invite/") || !strings.Contains(m.HTML, link) || !strings.Contains(m.Text, "14 days") {
		t.Fatalf("the invite email's link %q:\n%s", link, m.Text)
	}
	path := strings.TrimPrefix(link, e.URL())

	t.Run("OpeningChangesNothing", func(t *testing.T) {
		page := e.NewBrowser(t).Get(t, path).Must(t, http.StatusOK)
		got := text(page)
		for _, want := range []string{"Ivy, you are invited to the Acme Rockets partner program", "20 % of every purchase for 12 months", "Accept invite"} {
			if !strings.Contains(got, want) {
				t.Errorf("the invite page lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(page.Body, `aria-label="Dashboard"`) {
			t.Errorf("the invite page shows the dashboard's navigation")
		}
		if ps := partnersOf(t, e, v, "?email=ivy@example.com"); ps[0].Status != "invited" {
			t.Errorf("opening the link changed the partner: %+v", ps)
		}
	})

	t.Run("ANewInviteReplacesTheOld", func(t *testing.T) {
		r := e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/partners/"+ivyID+"/invite", v.SecretKey, nil))
		var inv struct {
			PartnerID string    `json:"partner_id"`
			InviteURL string    `json:"invite_url"`
			ExpiresAt time.Time `json:"expires_at"`
			Partner   struct{ Status string }
		}
		r.JSON(t, &inv)
		if inv.PartnerID != ivyID || !strings.HasPrefix(inv.InviteURL, e.URL()+"/join/invite/") || inv.Partner.Status != "invited" ||
			!inv.ExpiresAt.Equal(e.Clock.Now().Add(14*24*time.Hour)) {
			t.Errorf("invite = %+v", inv)
		}
		if a := lastAudit(t, e, v); a.Action != "partner.invite" || strings.Contains(string(r.Body), "token_hash") {
			t.Errorf("audit = %+v", a)
		}
		e.NewBrowser(t).Get(t, path).Must(t, http.StatusNotFound)
		path = strings.TrimPrefix(inv.InviteURL, e.URL())
	})

	t.Run("Accepted", func(t *testing.T) {
		visitor := e.NewBrowser(t)
		page := visitor.Get(t, path).Must(t, http.StatusOK)
		accepted := visitor.Post(t, path, url.Values{"csrf_token": {page.CSRF(t)}}).Must(t, http.StatusSeeOther)
		if accepted.Location() != "/partner" || visitor.Cookie("tally_partner_session") == "" || visitor.Cookie("tally_session") != "" {
			t.Errorf("accepting leads to %q, signed in to the portal only: %v", accepted.Location(), visitor.Cookie("tally_partner_session") != "")
		}
		// Signed in at once: the portal home shows the first link.
		if home := text(visitor.Get(t, "/partner").Must(t, http.StatusOK)); !strings.Contains(home, "Ivy") || !strings.Contains(home, "acme.example") {
			t.Errorf("the portal after accepting:\n%s", home)
		}
		ps := partnersOf(t, e, v, "?email=ivy@example.com")
		if ps[0].Status != "active" {
			t.Errorf("accepted: %+v", ps)
		}
		if ls := linksOf(t, e, v, ivyID); len(ls) != 1 {
			t.Errorf("an accepted partner's links: %+v", ls)
		}
		var audit struct {
			Data []struct{ Actor, Action string }
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?limit=2", v.SecretKey, nil)).JSON(t, &audit)
		if len(audit.Data) != 2 || audit.Data[0].Action != "link.create" || audit.Data[1].Action != "partner.accept_invite" ||
			audit.Data[1].Actor != "partner:"+ivyID || audit.Data[0].Actor != "partner:"+ivyID {
			t.Errorf("audit = %+v", audit.Data)
		}
		// The link works once.
		visitor.Get(t, path).Must(t, http.StatusNotFound)
		visitor.Post(t, path, url.Values{"csrf_token": {page.CSRF(t)}}).Must(t, http.StatusNotFound)
		e.Must(t, http.StatusConflict, e.Do(t, "POST", "/v1/partners/"+ivyID+"/invite", v.SecretKey, nil))
	})

	t.Run("Expired", func(t *testing.T) {
		r := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]any{"name": "Old", "email": "old@example.com", "status": "invited"})).Map(t)
		var inv struct {
			InviteURL string `json:"invite_url"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/partners/"+r["id"].(string)+"/invite", v.SecretKey, nil)).JSON(t, &inv)
		e.Clock.Advance(14*24*time.Hour + time.Second)
		e.NewBrowser(t).Get(t, strings.TrimPrefix(inv.InviteURL, e.URL())).Must(t, http.StatusNotFound)
	})

	t.Run("UnknownToken", func(t *testing.T) {
		e.NewBrowser(t).Get(t, "/join/invite/not-a-token").Must(t, http.StatusNotFound)
	})
}
