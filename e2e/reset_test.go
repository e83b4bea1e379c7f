package e2e_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestBrowserPasswordReset follows "Forgot your password?" from the
// sign-in page to the email's link and a new password, checking each page
// (axe-core, 375 px); and the page email off shows instead of the form.
func TestBrowserPasswordReset(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{
		"name": "Acme Rockets", "owner_email": "ada@acme.example"}))

	tb := newTab(t)
	tb.open(t, e, "/login")
	tb.do(t, "follow the reset link", chromedp.Click("link Forgot your password?", byName("link", "Forgot your password?"), chromedp.NodeVisible))
	tb.waitPath(t, "/password/reset")
	tb.checkPage(t, "/password/reset")
	tb.fill(t, "Email", "ada@acme.example")
	tb.submit(t, "Email me a reset link", "/password/reset")
	if got := tb.text(t); !strings.Contains(got, "a link to choose a new password is on its way") {
		t.Fatalf("after asking for a reset link:\n%s", got)
	}
	tb.checkPage(t, "/password/reset?sent")

	var link string
	for n := 1; link == ""; n++ {
		for _, m := range sink.Wait(t, n) {
			if strings.Contains(m.Subject, "Reset your") {
				link = regexp.MustCompile(`https?://[^\s"<>]+/password/reset/[A-Za-z0-9_-]+`).FindString(m.Text)
			}
		}
	}
	tb.open(t, e, strings.TrimPrefix(link, e.URL()))
	tb.checkPage(t, "/password/reset/{token}")
	tb.fill(t, "New password", "a brand new passphrase")
	tb.submit(t, "Set password", "/dashboard")
	tb.noErrors(t)

	off := testenv.New(t)
	tb.open(t, off, "/password/reset")
	if got := tb.text(t); !strings.Contains(got, "Email is off") {
		t.Fatalf("the reset page with email off:\n%s", got)
	}
	tb.checkPage(t, "/password/reset (email off)")
	tb.noErrors(t)
}
