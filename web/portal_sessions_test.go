package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// revokeForm is one session's form on the notifications page: its id and
// its button's accessible name.
var revokeForm = regexp.MustCompile(`action="/partner/sessions/([0-9a-z_]+)/revoke">\s*<input[^>]*>\s*<button[^>]*aria-label="([^"]*)"`)

// sessionsOn returns the sessions the page lists, this browser's first.
func sessionsOn(t *testing.T, page *testenv.Page) (mine string, others []string) {
	t.Helper()
	for _, m := range revokeForm.FindAllStringSubmatch(page.Body, -1) {
		if strings.HasPrefix(html.UnescapeString(m[2]), "Revoke this browser") {
			mine = m[1]
		} else {
			others = append(others, m[1])
		}
	}
	if mine == "" {
		t.Fatalf("the page does not mark this browser's session:\n%s", page.Body)
	}
	return mine, others
}

// TestPortal_Sessions: a partner sees the browsers signed in as them and
// signs one out, which ends its session at once; nobody else's sessions
// are listed or can be revoked.
func TestPortal_Sessions(t *testing.T) {
	e := testenv.New(t)
	newPortalProgram(t, e, "Acme", "acme.example", "ada@partners.example")
	newPortalProgram(t, e, "Bravo", "bravo.example", "bob@partners.example")
	laptop, phone, bob := e.NewBrowser(t), e.NewBrowser(t), e.NewBrowser(t)
	portalSignIn(t, e, laptop, "ada@partners.example")
	portalSignIn(t, e, phone, "ada@partners.example")
	portalSignIn(t, e, bob, "bob@partners.example")

	page := laptop.Get(t, "/partner/notifications").Must(t, http.StatusOK)
	mine, others := sessionsOn(t, page)
	phoneSession, _ := sessionsOn(t, phone.Get(t, "/partner/notifications").Must(t, http.StatusOK))
	bobSession, _ := sessionsOn(t, bob.Get(t, "/partner/notifications").Must(t, http.StatusOK))
	if len(others) != 1 || others[0] != phoneSession || mine == phoneSession || strings.Contains(page.Body, bobSession) {
		t.Fatalf("the laptop lists %s and %v; the phone is %s, Bob %s", mine, others, phoneSession, bobSession)
	}

	// Another partner's session is not the laptop's to revoke, nor is an unknown one.
	csrf := page.CSRF(t)
	for _, id := range []string{bobSession, "pss_unknown"} {
		laptop.Post(t, "/partner/sessions/"+id+"/revoke", url.Values{"csrf_token": {csrf}}).Must(t, http.StatusNotFound)
	}
	bob.Get(t, "/partner").Must(t, http.StatusOK)
	// Without the form's token nothing is revoked.
	laptop.Post(t, "/partner/sessions/"+phoneSession+"/revoke", url.Values{}).Must(t, http.StatusForbidden)
	phone.Get(t, "/partner").Must(t, http.StatusOK)

	// The phone is signed out at once; the laptop stays.
	done := laptop.Post(t, "/partner/sessions/"+phoneSession+"/revoke", url.Values{"csrf_token": {csrf}}).Must(t, http.StatusSeeOther)
	if done.Location() != "/partner/notifications" { // #sessions
		t.Fatalf("revoking leads to %q", done.Location())
	}
	if got := phone.Get(t, "/partner").Must(t, http.StatusSeeOther).Location(); got != "/partner/login" {
		t.Fatalf("the revoked phone is sent to %q", got)
	}
	if _, others := sessionsOn(t, laptop.Get(t, "/partner/notifications").Must(t, http.StatusOK)); len(others) != 0 {
		t.Fatalf("still listed: %v", others)
	}

	// Revoking this browser's session signs it out.
	done = laptop.Post(t, "/partner/sessions/"+mine+"/revoke", url.Values{"csrf_token": {csrf}}).Must(t, http.StatusSeeOther)
	if done.Location() != "/partner/login" {
		t.Fatalf("revoking this browser leads to %q", done.Location())
	}
	laptop.Get(t, "/partner").Must(t, http.StatusSeeOther)
}
