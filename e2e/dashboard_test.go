// Browser tests of the dashboard: the first run, signing out and in, and
// accessibility (axe-core) of each page, in Debian's Chromium. Fields and
// buttons are found by their accessible names, as Chromium's accessibility
// tree computes them (a label, aria-label or the button's text), the way
// people and screen readers find them.
package e2e_test

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tally-dev/tally/internal/testenv"
)

//go:embed testdata/axe/axe.min.js
var axeSource string

// tab is one browser tab with a cookie jar of its own, recording console
// errors (a Content-Security-Policy violation is one) and exceptions.
type tab struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newTab(t *testing.T) *tab {
	t.Helper()
	bctx := browser(t)
	c, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(c); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancelT := context.WithTimeout(c, 60*time.Second)
	t.Cleanup(cancelT)
	tb := &tab{ctx: ctx}
	err := chromedp.Listen(c, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				tb.record(fmt.Sprintf("console %s: %v", ev.Type, ev.Args))
			}
		case *runtime.EventExceptionThrown:
			tb.record("exception: " + ev.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return tb
}

func (tb *tab) record(s string) {
	tb.mu.Lock()
	tb.errors = append(tb.errors, s)
	tb.mu.Unlock()
}

func (tb *tab) noErrors(t *testing.T) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.errors) > 0 {
		t.Errorf("console errors or exceptions: %q", tb.errors)
	}
}

func (tb *tab) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// byName finds the elements of role whose accessible name is name, from
// Chromium's accessibility tree (Accessibility.queryAXTree). No match yet
// is no error: the query retries until its context ends.
func byName(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			NodeID: n.NodeID, AccessibleName: name, Role: role,
		})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return nil, nil
		}
		ids, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return ids.NodeIDs, err
	})
}

// fill types value into the text field named name.
func (tb *tab) fill(t *testing.T, name, value string) {
	t.Helper()
	tb.do(t, "fill "+name, chromedp.SendKeys("field "+name, value, byName("textbox", name), chromedp.NodeVisible))
}

// press clicks the button named name.
func (tb *tab) press(t *testing.T, name string) {
	t.Helper()
	tb.do(t, "press "+name, chromedp.Click("button "+name, byName("button", name), chromedp.NodeVisible))
}

// submit presses the button named name and waits for the page it leads
// to, at path (a new page: the old one is marked and must be gone).
func (tb *tab) submit(t *testing.T, name, path string) {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.__old = true`)); err != nil {
		t.Fatalf("mark the page: %v", err)
	}
	tb.press(t, name)
	tb.waitPath(t, path)
}

// waitPath waits until the tab shows a new loaded page at path.
func (tb *tab) waitPath(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		// Evaluation fails while a navigation replaces the page; try again.
		if s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.pathname + " " + document.readyState + (window.__old ? " old" : "")`)); err == nil {
			last = s
			if s == path+" complete" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: the tab shows %q", path, last)
}

func (tb *tab) text(t *testing.T) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatalf("page text: %v", err)
	}
	return s
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeCheck runs axe-core on the page and fails on a serious or critical
// violation (minor and moderate ones are logged).
func (tb *tab) axeCheck(t *testing.T, page string) {
	t.Helper()
	// DevTools evaluation is not bound by the page's CSP, so the page's own
	// policy stays as strict as it is in production.
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	vs, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ['violations']}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run on %s: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe %s violation %s (%s) at %v", page, v.Impact, v.ID, v.Help, v.Nodes)
		} else {
			t.Logf("%s: axe %s violation %s (%s) at %v", page, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
}

// fitsWidth checks the page does not scroll sideways at the viewport's width.
func (tb *tab) fitsWidth(t *testing.T, width int64) {
	t.Helper()
	tb.do(t, "narrow viewport", chromedp.EmulateViewport(width, 800))
	w, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if w > width {
		t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", width, w)
	}
	tb.do(t, "reset viewport", chromedp.EmulateViewport(1280, 900))
}

func TestBrowserFirstRunSignOutSignIn(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	link, err := e.App.FirstRunURL(t.Context())
	if err != nil || link == "" {
		t.Fatalf("FirstRunURL = %q, %v", link, err)
	}

	tb.do(t, "open the setup link", chromedp.Navigate(link))
	tb.axeCheck(t, "/setup/…")
	tb.fitsWidth(t, 375)
	tb.fill(t, "Program name", "Acme Rockets")
	tb.fill(t, "Domain", "acme.example")
	tb.fill(t, "Email", "ada@acme.example")
	tb.fill(t, "Password", "correct horse battery")
	tb.submit(t, "Create program", "/dashboard")
	if got := tb.text(t); !strings.Contains(got, "Acme Rockets") || !strings.Contains(got, "Next step: add your first partner") {
		t.Fatalf("the new program's overview:\n%s", got)
	}
	tb.axeCheck(t, "/dashboard")
	tb.fitsWidth(t, 375)

	tb.submit(t, "Sign out", "/login")
	tb.axeCheck(t, "/login")
	tb.fitsWidth(t, 375)
	tb.do(t, "dashboard after sign out", chromedp.Navigate(e.URL()+"/dashboard"))
	tb.waitPath(t, "/login")

	tb.fill(t, "Email", "ada@acme.example")
	tb.fill(t, "Password", "not the password")
	tb.submit(t, "Sign in", "/login")
	if got := tb.text(t); !strings.Contains(got, "The email or password is not right.") {
		t.Fatalf("a wrong password:\n%s", got)
	}
	tb.axeCheck(t, "/login with an error")
	tb.fill(t, "Password", "correct horse battery")
	tb.submit(t, "Sign in", "/dashboard")
	tb.noErrors(t)
}

// TestBrowserOverview signs in an owner made by the admin API to an
// overview with figures, checks it, and with TALLY_SCREENSHOTS=1 saves it as
// docs/screenshots/overview.png.
func TestBrowserOverview(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	var v struct {
		testenv.Vendor
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{
		"name": "Acme Rockets", "domain": "acme.example", "owner_email": "ada@acme.example"})).JSON(t, &v)
	seed(t, e, v.Vendor)

	tb.do(t, "open the owner's setup link", chromedp.Navigate(v.OwnerSetupURL))
	tb.axeCheck(t, "/setup/… (owner)")
	tb.fill(t, "Password", "correct horse battery")
	tb.submit(t, "Set password", "/dashboard")
	got := tb.text(t)
	for _, want := range []string{"Acme Rockets", "USD", "2,518.12", "EUR 19.80", "Pending"} {
		if !strings.Contains(got, want) {
			t.Errorf("the overview lacks %q:\n%s", want, got)
		}
	}
	tb.axeCheck(t, "/dashboard with figures")
	tb.fitsWidth(t, 375)
	tb.noErrors(t)

	if os.Getenv("TALLY_SCREENSHOTS") == "1" {
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "docs", "screenshots", "overview.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}

// seed gives v a reward rule, two partners with links and clicks, and
// attributed purchases in two currencies, through the JSON API.
func seed(t *testing.T, e *testenv.Env, v testenv.Vendor) {
	t.Helper()
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "percent", "percent": 2000, "hold_days": 30}}))
	for i, p := range []struct{ name, email string }{{"Grace", "grace@partners.example"}, {"Linus", "linus@partners.example"}} {
		partner := e.NewPartner(t, v, p.name, p.email)
		l := e.NewLink(t, v, partner, "https://acme.example/")
		for j := 0; j < 3+4*i; j++ {
			e.Must(t, http.StatusFound, e.Click(t, l.Key, "X-Test-Visitor", fmt.Sprint(j)))
		}
		for k, amount := range []int64{123456, 4900} {
			cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
				"email": fmt.Sprintf("c%d%d@customers.example", i, k), "partner_id": partner.ID, "reason": "seed"})).Map(t)
			currency := "usd"
			if i == 1 && k == 1 {
				currency, amount = "eur", 9900
			}
			e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
				"customer_id": cust["id"], "amount": amount, "currency": currency, "reason": "seed"}))
		}
	}
}
