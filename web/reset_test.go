package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

var resetLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/password/reset/[A-Za-z0-9_-]+`)

// resetMails returns the reset emails the sink received so far.
func resetMails(sink *testenv.SMTPSink) []*testenv.SinkMessage {
	var out []*testenv.SinkMessage
	for _, m := range sink.Messages() {
		if strings.Contains(m.Subject, "Reset your") {
			out = append(out, m)
		}
	}
	return out
}

// requestReset asks for a reset link for email from a fresh browser and
// returns the page the answer leads to.
func requestReset(t *testing.T, e *testenv.Env, email string) *testenv.Page {
	t.Helper()
	b := e.NewBrowser(t)
	r := b.Submit(t, "/password/reset", url.Values{"email": {email}}).Must(t, http.StatusSeeOther)
	if r.Location() != "/password/reset?sent" {
		t.Fatalf("asking for a reset link leads to %q", r.Location())
	}
	return b.Get(t, r.Location()).Must(t, http.StatusOK)
}

// resetLinkFor asks for a reset link for email and returns the path the
// n-th reset email (counting from 1) carries.
func resetLinkFor(t *testing.T, e *testenv.Env, sink *testenv.SMTPSink, email string, n int) string {
	t.Helper()
	requestReset(t, e, email)
	for len(resetMails(sink)) < n {
		sink.Wait(t, len(sink.Messages())+1)
	}
	link := resetLinkRE.FindString(resetMails(sink)[n-1].Text)
	if link == "" {
		t.Fatalf("no reset link in:\n%s", resetMails(sink)[n-1].Text)
	}
	return strings.TrimPrefix(link, e.URL())
}

// TestPasswordReset: "Forgot your password?" on the sign-in page; the same
// answer for a known and an unknown email; the email's link (opening it
// spends nothing) sets a new password under the policy, ends every other
// session, signs in on /dashboard, works once, and is audited as the user.
func TestPasswordReset(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v, old := owner(t, e, "Acme Rockets", "ada@acme.example")

	login := e.NewBrowser(t).Get(t, "/login").Must(t, http.StatusOK)
	if !strings.Contains(login.Body, `<a href="/password/reset">Forgot your password?</a>`) {
		t.Fatalf("the sign-in page has no reset link:\n%s", login.Body)
	}
	form := e.NewBrowser(t).Get(t, "/password/reset").Must(t, http.StatusOK)
	for _, want := range []string{`<label for="email">Email</label>`, `<button type="submit">Email me a reset link</button>`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("the reset form lacks %s", want)
		}
	}

	known := requestReset(t, e, "Ada@Acme.example")
	unknown := requestReset(t, e, "nobody@acme.example")
	csrf := regexp.MustCompile(`name="csrf_token" value="[^"]*"`)
	if csrf.ReplaceAllString(known.Body, "") != csrf.ReplaceAllString(unknown.Body, "") || !strings.Contains(text(known), "1 hour") {
		t.Fatalf("the answers differ for a known and an unknown email:\n%s\n---\n%s", known.Body, unknown.Body)
	}
	for len(resetMails(sink)) < 1 {
		sink.Wait(t, len(sink.Messages())+1)
	}
	time.Sleep(200 * time.Millisecond)
	mails := resetMails(sink)
	if len(mails) != 1 || len(mails[0].EnvelopeTo) != 1 || mails[0].EnvelopeTo[0] != "ada@acme.example" {
		t.Fatalf("reset emails: %d, want 1 to ada (none for the unknown email)", len(mails))
	}
	m := mails[0]
	link := resetLinkRE.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) || !strings.Contains(m.Text, "1 hour") || m.From.Name != "Acme Rockets" {
		t.Fatalf("the reset email from %q:\n%s", m.From.Name, m.Text)
	}
	path := strings.TrimPrefix(link, e.URL())

	// A mail scanner's prefetch (no cookies) spends nothing.
	for range 2 {
		e.Must(t, http.StatusOK, e.Do(t, "GET", path, "", nil))
	}
	b := e.NewBrowser(t)
	page := b.Get(t, path).Must(t, http.StatusOK)
	for _, want := range []string{`<label for="password">New password</label>`, `<button type="submit">Set password</button>`, "ada@acme.example"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the new password page lacks %s", want)
		}
	}
	// A password the policy refuses leaves the link working.
	short := b.Post(t, path, url.Values{"csrf_token": {page.CSRF(t)}, "password": {"short"}}).Must(t, http.StatusBadRequest)
	if !strings.Contains(text(short), "at least 10 characters") {
		t.Errorf("a short password:\n%s", text(short))
	}
	// A reset link is no setup link.
	b.Get(t, strings.Replace(path, "/password/reset/", "/setup/", 1)).Must(t, http.StatusNotFound)

	const newPassword = "a brand new passphrase"
	done := b.Post(t, path, url.Values{"csrf_token": {page.CSRF(t)}, "password": {newPassword}}).Must(t, http.StatusSeeOther)
	if done.Location() != "/dashboard" || b.Cookie("tally_session") == "" {
		t.Fatalf("setting the password leads to %q, session %v", done.Location(), b.Cookie("tally_session") != "")
	}
	b.Get(t, "/dashboard").Must(t, http.StatusOK)
	if got := old.Get(t, "/dashboard").Must(t, http.StatusSeeOther).Location(); got != "/login" {
		t.Errorf("the session signed in before the reset still opens the dashboard (%q)", got)
	}
	signIn(t, e.NewBrowser(t), "ada@acme.example", goodPassword).Must(t, http.StatusUnauthorized)
	signIn(t, e.NewBrowser(t), "ada@acme.example", newPassword).Must(t, http.StatusSeeOther)

	a := mustAudit(t, e, v, "user.password_reset", "ada@acme.example", "")
	var after struct {
		SessionsEnded int `json:"sessions_ended"`
	}
	if err := json.Unmarshal(a.After, &after); err != nil || after.SessionsEnded != 1 || strings.Contains(string(a.After), "password_hash") {
		t.Errorf("the reset's audit: %s", a.After)
	}

	t.Run("LinkWorksOnce", func(t *testing.T) {
		again := e.NewBrowser(t)
		again.Get(t, path).Must(t, http.StatusNotFound)
		again.Post(t, path, url.Values{"csrf_token": {again.Get(t, "/login").CSRF(t)}, "password": {"yet another passphrase"}}).
			Must(t, http.StatusNotFound)
	})
	t.Run("OtherLinksEndWithTheReset", func(t *testing.T) {
		first := resetLinkFor(t, e, sink, "ada@acme.example", 2)
		second := resetLinkFor(t, e, sink, "ada@acme.example", 3)
		c := e.NewBrowser(t)
		c.Submit(t, second, url.Values{"password": {"the third passphrase"}}).Must(t, http.StatusSeeOther)
		c.Get(t, first).Must(t, http.StatusNotFound)
	})
	t.Run("ExpiresAfterAnHour", func(t *testing.T) {
		p := resetLinkFor(t, e, sink, "ada@acme.example", 4)
		c := e.NewBrowser(t)
		token := c.Get(t, p).Must(t, http.StatusOK).CSRF(t)
		e.Clock.Advance(time.Hour + time.Second)
		c.Get(t, p).Must(t, http.StatusNotFound)
		c.Post(t, p, url.Values{"csrf_token": {token}, "password": {"the fourth passphrase"}}).Must(t, http.StatusNotFound)
	})
	t.Run("SetupLinkIsNoResetLink", func(t *testing.T) {
		setup := userLink(t, e, v.ID, "vic@acme.example", "viewer")
		e.NewBrowser(t).Get(t, strings.Replace(setup, "/setup/", "/password/reset/", 1)).Must(t, http.StatusNotFound)
	})
}

// TestPasswordResetThrottled: five requests per email in 15 minutes, then
// 429 whether or not the email is known and nothing sent; asking never
// counts as a failed sign-in.
func TestPasswordResetThrottled(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	owner(t, e, "Acme Rockets", "ada@acme.example")
	for range 5 {
		requestReset(t, e, "ada@acme.example")
		requestReset(t, e, "nobody@acme.example")
	}
	for _, email := range []string{"ada@acme.example", "nobody@acme.example"} {
		p := e.NewBrowser(t).Submit(t, "/password/reset", url.Values{"email": {email}}).Must(t, http.StatusTooManyRequests)
		if !strings.Contains(text(p), "Too many reset links") || !strings.Contains(p.Body, `value="`+email+`"`) {
			t.Fatalf("a throttled request:\n%s", text(p))
		}
	}
	for len(resetMails(sink)) < 5 {
		sink.Wait(t, len(sink.Messages())+1)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(resetMails(sink)); n != 5 {
		t.Errorf("%d reset emails, want 5", n)
	}
	signIn(t, e.NewBrowser(t), "ada@acme.example", goodPassword).Must(t, http.StatusSeeOther)
	e.Clock.Advance(15*time.Minute + time.Second)
	requestReset(t, e, "ada@acme.example")
	e.NewBrowser(t).Submit(t, "/password/reset", url.Values{"email": {"not an email"}}).Must(t, http.StatusBadRequest)
}

// TestPasswordResetMailOff: with email off no reset link exists, none is
// shown, and the page says to ask an admin, who can invite the user again.
func TestPasswordResetMailOff(t *testing.T) {
	e := testenv.New(t)
	v, admin := owner(t, e, "Acme Rockets", "ada@acme.example")
	b := e.NewBrowser(t)
	page := b.Get(t, "/password/reset").Must(t, http.StatusOK)
	if got := text(page); !strings.Contains(got, "Email is off") || !strings.Contains(got, "set up email") ||
		strings.Contains(page.Body, "Email me a reset link") {
		t.Fatalf("the reset page with email off:\n%s", got)
	}
	before := outboxCount(t, e)
	r := b.Post(t, "/password/reset", url.Values{"csrf_token": {b.Get(t, "/login").CSRF(t)}, "email": {"ada@acme.example"}}).Must(t, http.StatusSeeOther)
	if got := b.Get(t, r.Location()).Must(t, http.StatusOK); strings.Contains(got.Body, "/password/reset/") || outboxCount(t, e) != before {
		t.Fatalf("with email off, a reset link was made or shown:\n%s", got.Body)
	}

	// The admin invites Vic again after Vic chose a password: no link is
	// shown (it would open Vic's working account to the admin), nothing
	// changes for Vic.
	vic := e.NewBrowser(t)
	vic.Submit(t, userLink(t, e, v.ID, "vic@acme.example", "viewer"), url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther)
	invited := act(t, admin, "/dashboard/settings", "/dashboard/settings/team",
		url.Values{"email": {"vic@acme.example"}, "role": {"admin"}}).Must(t, http.StatusOK)
	if strings.Contains(invited.Body, "/setup/") {
		t.Fatalf("a link into Vic's working account was shown to the admin:\n%s", invited.Body)
	}
	vic.Get(t, "/dashboard").Must(t, http.StatusOK)
	again := e.NewBrowser(t)
	signIn(t, again, "vic@acme.example", goodPassword).Must(t, http.StatusSeeOther)
	if vp := again.Get(t, "/dashboard/settings").Must(t, http.StatusOK); !strings.Contains(vp.Body, "vic@acme.example (viewer)") {
		t.Error("inviting a teammate again changed their role")
	}
}

// TestTeamInviteEmailed: with email on, "Invite" emails the link (from the
// same transaction) and the page does not show it.
func TestTeamInviteEmailed(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	_, admin := owner(t, e, "Acme Rockets", "ada@acme.example")
	p := act(t, admin, "/dashboard/settings", "/dashboard/settings/team",
		url.Values{"email": {"Vic@Acme.example"}, "role": {"viewer"}}).Must(t, http.StatusOK)
	if got := text(p); !strings.Contains(got, "vic@acme.example is invited. We emailed them") || strings.Contains(p.Body, "/setup/") {
		t.Fatalf("the team section after inviting with email on:\n%s", got)
	}
	m := mailTo(t, sink, "vic@acme.example", "ada@acme.example invited you to the Acme Rockets dashboard")
	link := regexp.MustCompile(`https?://[^\s"<>]+/setup/[A-Za-z0-9_-]+`).FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) || !strings.Contains(m.Text, "7 days") {
		t.Fatalf("the invite email:\n%s", m.Text)
	}
	vic := e.NewBrowser(t)
	if got := vic.Submit(t, strings.TrimPrefix(link, e.URL()), url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther); got.Location() != "/dashboard" {
		t.Fatalf("the invite link leads to %q", got.Location())
	}
	vic.Get(t, "/dashboard").Must(t, http.StatusOK)
}
