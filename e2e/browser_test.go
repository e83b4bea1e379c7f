// Browser end-to-end tests of the snippet in real headless Chromium.
//
// Tally runs on http://127.0.0.1:PORT (testenv) and the vendor's pages on
// http://localhost:PORT2 (a second server bound to 127.0.0.1), so the page
// and Tally are different sites and the tally_ref cookie the snippet writes
// is first-party on the vendor host only. Each test gets its own Tally, its
// own vendor site and its own browser context (a fresh cookie jar) in one
// Chromium process shared by the package.
//
// Chromium: TALLY_TEST_CHROMIUM, else /usr/bin/chromium. Nothing ever
// downloads a browser; without one the tests skip, except on CI (CI=true)
// where they fail.
package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tally-dev/tally/internal/testenv"
)

// ---------------------------------------------------------------------------
// The shared browser.

var shared struct {
	mu     sync.Mutex
	ctx    context.Context // browser context, nil until started
	cancel []context.CancelFunc
	err    error
	dir    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	for i := len(shared.cancel) - 1; i >= 0; i-- {
		shared.cancel[i]()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	shared.mu.Unlock()
	os.Exit(code)
}

func onCI() bool {
	v := strings.TrimSpace(strings.ToLower(os.Getenv("CI")))
	return v != "" && v != "false" && v != "0"
}

// chromiumPath finds the browser, or skips the test (fails it on CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TALLY_TEST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("TALLY_TEST_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	const def = "/usr/bin/chromium"
	if _, err := os.Stat(def); err == nil {
		return def
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: %v", def, err)
	}
	if onCI() {
		t.Fatalf("no Chromium: set TALLY_TEST_CHROMIUM or install the chromium package (scripts/test.sh does); browser tests may not be skipped on CI")
	}
	t.Skipf("no Chromium at /usr/bin/chromium and TALLY_TEST_CHROMIUM unset; run scripts/test.sh or apt-get install chromium")
	return ""
}

// browser starts the package's Chromium on first use and returns its context.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ctx == nil && shared.err == nil {
		shared.err = startBrowser(path)
	}
	if shared.err != nil {
		t.Fatalf("start Chromium %s: %v", path, shared.err)
	}
	return shared.ctx
}

func startBrowser(path string) error {
	dir, err := os.MkdirTemp("", "tally-e2e-chromium-")
	if err != nil {
		return err
	}
	shared.dir = dir
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs the tests as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		// Headless Chromium says "HeadlessChrome", which Tally rightly takes
		// for a bot (no click token). Present the desktop Chrome a visitor has.
		chromedp.UserAgent(testenv.BrowserUA),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	shared.cancel = append(shared.cancel, acancel, bcancel)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		return err
	}
	shared.ctx = bctx
	return nil
}

// ---------------------------------------------------------------------------
// The vendor's site: pages on http://localhost:PORT.

type site struct {
	base  string // http://localhost:PORT
	mu    sync.Mutex
	pages map[string]string
	hits  map[string][]string // path -> raw queries of the GETs it served
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{pages: map[string]string{}, hits: map[string][]string{}}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	s.base = "http://localhost:" + port
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	html, ok := s.pages[r.URL.Path]
	if ok {
		s.hits[r.URL.Path] = append(s.hits[r.URL.Path], r.URL.RawQuery)
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, html)
}

func (s *site) page(path, html string) {
	s.mu.Lock()
	s.pages[path] = html
	s.mu.Unlock()
}

// lastQuery returns the query string of the last request for path.
func (s *site) lastQuery(t *testing.T, path string) url.Values {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hits[path]
	if len(h) == 0 {
		t.Fatalf("the vendor site never served %s", path)
	}
	q, err := url.ParseQuery(h[len(h)-1])
	if err != nil {
		t.Fatalf("query of %s: %v", path, err)
	}
	return q
}

// The stub, exactly as the design shows it.
const stub = `<script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>`

// readyMarker is queued like any call and replayed once the snippet runs.
const readyMarker = `<script>tally('ready', function (ref) { window.__readyCount = (window.__readyCount || 0) + 1; window.__ready = true; });</script>`

func htmlPage(parts ...string) string {
	return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Vendor</title>\n" +
		strings.Join(parts, "\n") + "\n</head><body><h1>Vendor app</h1></body></html>\n"
}

// ---------------------------------------------------------------------------
// The harness: one Tally, one vendor, one site, one tab.

type harness struct {
	e    *testenv.Env
	v    testenv.Vendor
	site *site
	ctx  context.Context

	mu         sync.Mutex
	console    []consoleMsg
	exceptions []string
}

type consoleMsg struct{ level, text string }

func newHarness(t *testing.T) *harness {
	t.Helper()
	bctx := browser(t)
	e := testenv.New(t)
	h := &harness{e: e, v: e.NewVendor(t, "Acme"), site: newSite(t)}

	// A tab in its own browser context: a cookie jar of its own.
	tab, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, cancelT := context.WithTimeout(tab, 45*time.Second)
	t.Cleanup(cancelT)
	h.ctx = ctx
	if err := chromedp.Listen(tab, h.onEvent); err != nil {
		t.Fatalf("listen: %v", err)
	}
	return h
}

// onEvent runs on the browser's reader goroutine: record and return.
func (h *harness) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			var s string
			if a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil {
				parts = append(parts, s)
			} else if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		h.mu.Lock()
		h.console = append(h.console, consoleMsg{string(ev.Type), strings.Join(parts, " ")})
		h.mu.Unlock()
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		h.mu.Lock()
		h.exceptions = append(h.exceptions, fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1))
		h.mu.Unlock()
	}
}

func (h *harness) consoleMsgs(levels ...string) []consoleMsg {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []consoleMsg
	for _, m := range h.console {
		for _, l := range levels {
			if m.level == l {
				out = append(out, m)
			}
		}
	}
	return out
}

// noErrors fails on any console error or warning and any uncaught exception
// (including unhandled promise rejections) seen so far in the tab.
func (h *harness) noErrors(t *testing.T) {
	t.Helper()
	if msgs := h.consoleMsgs("error", "warning", "assert"); len(msgs) > 0 {
		t.Errorf("console errors/warnings: %+v", msgs)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.exceptions) > 0 {
		t.Errorf("uncaught exceptions: %q", h.exceptions)
	}
}

func (h *harness) tag() string {
	return fmt.Sprintf(`<script async src="%s/snippet.js" data-key="%s"></script>`, h.e.URL(), h.v.PublicKey)
}

// standardPage is the integration the design shows, plus the ready marker.
func (h *harness) standardPage() string { return htmlPage(stub, h.tag(), readyMarker) }

func (h *harness) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(h.ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, h *harness, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(h.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitReady waits until the snippet replayed the page's tally('ready', …).
func (h *harness) waitReady(t *testing.T, cond string) {
	t.Helper()
	if cond == "" {
		cond = "window.__ready === true"
	}
	h.do(t, "wait for the snippet ("+cond+")",
		chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
}

// open navigates (following redirects) and waits for the snippet.
func (h *harness) open(t *testing.T, u string) {
	t.Helper()
	h.do(t, "navigate to "+u, chromedp.Navigate(u))
	h.waitReady(t, "")
}

// click follows a partner's link in the browser like a visitor and returns
// the token that Tally's redirect put in the landing URL.
func (h *harness) click(t *testing.T, l testenv.Link, landingPath string) string {
	t.Helper()
	h.open(t, h.e.URL()+"/r/"+l.Key)
	tok := h.site.lastQuery(t, landingPath).Get("tally_ref")
	if tok == "" {
		t.Fatalf("the redirect of link %s brought no tally_ref to %s", l.Key, landingPath)
	}
	return tok
}

// refCookies returns the tally_ref values that script on the page sees.
func (h *harness) refCookies(t *testing.T) []string {
	t.Helper()
	var vals []string
	for _, c := range strings.Split(eval[string](t, h, "document.cookie"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(c), "tally_ref="); ok {
			vals = append(vals, v)
		}
	}
	return vals
}

// assertRefCookie checks the first-party cookie on the vendor host, both as
// script sees it and as the browser stores it.
func (h *harness) assertRefCookie(t *testing.T, want string) {
	t.Helper()
	if got := h.refCookies(t); len(got) != 1 || got[0] != want {
		t.Fatalf("document.cookie tally_ref = %q, want exactly [%q]", got, want)
	}
	res, err := chromedp.Call(h.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{h.site.base + "/"}})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	var found []*network.Cookie
	for _, c := range res.Cookies {
		if c.Name == "tally_ref" {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("browser has %d tally_ref cookies for %s, want 1: %+v", len(found), h.site.base, found)
	}
	c := found[0]
	minExp := float64(time.Now().Add(89 * 24 * time.Hour).Unix())
	if c.Value != want || c.Domain != "localhost" || c.Path != "/" || c.HTTPOnly || c.Session ||
		c.SameSite != network.CookieSameSiteLax || c.Expires < minExp {
		t.Fatalf("tally_ref cookie = %+v; want value %q, host-only on localhost, path /, script-readable, SameSite=Lax, ~90 days", *c, want)
	}
}

type customer struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
	PartnerID  string `json:"partner_id"`
	LinkID     string `json:"link_id"`
	Reason     string `json:"reason"`
}

func (h *harness) customers(t *testing.T, email string) []customer {
	t.Helper()
	var list struct {
		Data []customer `json:"data"`
	}
	h.e.Must(t, http.StatusOK, h.e.Do(t, "GET", "/v1/customers?email="+url.QueryEscape(email), h.v.SecretKey, nil)).JSON(t, &list)
	return list.Data
}

// waitCustomer polls the vendor API until the customer exists (the signup
// request is in flight from the page), for at most ~10 s.
func (h *harness) waitCustomer(t *testing.T, email string) customer {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if cs := h.customers(t, email); len(cs) > 0 {
			if len(cs) != 1 {
				t.Fatalf("%d customers for %s, want 1: %+v", len(cs), email, cs)
			}
			return cs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no customer %s after 10 s; console %+v; server log:\n%s", email, h.consoleMsgs("error", "warning", "log"), h.e.LogText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *harness) assertCustomer(t *testing.T, c customer, email, name, extID string, p testenv.Partner, l testenv.Link) {
	t.Helper()
	if c.Email != email || c.Name != name || c.ExternalID != extID {
		t.Errorf("customer = %+v, want email %s, name %s, external_id %s", c, email, name, extID)
	}
	if c.PartnerID != p.ID || c.LinkID != l.ID {
		t.Errorf("customer %s: partner_id %q link_id %q (reason %q), want partner %s (%s) via link %s",
			email, c.PartnerID, c.LinkID, c.Reason, p.ID, p.Email, l.ID)
	}
}

type pingRow struct {
	VendorID  string `bun:"vendor_id"`
	PublicKey string `bun:"public_key"`
	Origin    string `bun:"origin"`
	Pings     int64  `bun:"pings"`
}

// pingRows writes the buffered pings and reads snippet_pages for path.
func (h *harness) pingRows(t *testing.T, path string) []pingRow {
	t.Helper()
	ctx := context.Background()
	if err := h.e.App.Pings.Flush(ctx); err != nil {
		t.Fatalf("flush pings: %v", err)
	}
	var rows []pingRow
	if err := h.e.App.Store.DB().NewRaw(
		"SELECT vendor_id, public_key, origin, pings FROM snippet_pages WHERE path = ?", path).Scan(ctx, &rows); err != nil {
		t.Fatalf("read snippet_pages: %v", err)
	}
	return rows
}

// waitPings polls until path has at least one ping recorded (bounded).
func (h *harness) waitPings(t *testing.T, path string) []pingRow {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if rows := h.pingRows(t, path); len(rows) > 0 {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ping recorded for %s after 10 s; server log:\n%s", path, h.e.LogText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sumPings(rows []pingRow) (n int64) {
	for _, r := range rows {
		n += r.Pings
	}
	return n
}

// setup creates partners and their links to the site's /landing?plan=pro#pricing.
func (h *harness) partner(t *testing.T, name, email string) (testenv.Partner, testenv.Link) {
	t.Helper()
	p := h.e.NewPartner(t, h.v, name, email)
	return p, h.e.NewLink(t, h.v, p, h.site.base+"/landing?plan=pro#pricing")
}

// ---------------------------------------------------------------------------
// Tests.

// Partner A's click, then partner B's: the first-party cookie follows the
// last click, tally_ref leaves the address bar, and a signup queued before
// the snippet loaded credits B.
func TestBrowserLastClickWins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, lA := h.partner(t, "Alice", "alice@partners.example")
	pB, lB := h.partner(t, "Bob", "bob@partners.example")
	h.site.page("/landing", h.standardPage())
	h.site.page("/signup", htmlPage(stub,
		`<script>tally('signup', {email: 'ada@example.com', name: 'Ada', external_id: 'cus_1'}); window.__queued = Array.isArray(tally.q) && tally.q.length > 0;</script>`,
		h.tag(), readyMarker))

	wantHref := h.site.base + "/landing?plan=pro#pricing"

	tokA := h.click(t, lA, "/landing")
	if got := h.site.lastQuery(t, "/landing").Get("plan"); got != "pro" {
		t.Fatalf("landing query plan = %q, want pro", got)
	}
	h.assertRefCookie(t, tokA)
	if href := eval[string](t, h, "location.href"); href != wantHref {
		t.Fatalf("after A's click location.href = %s, want %s (tally_ref removed, query and hash kept)", href, wantHref)
	}
	if ref := eval[string](t, h, "tally('ref')"); ref != tokA {
		t.Fatalf("tally('ref') = %q, want A's token", ref)
	}

	h.e.Clock.Advance(time.Minute) // B's click is strictly newer
	tokB := h.click(t, lB, "/landing")
	if tokB == tokA {
		t.Fatal("both clicks got the same token")
	}
	h.assertRefCookie(t, tokB)
	if href := eval[string](t, h, "location.href"); href != wantHref {
		t.Fatalf("after B's click location.href = %s, want %s", href, wantHref)
	}

	h.e.Clock.Advance(time.Minute)
	h.open(t, h.site.base+"/signup")
	if !eval[bool](t, h, "window.__queued === true") {
		t.Fatal("the signup call was not queued by the stub (the snippet ran before it?)")
	}
	if ref := eval[string](t, h, "tally('ref')"); ref != tokB {
		t.Fatalf("on a later page tally('ref') = %q, want B's token", ref)
	}
	c := h.waitCustomer(t, "ada@example.com")
	h.assertCustomer(t, c, "ada@example.com", "Ada", "cus_1", pB, lB)
	h.noErrors(t)
}

// tally('signup') after the snippet loaded resolves once the signup is
// recorded; tally('ref') returns the cookie's token on a page without one in
// its URL.
func TestBrowserSignupAfterLoad(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pA, lA := h.partner(t, "Alice", "alice@partners.example")
	h.site.page("/landing", h.standardPage())
	h.site.page("/app", h.standardPage())

	tok := h.click(t, lA, "/landing")
	h.open(t, h.site.base+"/app")
	if q := h.site.lastQuery(t, "/app"); q.Has("tally_ref") {
		t.Fatalf("/app was requested with a tally_ref: %v", q)
	}
	if ref := eval[*string](t, h, "tally('ref')"); ref == nil || *ref != tok {
		t.Fatalf("tally('ref') = %v, want the clicked token %q", ref, tok)
	}
	if got := h.refCookies(t); len(got) != 1 || got[0] != tok {
		t.Fatalf("tally_ref cookie = %q, want [%q]", got, tok)
	}

	ans := eval[map[string]any](t, h,
		`tally('signup', {email: 'grace@example.com', name: 'Grace', external_id: 'cus_2'})`, chromedp.EvalAwaitPromise)
	if ans["status"] != "recorded" || ans["attributed"] != true {
		t.Fatalf("signup answer = %v, want {status: recorded, attributed: true}", ans)
	}
	// The answer came after the commit: the customer is there, no polling.
	cs := h.customers(t, "grace@example.com")
	if len(cs) != 1 {
		t.Fatalf("customers for grace@example.com right after the signup resolved: %+v, want 1", cs)
	}
	h.assertCustomer(t, cs[0], "grace@example.com", "Grace", "cus_2", pA, lA)
	h.noErrors(t)
}

// A snippet tag without data-key: one clear console error, a ping recording
// the misconfiguration, and no uncaught error (not even from a queued signup).
func TestBrowserMissingKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.site.page("/nokey", htmlPage(stub,
		`<script>tally('signup', {email: 'nokey@example.com', name: 'No Key', external_id: 'cus_nk'});</script>`,
		fmt.Sprintf(`<script async src="%s/snippet.js"></script>`, h.e.URL()),
		readyMarker))

	h.open(t, h.site.base+"/nokey")
	if !eval[bool](t, h, "tally('ref') === null && typeof tally === 'function'") {
		t.Fatal("without a key, tally('ref') should be null and tally a function")
	}
	// The rejected signup is handled: give it a round trip to surface.
	if msg := eval[string](t, h, `tally('signup', {email: 'x@example.com'}).then(() => 'resolved', (e) => 'rejected: ' + e.message)`,
		chromedp.EvalAwaitPromise); !strings.HasPrefix(msg, "rejected:") {
		t.Fatalf("signup without a key: %s, want a rejection", msg)
	}

	rows := h.waitPings(t, "/nokey")
	if len(rows) != 1 || rows[0].VendorID != "" || rows[0].PublicKey != "" || rows[0].Pings != 1 || rows[0].Origin != h.site.base {
		t.Fatalf("snippet_pages for /nokey = %+v, want one row: vendor '' key '' origin %s pings 1", rows, h.site.base)
	}

	errs := h.consoleMsgs("error")
	if len(errs) != 1 || !strings.Contains(errs[0].text, "data-key") {
		t.Errorf("console errors = %+v, want exactly one mentioning data-key", errs)
	}
	if w := h.consoleMsgs("warning", "assert"); len(w) > 0 {
		t.Errorf("console warnings = %+v, want none", w)
	}
	h.mu.Lock()
	if len(h.exceptions) > 0 {
		t.Errorf("uncaught exceptions: %q", h.exceptions)
	}
	h.mu.Unlock()
	if cs := h.customers(t, "nokey@example.com"); len(cs) != 0 {
		t.Errorf("a signup without a key recorded a customer: %+v", cs)
	}
}

// Page code that sets window.tally.data before and after the snippet loads
// breaks nothing: queued and later signups are both credited.
func TestBrowserOverwrittenData(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pA, lA := h.partner(t, "Alice", "alice@partners.example")
	h.site.page("/landing", h.standardPage())
	h.site.page("/data", htmlPage(stub,
		`<script>window.tally.data = {x: 1}; tally('signup', {email: 'carol@example.com', name: 'Carol', external_id: 'cus_3'});</script>`,
		h.tag(),
		`<script>tally('ready', function () { window.tally.data = {x: 1}; window.__ready = true; });</script>`))

	tok := h.click(t, lA, "/landing")
	h.open(t, h.site.base+"/data")
	eval[chromedp.Void](t, h, `window.tally.data = {x: 2}; window.tally.other = 'y'`)
	if !eval[bool](t, h, `typeof tally === 'function' && tally.data.x === 2`) {
		t.Fatal("window.tally lost its function or the page's data")
	}
	if ref := eval[string](t, h, "tally('ref')"); ref != tok {
		t.Fatalf("tally('ref') = %q, want %q", ref, tok)
	}
	c := h.waitCustomer(t, "carol@example.com")
	h.assertCustomer(t, c, "carol@example.com", "Carol", "cus_3", pA, lA)

	ans := eval[map[string]any](t, h,
		`tally('signup', {email: 'dave@example.com', name: 'Dave', external_id: 'cus_4'})`, chromedp.EvalAwaitPromise)
	if ans["attributed"] != true {
		t.Fatalf("signup answer = %v", ans)
	}
	cs := h.customers(t, "dave@example.com")
	if len(cs) != 1 {
		t.Fatalf("customers for dave@example.com: %+v", cs)
	}
	h.assertCustomer(t, cs[0], "dave@example.com", "Dave", "cus_4", pA, lA)
	h.noErrors(t)
}

// The snippet loaded twice (two tags, then a third injected later): one
// ping, one replay of the queue, and signups still work.
func TestBrowserSnippetTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pA, lA := h.partner(t, "Alice", "alice@partners.example")
	tagLoaded := fmt.Sprintf(`<script async src="%s/snippet.js" data-key="%s" onload="window.__loads = (window.__loads || 0) + 1"></script>`,
		h.e.URL(), h.v.PublicKey)
	h.site.page("/landing", h.standardPage())
	h.site.page("/twice", htmlPage(stub,
		`<script>tally('signup', {email: 'erin@example.com', name: 'Erin', external_id: 'cus_5'});</script>`,
		tagLoaded, tagLoaded, readyMarker))
	h.site.page("/after", h.standardPage())

	tok := h.click(t, lA, "/landing")
	h.do(t, "open /twice", chromedp.Navigate(h.site.base+"/twice"))
	h.waitReady(t, "window.__ready === true && window.__loads === 2")
	// A third copy, added later as a tag manager would.
	eval[chromedp.Void](t, h, fmt.Sprintf(`new Promise((resolve, reject) => {
		const s = document.createElement('script');
		s.src = %q; s.async = true; s.dataset.key = %q;
		s.onload = resolve; s.onerror = () => reject(new Error('load failed'));
		document.head.appendChild(s);
	})`, h.e.URL()+"/snippet.js", h.v.PublicKey), chromedp.EvalAwaitPromise)

	if n := eval[int](t, h, "window.__readyCount"); n != 1 {
		t.Fatalf("the queued ready callback ran %d times, want 1", n)
	}
	if ref := eval[string](t, h, "tally('ref')"); ref != tok {
		t.Fatalf("tally('ref') = %q, want %q", ref, tok)
	}
	c := h.waitCustomer(t, "erin@example.com")
	h.assertCustomer(t, c, "erin@example.com", "Erin", "cus_5", pA, lA)
	ans := eval[map[string]any](t, h,
		`tally('signup', {email: 'frank@example.com', name: 'Frank', external_id: 'cus_6'})`, chromedp.EvalAwaitPromise)
	if ans["attributed"] != true {
		t.Fatalf("signup answer = %v", ans)
	}
	cs := h.customers(t, "frank@example.com")
	if len(cs) != 1 {
		t.Fatalf("customers for frank@example.com: %+v", cs)
	}
	h.assertCustomer(t, cs[0], "frank@example.com", "Frank", "cus_6", pA, lA)

	// A later page's ping has landed, so any extra ping from /twice has too.
	h.open(t, h.site.base+"/after")
	h.waitPings(t, "/after")
	if rows := h.pingRows(t, "/twice"); sumPings(rows) != 1 || len(rows) != 1 || rows[0].VendorID != h.v.ID {
		t.Fatalf("snippet_pages for /twice = %+v, want one row of vendor %s with 1 ping", rows, h.v.ID)
	}
	h.noErrors(t)
}
