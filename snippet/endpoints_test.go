package snippet_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// These tests run against the real router on a fresh database: SQLite by
// default, PostgreSQL when TALLY_TEST_DB holds its URL.

const day = 24 * time.Hour

type fixture struct {
	*testenv.Env
	v      testenv.Vendor
	pa, pb testenv.Partner
	la, lb testenv.Link
}

// noLimit lifts the snippet rate limit for tests that are not about it.
func noLimit(c *app.Config) { c.SnippetRate, c.SnippetBurst = 10000, 10000 }

// setup starts Tally with a vendor, partners A and B and a link each.
func setup(t *testing.T, opts ...testenv.Option) *fixture {
	t.Helper()
	e := testenv.New(t, append([]testenv.Option{noLimit}, opts...)...)
	v := e.NewVendor(t, "Acme")
	pa := e.NewPartner(t, v, "Ada", "ada@partners.example")
	pb := e.NewPartner(t, v, "Bob", "bob@partners.example")
	return &fixture{
		Env: e, v: v, pa: pa, pb: pb,
		la: e.NewLink(t, v, pa, "https://shop.example/a"),
		lb: e.NewLink(t, v, pb, "https://shop.example/b"),
	}
}

// token clicks l and returns the click token the redirect carries.
func (f *fixture) token(t *testing.T, l testenv.Link) string {
	t.Helper()
	r := f.Must(t, http.StatusFound, f.Click(t, l.Key))
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get(attribution.RefParam)
	if tok == "" {
		t.Fatalf("no %s in %s", attribution.RefParam, r.Header.Get("Location"))
	}
	return tok
}

// customers lists the vendor's customers matching query.
func (f *fixture) customers(t *testing.T, query string) []attribution.Customer {
	t.Helper()
	var list struct {
		Data []attribution.Customer `json:"data"`
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/customers?"+query, f.v.SecretKey, nil)).JSON(t, &list)
	return list.Data
}

// customer returns the one customer matching query.
func (f *fixture) customer(t *testing.T, query string) attribution.Customer {
	t.Helper()
	list := f.customers(t, query)
	if len(list) != 1 {
		t.Fatalf("customers?%s: %d customers, want 1: %+v", query, len(list), list)
	}
	var c attribution.Customer
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/customers/"+list[0].ID, f.v.SecretKey, nil)).JSON(t, &c)
	if c.ID != list[0].ID || c.PartnerID != list[0].PartnerID || c.Reason != list[0].Reason {
		t.Fatalf("GET /v1/customers/%s = %+v, list said %+v", list[0].ID, c, list[0])
	}
	return c
}

// count counts rows of a table.
func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	n, err := f.App.Store.DB().NewSelect().Table(table).Count(t.Context())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// nothingRecorded fails unless no customer and no signup exist.
func (f *fixture) nothingRecorded(t *testing.T) {
	t.Helper()
	if c, s := f.count(t, "customers"), f.count(t, "signups"); c != 0 || s != 0 {
		t.Fatalf("recorded %d customers and %d signups, want none", c, s)
	}
}

func (f *fixture) disablePartner(t *testing.T, p testenv.Partner) {
	t.Helper()
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/partners/"+p.ID, f.v.SecretKey, map[string]string{"status": "disabled"}))
}

func (f *fixture) patchVendor(t *testing.T, body map[string]any) {
	t.Helper()
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/vendor", f.v.SecretKey, body))
}

// pageRow is one aggregated row of snippet_pages.
type pageRow struct {
	VendorID       string `bun:"vendor_id"`
	PublicKey      string `bun:"public_key"`
	Origin         string `bun:"origin"`
	Path           string `bun:"path"`
	Pings          int    `bun:"pings"`
	RefInURL       int    `bun:"ref_in_url"`
	CookieFailures int    `bun:"cookie_failures"`
}

// pages flushes the ping buffer and returns snippet_pages.
func (f *fixture) pages(t *testing.T) []pageRow {
	t.Helper()
	if err := f.App.Pings.Flush(t.Context()); err != nil {
		t.Fatalf("flush pings: %v", err)
	}
	var rows []pageRow
	err := f.App.Store.DB().NewSelect().Table("snippet_pages").
		Column("vendor_id", "public_key", "origin", "path", "pings", "ref_in_url", "cookie_failures").
		OrderExpr("hour").Scan(t.Context(), &rows)
	if err != nil {
		t.Fatalf("snippet_pages: %v", err)
	}
	// Byte order whatever the database's collation; hours stay in order.
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.VendorID != b.VendorID {
			return a.VendorID < b.VendorID
		}
		if a.PublicKey != b.PublicKey {
			return a.PublicKey < b.PublicKey
		}
		if a.Origin != b.Origin {
			return a.Origin < b.Origin
		}
		return a.Path < b.Path
	})
	return rows
}

func (f *fixture) ping(t *testing.T, body any, headers ...string) *testenv.Response {
	t.Helper()
	return f.Do(t, "POST", "/v1/snippet/ping", "", body, append([]string{"Content-Type", "text/plain;charset=UTF-8"}, headers...)...)
}

// wantError checks an error answer: status, JSON body, error code.
func wantError(t *testing.T, r *testenv.Response, status int, code string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, want JSON", r.Request.URL.Path, ct)
	}
	if got := r.ErrorCode(); got != code {
		t.Fatalf("%s: error code %q, want %q: %s", r.Request.URL.Path, got, code, r.Body)
	}
	var b struct {
		Error struct{ Message string } `json:"error"`
	}
	r.JSON(t, &b)
	if b.Error.Message == "" {
		t.Fatalf("%s: empty error message: %s", r.Request.URL.Path, r.Body)
	}
}

// endpoint is one of the two ways to report a signup. existing is the
// status of a signup that matches an existing customer: the public snippet
// answers 201 either way, so that it tells nobody who is a customer.
type endpoint struct {
	name     string
	existing int
	post     func(t *testing.T, f *fixture, body map[string]any, headers ...string) *testenv.Response
}

var signupEndpoints = []endpoint{
	{"Snippet", http.StatusCreated, func(t *testing.T, f *fixture, body map[string]any, headers ...string) *testenv.Response {
		t.Helper()
		b := maps.Clone(body)
		b["public_key"] = f.v.PublicKey
		return f.Do(t, "POST", "/v1/snippet/signup", "", b, headers...)
	}},
	{"API", http.StatusOK, func(t *testing.T, f *fixture, body map[string]any, headers ...string) *testenv.Response {
		t.Helper()
		return f.Do(t, "POST", "/v1/signups", f.v.SecretKey, body, headers...)
	}},
}

func forEachEndpoint(t *testing.T, fn func(t *testing.T, ep endpoint)) {
	for _, ep := range signupEndpoints {
		t.Run(ep.name, func(t *testing.T) { fn(t, ep) })
	}
}

func TestSignup_HappyPath(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		f := setup(t)
		ref := f.token(t, f.la)
		r := f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{
			"ref": ref, "email": " Carol@Example.COM ", "name": "Carol", "external_id": "user_1",
		}, "Origin", "https://shop.example", "User-Agent", testenv.BrowserUA))
		if ep.name == "Snippet" {
			var a struct {
				Status     string `json:"status"`
				Attributed bool   `json:"attributed"`
			}
			r.JSON(t, &a)
			if !a.Attributed || a.Status != "recorded" {
				t.Fatalf("answer %s", r.Body)
			}
			if r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
				t.Fatalf("ACAO = %q", r.Header.Get("Access-Control-Allow-Origin"))
			}
		} else {
			var a struct {
				Created  bool                 `json:"created"`
				Customer attribution.Customer `json:"customer"`
			}
			r.JSON(t, &a)
			if !a.Created || a.Customer.PartnerID != f.pa.ID {
				t.Fatalf("answer %s", r.Body)
			}
		}
		c := f.customer(t, "external_id=user_1")
		if c.PartnerID != f.pa.ID || c.LinkID != f.la.ID || c.ClickID == "" || c.ClickedAt == nil ||
			c.AttributedBy != attribution.AttributedByClick || c.Reason != "" || c.SelfReferral {
			t.Fatalf("customer %+v, want attributed to A by click", c)
		}
		if c.Email != "carol@example.com" || c.Name != "Carol" || c.VendorID != f.v.ID {
			t.Fatalf("customer %+v", c)
		}
		if !c.ClickedAt.Equal(f.Clock.Now()) {
			t.Fatalf("clicked_at %v, want %v", c.ClickedAt, f.Clock.Now())
		}
		if got := f.customer(t, "email=CAROL@example.com"); got.ID != c.ID {
			t.Fatalf("by email: %s, want %s", got.ID, c.ID)
		}
		if got := f.customer(t, "partner_id="+f.pa.ID+"&status=attributed"); got.ID != c.ID {
			t.Fatalf("by partner: %s, want %s", got.ID, c.ID)
		}
		if n := len(f.customers(t, "status=unattributed")); n != 0 {
			t.Fatalf("%d unattributed customers", n)
		}
		if n := len(f.customers(t, "partner_id="+f.pb.ID)); n != 0 {
			t.Fatalf("%d customers of B", n)
		}
		var sg struct {
			Source, Outcome, PartnerID string
			TokenPresent               bool
		}
		err := f.App.Store.DB().NewSelect().Table("signups").Column("source", "outcome", "partner_id", "token_present").
			Scan(t.Context(), &sg.Source, &sg.Outcome, &sg.PartnerID, &sg.TokenPresent)
		if err != nil {
			t.Fatal(err)
		}
		wantSource := attribution.SourceSnippet
		if ep.name == "API" {
			wantSource = attribution.SourceAPI
		}
		if sg.Source != wantSource || sg.Outcome != attribution.OutcomeAttributed || sg.PartnerID != f.pa.ID || !sg.TokenPresent {
			t.Fatalf("signup event %+v", sg)
		}
	})
}

func TestSignup_SelfReferral(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		f := setup(t)
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"ref": f.token(t, f.la), "email": "ADA@partners.example"}))
		c := f.customer(t, "email=ada@partners.example")
		if c.PartnerID != f.pa.ID || !c.SelfReferral {
			t.Fatalf("customer %+v, want attributed to A and flagged self-referral", c)
		}
	})
}

func TestSignup_Reattribution(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		if ep.name == "Snippet" {
			return // the public snippet never changes an existing customer: TestSnippetSignup_NeverChangesExistingCustomer
		}
		f := setup(t)
		refA := f.token(t, f.la)
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"ref": refA, "external_id": "user_1"}))
		first := f.customer(t, "external_id=user_1")
		if first.PartnerID != f.pa.ID {
			t.Fatalf("first signup: %+v", first)
		}

		f.Clock.Advance(3 * day)
		refB := f.token(t, f.lb)
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"ref": refB, "external_id": "user_1"}))
		c := f.customer(t, "external_id=user_1")
		if c.ID != first.ID || c.PartnerID != f.pb.ID || c.LinkID != f.lb.ID || !c.ClickedAt.Equal(f.Clock.Now()) {
			t.Fatalf("after B's newer click: %+v, want re-attributed to B", c)
		}

		// An older token of A, and no token at all, keep B.
		f.Clock.Advance(time.Hour)
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"ref": refA, "external_id": "user_1"}))
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"external_id": "user_1"}))
		if c := f.customer(t, "external_id=user_1"); c.PartnerID != f.pb.ID {
			t.Fatalf("after A's older click: %+v, want still B", c)
		}

		// A newer click of A takes the customer back.
		f.Clock.Advance(time.Hour)
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"ref": f.token(t, f.la), "external_id": "user_1"}))
		if c := f.customer(t, "external_id=user_1"); c.PartnerID != f.pa.ID || !c.ClickedAt.Equal(f.Clock.Now()) {
			t.Fatalf("after A's newest click: %+v, want A", c)
		}

		var outcomes []string
		err := f.App.Store.DB().NewSelect().Table("signups").Column("outcome").OrderExpr("id").Scan(t.Context(), &outcomes)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{attribution.OutcomeAttributed, attribution.OutcomeReattributed, attribution.OutcomeKept, attribution.OutcomeKept, attribution.OutcomeReattributed}
		if fmt.Sprint(outcomes) != fmt.Sprint(want) {
			t.Fatalf("outcomes %v, want %v", outcomes, want)
		}
	})
}

func TestSignup_ServerCookieSecondSource(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		f := setup(t)
		older := f.token(t, f.la)
		f.Clock.Advance(time.Hour)
		newer := f.token(t, f.lb)
		for _, tc := range []struct {
			name, body, cookie string
			want               string
		}{
			{"NewerCookie", older, newer, f.pb.ID},
			{"NewerBody", newer, older, f.pb.ID},
			{"CookieOnly", "", older, f.pa.ID},
			{"BodyOnly", older, "", f.pa.ID},
			{"TamperedCookie", older, tamper(newer), f.pa.ID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var headers []string
				if tc.cookie != "" {
					headers = []string{"Cookie", attribution.RefParam + "=" + tc.cookie}
				}
				body := map[string]any{"external_id": "user_" + tc.name}
				if tc.body != "" {
					body["ref"] = tc.body
				}
				f.Must(t, http.StatusCreated, ep.post(t, f, body, headers...))
				if c := f.customer(t, "external_id=user_"+tc.name); c.PartnerID != tc.want {
					t.Fatalf("partner %q, want %q", c.PartnerID, tc.want)
				}
			})
		}
	})
}

func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestSignup_UnattributedReasons(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		f := setup(t)
		wantReason := func(externalID, reason string) {
			t.Helper()
			c := f.customer(t, "external_id="+externalID)
			if c.PartnerID != "" || c.Reason != reason || c.AttributedBy != "" {
				t.Fatalf("%s: customer %+v, want unattributed with reason %s", externalID, c, reason)
			}
			if list := f.customers(t, "status=unattributed&external_id="+externalID); len(list) != 1 {
				t.Fatalf("%s not listed as unattributed", externalID)
			}
		}

		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "no_token", "email": "n@example.com"}))
		wantReason("no_token", attribution.ReasonNoToken)

		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "tampered", "ref": tamper(f.token(t, f.la))}))
		wantReason("tampered", attribution.ReasonInvalidToken)

		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "garbage", "ref": "not-a-token"}))
		wantReason("garbage", attribution.ReasonInvalidToken)

		other := f.NewVendor(t, "Globex")
		op := f.NewPartner(t, other, "Olga", "olga@partners.example")
		ol := f.NewLink(t, other, op, "https://globex.example/")
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "other_vendor", "ref": f.token(t, ol)}))
		wantReason("other_vendor", attribution.ReasonOtherVendor)

		// The window: a click exactly 90 days old counts, one second more does not.
		old := f.token(t, f.la)
		f.Clock.Advance(90 * day)
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "edge", "ref": old}))
		if c := f.customer(t, "external_id=edge"); c.PartnerID != f.pa.ID {
			t.Fatalf("click exactly 90 days old: %+v, want attributed", c)
		}
		f.Clock.Advance(time.Second)
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "expired", "ref": old}))
		wantReason("expired", attribution.ReasonExpired)

		// The vendor's own window.
		f.patchVendor(t, map[string]any{"attribution_window_days": 30})
		old = f.token(t, f.la)
		f.Clock.Advance(30*day + time.Second)
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "expired30", "ref": old}))
		wantReason("expired30", attribution.ReasonExpired)

		refA, refB := f.token(t, f.la), f.token(t, f.lb)
		f.disablePartner(t, f.pa)
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "disabled", "ref": refA}))
		wantReason("disabled", attribution.ReasonPartnerDisabled)

		f.Must(t, http.StatusOK, f.Do(t, "DELETE", "/v1/links/"+f.lb.ID, f.v.SecretKey, nil))
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"external_id": "archived", "ref": refB}))
		wantReason("archived", attribution.ReasonLinkArchived)

	})
}

func TestSignup_Duplicate(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		f := setup(t)
		ref := f.token(t, f.la)
		body := map[string]any{"ref": ref, "external_id": "user_1", "email": "dup@example.com"}
		first := f.Must(t, http.StatusCreated, ep.post(t, f, body))
		second := f.Must(t, ep.existing, ep.post(t, f, body))
		if ep.name == "API" {
			var a, b struct {
				Created  bool                 `json:"created"`
				Customer attribution.Customer `json:"customer"`
			}
			first.JSON(t, &a)
			second.JSON(t, &b)
			if !a.Created || b.Created || a.Customer.ID != b.Customer.ID {
				t.Fatalf("first %s, second %s", first.Body, second.Body)
			}
		}
		if n := f.count(t, "customers"); n != 1 {
			t.Fatalf("%d customers, want 1", n)
		}
		if n := f.count(t, "signups"); n != 2 {
			t.Fatalf("%d signup events, want 2", n)
		}
		if c := f.customer(t, "external_id=user_1"); c.PartnerID != f.pa.ID {
			t.Fatalf("customer %+v", c)
		}
	})
}

func TestSignup_Race(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		for _, tc := range []struct {
			name string
			body map[string]any
		}{
			{"Email", map[string]any{"email": "Race@Example.com", "name": "Racer"}},
			{"ExternalID", map[string]any{"external_id": "user_race", "email": "race2@example.com"}},
		} {
			body := tc.body
			t.Run(tc.name, func(t *testing.T) {
				f := setup(t)
				b := maps.Clone(body)
				b["ref"] = f.token(t, f.la)
				path, auth := "/v1/signups", f.v.SecretKey
				if ep.name == "Snippet" {
					path, auth = "/v1/snippet/signup", ""
					b["public_key"] = f.v.PublicKey
				}
				const n = 20
				statuses := make([]int, n)
				errs := make([]error, n)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						<-start
						statuses[i], errs[i] = rawPost(t, f.URL()+path, auth, b)
					})
				}
				close(start)
				wg.Wait()
				created := 0
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("request %d: %v", i, errs[i])
					}
					switch statuses[i] {
					case http.StatusCreated:
						created++
					case http.StatusOK:
					default:
						t.Fatalf("request %d: status %d", i, statuses[i])
					}
				}
				if want := 1; ep.existing == http.StatusCreated {
					if created != n {
						t.Errorf("%d answers 201, want all %d (the snippet answers alike)", created, n)
					}
				} else if created != want {
					t.Errorf("%d answers 201, want exactly 1", created)
				}
				if c := f.count(t, "customers"); c != 1 {
					t.Fatalf("%d customers, want 1", c)
				}
				if s := f.count(t, "signups"); s != n {
					t.Fatalf("%d signup events, want %d", s, n)
				}
				list := f.customers(t, "")
				if list[0].PartnerID != f.pa.ID {
					t.Fatalf("customer %+v", list[0])
				}
			})
		}
	})
}

// rawPost is safe to call from any goroutine (it never fails the test).
func rawPost(t *testing.T, u, auth string, body map[string]any) (int, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(t.Context(), "POST", u, bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func TestSignup_FindByExternalIDThenEmail(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		if ep.name == "Snippet" {
			return // it never completes an existing customer: TestSnippetSignup_NeverChangesExistingCustomer
		}
		f := setup(t)
		// By email, whatever its case and surrounding spaces.
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"email": "  Dana@Example.COM", "name": "Dana"}))
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"email": "dana@example.com  "}))
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"email": "DANA@EXAMPLE.COM", "name": "Dana S."}))
		dana := f.customer(t, "email=dana@example.com")
		if dana.Email != "dana@example.com" || dana.Name != "Dana S." {
			t.Fatalf("dana %+v", dana)
		}

		// An email-only customer is found by email and gains the external id.
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"email": "Dana@example.com", "external_id": "user_dana"}))
		if c := f.customer(t, "external_id=user_dana"); c.ID != dana.ID {
			t.Fatalf("external id went to %s, want %s", c.ID, dana.ID)
		}

		// The external id wins over the email.
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"email": "eve@example.com", "external_id": "user_eve"}))
		eve := f.customer(t, "external_id=user_eve")
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"email": "dana@example.com", "external_id": "user_eve"}))
		if c := f.customer(t, "external_id=user_eve"); c.ID != eve.ID || c.Email != "eve@example.com" {
			t.Fatalf("eve %+v", c)
		}
		// By external id alone.
		f.Must(t, http.StatusOK, ep.post(t, f, map[string]any{"external_id": "user_eve"}))

		// Another external id with a known email is another customer.
		f.Must(t, http.StatusCreated, ep.post(t, f, map[string]any{"email": "eve@example.com", "external_id": "user_eve2"}))
		if n := f.count(t, "customers"); n != 3 {
			t.Fatalf("%d customers, want 3 (dana, eve, eve2)", n)
		}
	})
}

func TestSignup_MalformedBodies(t *testing.T) {
	forEachEndpoint(t, func(t *testing.T, ep endpoint) {
		f := setup(t)
		path, auth := "/v1/signups", f.v.SecretKey
		pk := ""
		if ep.name == "Snippet" {
			path, auth = "/v1/snippet/signup", ""
			pk = fmt.Sprintf(`"public_key":%q,`, f.v.PublicKey)
		}
		for _, tc := range []struct{ name, body string }{
			{"Empty", ""},
			{"NotJSON", "email=a@b.com"},
			{"Truncated", "{" + pk + `"email":"a@b.com"`},
			{"Array", `[{"email":"a@b.com"}]`},
			{"String", `"a@b.com"`},
			{"UnknownField", "{" + pk + `"email":"a@b.com","emial":"a@b.com"}`},
			{"WrongType", "{" + pk + `"email":"a@b.com","external_id":42}`},
			{"WrongTypeRef", "{" + pk + `"email":"a@b.com","ref":{"t":1}}`},
			{"TwoObjects", "{" + pk + `"email":"a@b.com"}{"email":"c@d.com"}`},
			{"NoIdentity", "{" + pk + `"name":"Nobody"}`},
			{"BadEmail", "{" + pk + `"email":"not-an-email"}`},
			{"LongExternalID", "{" + pk + `"external_id":"` + strings.Repeat("x", 201) + `"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.body != "" {
					body = tc.body
				}
				wantError(t, f.Do(t, "POST", path, auth, body), http.StatusBadRequest, attribution.EINVALID)
				f.nothingRecorded(t)
			})
		}
	})
}

func TestSignup_Oversized(t *testing.T) {
	f := setup(t)
	big := func(n int, pk bool) string {
		s := `{"email":"big@example.com","name":"` + strings.Repeat("x", n) + `"`
		if pk {
			s += fmt.Sprintf(`,"public_key":%q`, f.v.PublicKey)
		}
		return s + "}"
	}
	for _, tc := range []struct {
		name, path, auth, body string
	}{
		{"Snippet", "/v1/snippet/signup", "", big(17<<10, true)},
		{"Ping", "/v1/snippet/ping", "", fmt.Sprintf(`{"public_key":%q,"url":"https://shop.example/%s"}`, f.v.PublicKey, strings.Repeat("p", 17<<10))},
		{"API", "/v1/signups", f.v.SecretKey, big(300<<10, false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// With a Content-Length, and chunked (no length known in advance).
			wantError(t, f.Do(t, "POST", tc.path, tc.auth, tc.body), http.StatusRequestEntityTooLarge, attribution.EINVALID)
			wantError(t, chunkedPost(t, f, tc.path, tc.auth, tc.body), http.StatusRequestEntityTooLarge, attribution.EINVALID)
			f.nothingRecorded(t)
			if rows := f.pages(t); len(rows) != 0 {
				t.Fatalf("pings recorded: %+v", rows)
			}
		})
	}
	// Just under the snippet limit is fine (JSON may carry whitespace).
	padded := fmt.Sprintf(`{"public_key":%q,"email":"big@example.com"`, f.v.PublicKey) + strings.Repeat(" ", 15<<10) + "}"
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/snippet/signup", "", padded))
	f.Must(t, http.StatusCreated, chunkedPost(t, f, "/v1/snippet/signup", "", strings.Replace(padded, "big@", "big2@", 1)))
}

func chunkedPost(t *testing.T, f *fixture, path, auth, body string) *testenv.Response {
	t.Helper()
	// A reader of unknown length makes the client send the body chunked.
	req, err := http.NewRequestWithContext(t.Context(), "POST", f.URL()+path, io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.Request.ContentLength > 0 {
		t.Fatalf("request was not chunked")
	}
	return &testenv.Response{Response: resp, Body: data}
}

func TestSnippet_PublicKeys(t *testing.T) {
	f := setup(t)
	other := f.NewVendor(t, "Globex")
	for _, tc := range []struct {
		name   string
		key    any // nil: field absent
		status int
		code   string
	}{
		{"Missing", nil, http.StatusBadRequest, attribution.EINVALID},
		{"Empty", "", http.StatusBadRequest, attribution.EINVALID},
		{"Blank", "   ", http.StatusBadRequest, attribution.EINVALID},
		{"Unknown", "pk_unknownunknownunknown0", http.StatusUnauthorized, attribution.EUNAUTHORIZED},
		{"Malformed", "hello", http.StatusUnauthorized, attribution.EUNAUTHORIZED},
		{"SecretKey", f.v.SecretKey, http.StatusUnauthorized, attribution.EUNAUTHORIZED},
		{"OtherSecretKey", other.SecretKey, http.StatusUnauthorized, attribution.EUNAUTHORIZED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"email": "k@example.com", "ref": f.token(t, f.la)}
			if tc.key != nil {
				body["public_key"] = tc.key
			}
			wantError(t, f.Do(t, "POST", "/v1/snippet/signup", "", body), tc.status, tc.code)
			q := ""
			if s, ok := tc.key.(string); ok {
				q = "?public_key=" + url.QueryEscape(s)
			}
			wantError(t, f.Do(t, "GET", "/v1/snippet/config"+q, "", nil), tc.status, tc.code)
			f.nothingRecorded(t)
		})
	}
	// The other vendor's public key records the signup for the other vendor.
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": other.PublicKey, "email": "k@example.com"}))
	if n := len(f.customers(t, "")); n != 0 {
		t.Fatalf("%d customers for Acme, want 0", n)
	}
	for _, secret := range []string{f.v.SecretKey, other.SecretKey} {
		if strings.Contains(f.LogText(), secret) {
			t.Fatalf("a secret key appears in the logs")
		}
	}
}

func TestAPISignup_Auth(t *testing.T) {
	f := setup(t)
	other := f.NewVendor(t, "Globex")
	body := map[string]any{"email": "a@example.com"}
	for _, tc := range []struct{ name, token string }{
		{"None", ""},
		{"PublicKey", f.v.PublicKey},
		{"UnknownSecret", "sk_" + strings.Repeat("x", 40)},
		{"PartnerToken", f.pa.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.Do(t, "POST", "/v1/signups", tc.token, body), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
			f.nothingRecorded(t)
		})
	}
	t.Run("OtherVendorsPublicKey", func(t *testing.T) {
		b := map[string]any{"email": "a@example.com", "public_key": other.PublicKey}
		wantError(t, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, b), http.StatusBadRequest, attribution.EINVALID)
		wantError(t, f.Do(t, "POST", "/v1/signups", other.SecretKey, map[string]any{"email": "a@example.com", "public_key": f.v.PublicKey}), http.StatusBadRequest, attribution.EINVALID)
		f.nothingRecorded(t)
	})
	t.Run("OwnPublicKey", func(t *testing.T) {
		b := map[string]any{"email": "a@example.com", "public_key": f.v.PublicKey}
		f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, b))
	})
	// The other vendor's secret key sees none of Acme's customers and
	// cannot attribute to Acme's partners.
	t.Run("Scoped", func(t *testing.T) {
		f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/signups", other.SecretKey, map[string]any{"email": "a@example.com", "ref": f.token(t, f.la)}))
		var list struct {
			Data []attribution.Customer `json:"data"`
		}
		f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/customers", other.SecretKey, nil)).JSON(t, &list)
		if len(list.Data) != 1 || list.Data[0].PartnerID != "" || list.Data[0].Reason != attribution.ReasonOtherVendor {
			t.Fatalf("Globex's customers: %+v", list.Data)
		}
	})
}

func TestSnippet_CORS(t *testing.T) {
	f := setup(t)
	const shop, evil = "https://shop.example", "https://evil.example"
	preflight := func(path, origin string) *testenv.Response {
		t.Helper()
		return f.Do(t, "OPTIONS", path, "", nil, "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	}
	signup := func(origin, email string) *testenv.Response {
		t.Helper()
		return f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": f.v.PublicKey, "email": email}, "Origin", origin)
	}
	for _, path := range []string{"/v1/snippet/signup", "/v1/snippet/ping", "/v1/snippet/config"} {
		r := f.Must(t, http.StatusNoContent, preflight(path, shop))
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != shop {
			t.Fatalf("%s preflight: ACAO %q", path, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "content-type") {
			t.Fatalf("%s preflight: Allow-Headers %q", path, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") {
			t.Fatalf("%s preflight: Allow-Methods %q", path, got)
		}
	}

	// No allowed origins: any origin.
	for i, origin := range []string{shop, evil, "http://localhost:3000"} {
		r := f.Must(t, http.StatusCreated, signup(origin, fmt.Sprintf("any%d@example.com", i)))
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Fatalf("ACAO %q, want %q", got, origin)
		}
		if r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("no Allow-Credentials")
		}
	}

	f.patchVendor(t, map[string]any{"allowed_origins": []string{shop, "https://www.shop.example"}})
	customers, signups := f.count(t, "customers"), f.count(t, "signups")

	r := signup(evil, "evil@example.com")
	wantError(t, r, http.StatusForbidden, attribution.EFORBIDDEN)
	if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("disallowed origin got CORS headers: %v", r.Header)
	}
	if f.count(t, "customers") != customers || f.count(t, "signups") != signups {
		t.Fatalf("a signup from a disallowed origin was recorded")
	}
	if n := len(f.customers(t, "email=evil@example.com")); n != 0 {
		t.Fatalf("evil customer recorded")
	}
	r = f.Do(t, "GET", "/v1/snippet/config?public_key="+f.v.PublicKey, "", nil, "Origin", evil)
	wantError(t, r, http.StatusForbidden, attribution.EFORBIDDEN)
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("config: disallowed origin got ACAO")
	}
	r = f.ping(t, map[string]any{"public_key": f.v.PublicKey, "url": evil + "/", "cookie_ok": true}, "Origin", evil)
	wantError(t, r, http.StatusForbidden, attribution.EFORBIDDEN)
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("ping: disallowed origin got ACAO")
	}
	for _, row := range f.pages(t) {
		if row.VendorID == f.v.ID {
			t.Fatalf("a ping from a disallowed origin counted for the vendor: %+v", row)
		}
	}

	for i, origin := range []string{shop, "https://WWW.shop.example"} {
		r = f.Must(t, http.StatusCreated, signup(origin, fmt.Sprintf("ok%d@example.com", i)))
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Fatalf("allowed origin: ACAO %q, want %q", got, origin)
		}
		if r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("allowed origin: no Allow-Credentials")
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
			t.Fatalf("no Vary: Origin")
		}
	}
	r = f.Must(t, http.StatusNoContent, f.ping(t, map[string]any{"public_key": f.v.PublicKey, "url": shop + "/pricing", "cookie_ok": true}, "Origin", shop))
	if r.Header.Get("Access-Control-Allow-Origin") != shop {
		t.Fatalf("ping: ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
	// Servers (no Origin) are not browsers: no CORS check.
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": f.v.PublicKey, "email": "server@example.com"}))

	// Back to an empty list: any origin again.
	f.patchVendor(t, map[string]any{"allowed_origins": []string{}})
	r = f.Must(t, http.StatusCreated, signup(evil, "evil@example.com"))
	if r.Header.Get("Access-Control-Allow-Origin") != evil {
		t.Fatalf("empty list: ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestSnippet_RateLimit(t *testing.T) {
	f := setup(t, func(c *app.Config) {
		c.SnippetRate, c.SnippetBurst = 1, 3
		c.TrustedProxies = []string{"127.0.0.1", "::1"}
	})
	ping := map[string]any{"public_key": f.v.PublicKey, "url": "https://shop.example/", "cookie_ok": true}
	start := time.Now()
	for range 3 {
		f.Must(t, http.StatusNoContent, f.ping(t, ping))
	}
	r := f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": f.v.PublicKey, "email": "rl@example.com"})
	if time.Since(start) < 900*time.Millisecond {
		// The 4th request within the burst's second is refused. (A machine
		// so slow that a token came back meanwhile is not a failure.)
		wantError(t, r, http.StatusTooManyRequests, attribution.ERATELIMIT)
		if ra := r.Header.Get("Retry-After"); ra == "" {
			t.Fatalf("429 without Retry-After")
		}
	}
	// Rapid requests beyond the burst keep being refused, on every endpoint;
	// a refused signup records nothing.
	signupBody := map[string]any{"public_key": f.v.PublicKey, "email": "rl@example.com"}
	limited, signupLimited := 0, false
	for i, req := range []func() *testenv.Response{
		func() *testenv.Response { return f.ping(t, ping) },
		func() *testenv.Response { return f.Do(t, "POST", "/v1/snippet/signup", "", signupBody) },
		func() *testenv.Response {
			return f.Do(t, "GET", "/v1/snippet/config?public_key="+f.v.PublicKey, "", nil)
		},
		func() *testenv.Response {
			return f.Do(t, "OPTIONS", "/v1/snippet/signup", "", nil, "Origin", "https://shop.example")
		},
		func() *testenv.Response { return f.ping(t, ping) },
	} {
		if r := req(); r.StatusCode == http.StatusTooManyRequests {
			wantError(t, r, http.StatusTooManyRequests, attribution.ERATELIMIT)
			if r.Header.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After")
			}
			limited++
			signupLimited = signupLimited || i == 1
		}
	}
	if limited == 0 {
		t.Fatalf("no request was rate-limited")
	}
	if r.StatusCode == http.StatusTooManyRequests && signupLimited && f.count(t, "customers") != 0 {
		t.Fatalf("a rate-limited signup was recorded")
	}
	// Another client IP has its own budget.
	for i := range 3 {
		f.Must(t, http.StatusNoContent, f.ping(t, ping, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+10)))
	}
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": f.v.PublicKey, "email": "other-ip@example.com"}, "X-Forwarded-For", "198.51.100.7"))
	// The vendor API is not the snippet's limiter.
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, map[string]any{"email": "api@example.com"}))
}

func TestPing(t *testing.T) {
	f := setup(t)
	send := func(url string, ref, cookie bool) {
		t.Helper()
		body := fmt.Sprintf(`{"public_key":%q,"url":%q,"ref_in_url":%v,"cookie_ok":%v}`, f.v.PublicKey, url, ref, cookie)
		r := f.Must(t, http.StatusNoContent, f.ping(t, body, "Origin", "https://shop.example"))
		if len(r.Body) != 0 {
			t.Fatalf("ping answered a body: %s", r.Body)
		}
	}
	send("https://shop.example/pricing?tally_ref=abc#plans", true, true)
	send("https://shop.example/pricing", false, true)
	send("https://Shop.Example/pricing?x=1", false, false)
	send("https://shop.example/", false, true)
	send("https://shop.example", false, false)
	send("http://localhost:3000/signup", true, false)

	rows := f.pages(t)
	want := []pageRow{
		{f.v.ID, f.v.PublicKey, "http://localhost:3000", "/signup", 1, 1, 1},
		{f.v.ID, f.v.PublicKey, "https://shop.example", "/", 2, 0, 1},
		{f.v.ID, f.v.PublicKey, "https://shop.example", "/pricing", 3, 1, 1},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("snippet_pages\n got %+v\nwant %+v", rows, want)
	}

	// Counted per hour: the same page an hour later is another row; the
	// same hour adds to the row.
	f.Clock.Advance(time.Hour)
	send("https://shop.example/pricing", true, true)
	f.Clock.Advance(time.Minute)
	send("https://shop.example/pricing", false, true)
	rows = f.pages(t)
	var pricing []pageRow
	for _, r := range rows {
		if r.Path == "/pricing" {
			pricing = append(pricing, r)
		}
	}
	if len(pricing) != 2 || pricing[0].Pings != 3 || pricing[1].Pings != 2 || pricing[1].RefInURL != 1 || pricing[1].CookieFailures != 0 {
		t.Fatalf("/pricing rows %+v", pricing)
	}

	// sendBeacon may also send JSON with its own content type.
	f.Must(t, http.StatusNoContent, f.Do(t, "POST", "/v1/snippet/ping", "", map[string]any{"public_key": f.v.PublicKey, "url": "https://shop.example/json", "cookie_ok": true}))
}

func TestPing_BadKeysRecorded(t *testing.T) {
	f := setup(t)
	const page = "https://shop.example/landing"
	for _, key := range []any{nil, "", "pk_unknownunknownunknown0", f.v.SecretKey, "  " + f.v.SecretKey + " ", "sk_notanyvendorskey000000000000000000"} {
		body := map[string]any{"url": page, "cookie_ok": true}
		if key != nil {
			body["public_key"] = key
		}
		f.Must(t, http.StatusNoContent, f.ping(t, body))
	}
	rows := f.pages(t)
	got := map[string]int{}
	for _, r := range rows {
		if r.VendorID != "" {
			t.Fatalf("a bad key counted for a vendor: %+v", r)
		}
		if r.Origin != "https://shop.example" || r.Path != "/landing" {
			t.Fatalf("row %+v", r)
		}
		got[r.PublicKey] += r.Pings
	}
	// The vendor's own secret key is kept as whose it is, so the ping is
	// that vendor's alone; a secret-key-shaped value of no vendor as "sk_".
	want := map[string]int{"": 2, "pk_unknownunknownunknown0": 1, "sk_": 1, attribution.LeakedSecretKey(f.v.PublicKey): 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pings by presented key %v, want %v", got, want)
	}

	// The secret key is stored nowhere and logged nowhere.
	n, err := f.App.Store.DB().NewSelect().Table("snippet_pages").
		Where("public_key LIKE ? OR origin LIKE ? OR path LIKE ?", "%"+f.v.SecretKey[3:]+"%", "%"+f.v.SecretKey[3:]+"%", "%"+f.v.SecretKey[3:]+"%").
		Count(t.Context())
	if err != nil || n != 0 {
		t.Fatalf("secret in snippet_pages: %d, %v", n, err)
	}
	if strings.Contains(f.LogText(), f.v.SecretKey) || strings.Contains(f.LogText(), f.v.SecretKey[3:]) {
		t.Fatalf("the secret key is in the logs")
	}
	// A signup and a config request with the secret key are refused and not logged either.
	wantError(t, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": f.v.SecretKey, "email": "s@example.com"}), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
	wantError(t, f.Do(t, "GET", "/v1/snippet/config?public_key="+f.v.SecretKey, "", nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
	if strings.Contains(f.LogText(), f.v.SecretKey[3:]) {
		t.Fatalf("the secret key is in the logs")
	}
}

func TestPing_Malformed(t *testing.T) {
	f := setup(t)
	pk := f.v.PublicKey
	for _, tc := range []struct{ name, body string }{
		{"Empty", ""},
		{"NotJSON", "hello"},
		{"Truncated", fmt.Sprintf(`{"public_key":%q,"url":"https://shop.example/"`, pk)},
		{"Array", `[]`},
		{"Null", `null`},
		{"WrongTypeURL", fmt.Sprintf(`{"public_key":%q,"url":42}`, pk)},
		{"WrongTypeBool", fmt.Sprintf(`{"public_key":%q,"url":"https://shop.example/","cookie_ok":"yes"}`, pk)},
		{"WrongTypeKey", `{"public_key":7,"url":"https://shop.example/"}`},
		{"NoURL", fmt.Sprintf(`{"public_key":%q}`, pk)},
		{"RelativeURL", fmt.Sprintf(`{"public_key":%q,"url":"/pricing"}`, pk)},
		{"JavascriptURL", fmt.Sprintf(`{"public_key":%q,"url":"javascript:alert(1)"}`, pk)},
		{"FileURL", fmt.Sprintf(`{"public_key":%q,"url":"file:///etc/passwd"}`, pk)},
		{"FTPURL", fmt.Sprintf(`{"public_key":%q,"url":"ftp://shop.example/"}`, pk)},
		{"NoHost", fmt.Sprintf(`{"public_key":%q,"url":"https:///pricing"}`, pk)},
		{"BadURL", fmt.Sprintf(`{"public_key":%q,"url":"http://[::1"}`, pk)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			wantError(t, f.ping(t, body), http.StatusBadRequest, attribution.EINVALID)
			if rows := f.pages(t); len(rows) != 0 {
				t.Fatalf("recorded %+v", rows)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	f := setup(t)
	get := func() (days int, domain string) {
		t.Helper()
		var a struct {
			Days   int    `json:"attribution_window_days"`
			Domain string `json:"cookie_domain"`
		}
		f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/snippet/config?public_key="+f.v.PublicKey, "", nil)).JSON(t, &a)
		return a.Days, a.Domain
	}
	if d, dom := get(); d != 90 || dom != "" {
		t.Fatalf("defaults: %d %q", d, dom)
	}
	f.patchVendor(t, map[string]any{"attribution_window_days": 30, "cookie_domain": "Shop.Example"})
	if d, dom := get(); d != 30 || dom != "shop.example" {
		t.Fatalf("after PATCH: %d %q", d, dom)
	}
	r := f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/snippet/config?public_key="+f.v.PublicKey, "", nil, "Origin", "https://shop.example"))
	if r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("ACAO %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
}

// Errors raised before the vendor is known still carry CORS headers, so the
// snippet can tell the page why a call failed.
func TestSnippet_CORSOnEarlyErrors(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"allowed_origins": []string{"https://shop.example"}}))
	for _, tc := range []struct {
		name   string
		body   any
		origin string
		want   int
		acao   string
	}{
		{"UnknownKey", map[string]any{"public_key": "pk_unknownunknown", "email": "a@b.co"}, "https://any.example", http.StatusUnauthorized, "https://any.example"},
		{"Malformed", "{", "https://any.example", http.StatusBadRequest, "https://any.example"},
		{"DisallowedOrigin", map[string]any{"public_key": v.PublicKey, "email": "a@b.co"}, "https://evil.example", http.StatusForbidden, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, "POST", "/v1/snippet/signup", "", tc.body, "Origin", tc.origin)
			if r.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.want, r.Body)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != tc.acao {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tc.acao)
			}
		})
	}
}
