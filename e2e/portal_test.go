package e2e_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tally-dev/tally/internal/testenv"
)

var portalLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/partner/sign-in/[A-Za-z0-9_-]+`)

// TestBrowserPortal: a partner asks for a sign-in link, follows the real
// email in Chromium, presses "Sign in" and lands on the portal's home
// with their links and figures; every portal page passes axe and fits 375
// px. With TALLY_SCREENSHOTS=1 it saves docs/screenshots/portal.png.
func TestBrowserPortal(t *testing.T) {
	tb := newTab(t)
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v := e.NewVendor(t, "Acme Rockets")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"domain": "acme.example"}))
	seed(t, e, v) // Grace and Linus, their links, clicks and purchases
	// Grace's own setup emails: none; the seed sends only new-reward emails.
	before := len(sink.Messages())

	tb.open(t, e, "/partner/login")
	tb.axeCheck(t, "/partner/login")
	tb.fitsWidth(t, 375)
	tb.fill(t, "Email", "grace@partners.example")
	tb.submit(t, "Email me a sign-in link", "/partner/login")
	if got := tb.text(t); !strings.Contains(got, "Sign-in link requested") || strings.Contains(got, "/partner/sign-in/") {
		t.Fatalf("after asking for a link:\n%s", got)
	}
	tb.axeCheck(t, "/partner/login (sent)")

	var link string
	for _, m := range sink.Wait(t, before+1)[before:] {
		if strings.Contains(m.Subject, "Sign in") {
			link = portalLinkRE.FindString(m.Text)
		}
	}
	if link == "" {
		t.Fatal("no sign-in email")
	}
	// A mail scanner's prefetch does not spend the link.
	e.Must(t, http.StatusOK, e.Do(t, "GET", strings.TrimPrefix(link, e.URL()), "", nil))

	tb.do(t, "open the emailed link", chromedp.Navigate(link))
	tb.waitPath(t, strings.TrimPrefix(link, e.URL()))
	tb.axeCheck(t, "/partner/sign-in/…")
	tb.fitsWidth(t, 375)
	tb.submit(t, "Sign in", "/partner")
	got := tb.text(t)
	for _, want := range []string{"Your referral links", "/r/", "Clicks", "Earnings", "USD"} {
		if !strings.Contains(got, want) {
			t.Errorf("the portal's home lacks %q:\n%s", want, got)
		}
	}
	tb.axeCheck(t, "/partner")
	tb.fitsWidth(t, 375)

	if os.Getenv("TALLY_SCREENSHOTS") == "1" {
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "docs", "screenshots", "portal.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}

	for _, path := range []string{"/partner/links", "/partner/customers", "/partner/rewards", "/partner/payouts", "/partner/notifications"} {
		tb.openChecked(t, e, path)
	}
	tb.open(t, e, "/partner/links")
	tb.fill(t, "Destination URL", "https://acme.example/blog")
	tb.fill(t, "Variant", "newsletter")
	tb.submit(t, "Create link", "/partner/links")
	if got := tb.text(t); !strings.Contains(got, "Your new link") || !strings.Contains(got, "?v=newsletter") {
		t.Fatalf("after creating a link:\n%s", got)
	}
	tb.axeCheck(t, "/partner/links (created)")

	// The same link again is refused: used once.
	tb.do(t, "open the used link", chromedp.Navigate(link))
	tb.waitPath(t, strings.TrimPrefix(link, e.URL()))
	if got := tb.text(t); !strings.Contains(got, "already used") {
		t.Fatalf("a used link:\n%s", got)
	}
	tb.noErrors(t)
}
