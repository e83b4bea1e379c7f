// Browser tests of the analytics, partners and links pages and of the
// overview's live feed: accessible names, axe-core, 375 px, no console
// error (a CSP violation is one).
package e2e_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tally-dev/tally/internal/testenv"
)

// signInOwner creates a vendor with an owner through the admin API and
// signs the owner in in tb, which ends on /dashboard.
func signInOwner(t *testing.T, e *testenv.Env, tb *tab, name string) testenv.Vendor {
	t.Helper()
	var v struct {
		testenv.Vendor
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{
		"name": name, "domain": "acme.example", "owner_email": "ada@acme.example"})).JSON(t, &v)
	tb.do(t, "open the owner's setup link", chromedp.Navigate(v.OwnerSetupURL))
	tb.fill(t, "Password", "correct horse battery")
	tb.submit(t, "Set password", "/dashboard")
	return v.Vendor
}

// open loads path and waits for it.
func (tb *tab) open(t *testing.T, e *testenv.Env, path string) {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.__old = true`)); err != nil {
		t.Fatalf("mark the page: %v", err)
	}
	tb.do(t, "open "+path, chromedp.Navigate(e.URL()+path))
	u, _, _ := strings.Cut(path, "?")
	tb.waitPath(t, u)
}

// choose selects the option with value in the select named name.
func (tb *tab) choose(t *testing.T, name, value string) {
	t.Helper()
	tb.do(t, "choose "+name, chromedp.SetValue("select "+name, value, byName("combobox", name), chromedp.NodeVisible))
}

// checkPage runs axe-core and the 375 px check on the page the tab shows.
func (tb *tab) checkPage(t *testing.T, page string) {
	t.Helper()
	tb.axeCheck(t, page)
	tb.fitsWidth(t, 375)
}

func TestBrowserPartnersAndLinks(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	signInOwner(t, e, tb, "Acme Rockets")

	tb.open(t, e, "/dashboard/partners")
	tb.checkPage(t, "/dashboard/partners (empty)")
	tb.do(t, "follow New partner", chromedp.Click("New partner", byName("link", "New partner"), chromedp.NodeVisible))
	tb.waitPath(t, "/dashboard/partners/new")
	tb.checkPage(t, "/dashboard/partners/new")
	tb.fill(t, "Name", "Grace Hopper")
	tb.fill(t, "Email", "grace@partners.example")
	tb.press(t, "Create partner")
	waitText(t, tb, "Change status")
	if got := tb.text(t); !strings.Contains(got, "Grace Hopper") || !strings.Contains(got, "Active") {
		t.Fatalf("the new partner's page:\n%s", got)
	}
	tb.checkPage(t, "/dashboard/partners/{id}")

	tb.open(t, e, "/dashboard/partners/invite")
	tb.checkPage(t, "/dashboard/partners/invite")
	tb.fill(t, "Name", "Ivy")
	tb.fill(t, "Email", "ivy@partners.example")
	tb.press(t, "Send invite")
	waitText(t, tb, "Invitation")
	tb.checkPage(t, "/dashboard/partners/{id} (invited)")
	tb.press(t, "Approve")
	waitText(t, tb, "Change status")

	tb.open(t, e, "/dashboard/links")
	tb.checkPage(t, "/dashboard/links (empty)")
	tb.open(t, e, "/dashboard/links/new")
	tb.checkPage(t, "/dashboard/links/new")
	partnerID, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#partner_id option')].find(o => o.text.startsWith('Grace')).value`))
	if err != nil {
		t.Fatal(err)
	}
	tb.choose(t, "Partner", partnerID)
	tb.fill(t, "Destination URL", "https://acme.example/pricing")
	tb.fill(t, "Key", "grace-launch")
	tb.fill(t, "UTM source", "newsletter")
	tb.fill(t, "UTM medium", "email")
	tb.fill(t, "UTM campaign", "launch")
	tb.press(t, "Create link")
	waitText(t, tb, "Save destination")
	if got := tb.text(t); !strings.Contains(got, "/r/grace-launch") || !strings.Contains(got, "Grace Hopper") {
		t.Fatalf("the new link's page:\n%s", got)
	}
	tb.checkPage(t, "/dashboard/links/{id}")
	tb.do(t, "follow Archive this link", chromedp.Click("archive", byName("link", "Archive this link"), chromedp.NodeVisible))
	waitText(t, tb, "An archived link stops redirecting")
	tb.checkPage(t, "/dashboard/links/{id}/archive")
	tb.press(t, "Archive link")
	waitText(t, tb, "Archived")
	tb.open(t, e, "/dashboard/links")
	tb.checkPage(t, "/dashboard/links")
	tb.noErrors(t)
}

// TestBrowserAnalytics runs the analytics page for a date range and finds
// the by-variant and by-UTM-source rows; with TALLY_SCREENSHOTS=1 it saves
// docs/screenshots/analytics.png.
func TestBrowserAnalytics(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	v := signInOwner(t, e, tb, "Acme Rockets")
	seed(t, e, v)
	p := e.NewPartner(t, v, "Margaret", "margaret@partners.example")
	l := e.NewLink(t, v, p, "https://acme.example/")
	for i, q := range []string{"?v=a&utm_source=facebook&utm_medium=social", "?v=a&utm_source=facebook", "?v=b&utm_source=newsletter&utm_campaign=spring"} {
		e.Must(t, http.StatusFound, e.Click(t, l.Key+q, "User-Agent", testenv.BrowserUA+" visitor-"+string(rune('a'+i))))
	}
	today := e.Clock.Now().Format("2006-01-02")
	start := e.Clock.Now().AddDate(0, 0, -6).Format("2006-01-02")

	tb.open(t, e, "/dashboard/analytics")
	// Date fields are not text boxes to the accessibility tree; their
	// labels are checked by axe.
	tb.do(t, "set the dates", chromedp.SetValue(chromedp.CSS("#start"), start),
		chromedp.SetValue(chromedp.CSS("#end"), today))
	tb.submit(t, "Run", "/dashboard/analytics")
	got := tb.text(t)
	for _, want := range []string{"Clicks by variant", "a\t2\t2", "b\t1\t1", "Clicks by UTM source", "facebook\t2\t2", "newsletter\t1\t1", "Funnel"} {
		if !strings.Contains(got, want) {
			t.Errorf("the analytics page lacks %q:\n%s", want, got)
		}
	}
	// chart.js drew the chart and folded its table away.
	drawn, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!!document.querySelector('.uplot canvas') && !document.querySelector('details.chart-table').open`))
	if err != nil || !drawn {
		t.Errorf("no chart drawn (%v)", err)
	}
	tb.checkPage(t, "/dashboard/analytics")
	tb.noErrors(t)

	if os.Getenv("TALLY_SCREENSHOTS") == "1" {
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "docs", "screenshots", "analytics.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

// TestBrowserLiveFeed clicks a referral link in another browser context and
// sees the click on the open overview within 2 seconds, without a reload.
func TestBrowserLiveFeed(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	v := signInOwner(t, e, tb, "Acme Rockets")
	p := e.NewPartner(t, v, "Grace", "grace@partners.example")
	l := e.NewLink(t, v, p, e.URL()+"/login") // a page the visitor's browser can load
	tb.open(t, e, "/dashboard")
	tb.checkPage(t, "/dashboard (live feed)")
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.__same = true`)); err != nil {
		t.Fatal(err)
	}
	// Let the feed's event stream open before the click.
	time.Sleep(500 * time.Millisecond)

	visitor := newTab(t)
	visitor.do(t, "click the referral link", chromedp.Navigate(e.URL()+"/r/"+l.Key))
	clicked := time.Now()
	deadline := clicked.Add(2 * time.Second)
	for {
		feed, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector('#feed').innerText`))
		if err == nil && strings.Contains(feed, "Link "+l.Key) && strings.Contains(feed, "partner Grace") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the click is not in the feed 2 s later: %q (%v)", feed, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if old, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!!window.__same`)); err != nil || !old {
		t.Error("the page reloaded")
	}
	tb.noErrors(t)
	visitor.noErrors(t)
}

// waitText waits until the page's text holds s.
func waitText(t *testing.T, tb *tab, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.readyState === 'complete' ? document.body.innerText : ''`)); err == nil && strings.Contains(got, s) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the page never shows %q:\n%s", s, tb.text(t))
}
