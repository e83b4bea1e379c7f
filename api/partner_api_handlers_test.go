package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// partnerList decodes a partner API list.
type partnerList[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// portalFixture: vendor A (domain acme.com, 20 % rule) with partners p1 and
// p2, vendor B (no domain) with partner q. p1 referred one customer who
// bought; p2 has a link and a click; q referred a customer of B.
type portalFixture struct {
	*testenv.Env
	a, b      testenv.Vendor
	p1, p2, q testenv.Partner
	l1        testenv.Link
}

func newPortalFixture(t *testing.T) *portalFixture {
	t.Helper()
	e := testenv.New(t)
	f := &portalFixture{Env: e, a: e.NewVendor(t, "Acme"), b: e.NewVendor(t, "Beta")}
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", f.a.SecretKey, map[string]any{
		"domain":      "acme.com",
		"reward_rule": map[string]any{"type": "percent", "percent": 2000, "duration_months": nil, "hold_days": 0},
	}))
	f.p1 = e.NewPartner(t, f.a, "Ada", "ada@partners.example")
	f.p2 = e.NewPartner(t, f.a, "Bob", "bob@partners.example")
	f.q = e.NewPartner(t, f.b, "Quinn", "quinn@partners.example")
	f.l1 = e.NewLink(t, f.a, f.p1, "https://acme.com/")
	l2 := e.NewLink(t, f.a, f.p2, "https://acme.com/pricing")
	lq := e.NewLink(t, f.b, f.q, "https://beta.example/")

	ref := refOf(t, e.Click(t, f.l1.Key))
	e.Click(t, f.l1.Key) // same visitor again: one unique click
	e.Click(t, f.l1.Key, "User-Agent", googlebotUA)
	e.Click(t, l2.Key, "User-Agent", firefoxUA)
	e.Clock.Advance(time.Hour)
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", f.a.SecretKey, map[string]any{
		"email": "grace.hopper@navy.example", "name": "Grace Hopper", "external_id": "u-42", "ref": ref,
	})).Map(t)["customer"].(map[string]any)
	e.Clock.Advance(time.Minute)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", f.a.SecretKey, map[string]any{
		"customer_id": cust["id"], "amount": 10000, "currency": "eur", "reason": "wire transfer",
	}))
	refQ := refOf(t, e.Click(t, lq.Key))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", f.b.SecretKey, map[string]any{"email": "linus@kernel.example", "ref": refQ}))
	return f
}

func TestPartnerAPI_Me(t *testing.T) {
	f := newPortalFixture(t)
	me := f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/me", f.p1.Token, nil)).Map(t)
	partner := me["partner"].(map[string]any)
	rule, _ := me["reward_rule"].(map[string]any)
	if partner["id"] != f.p1.ID || me["vendor_name"] != "Acme" || me["vendor_domain"] != "acme.com" || rule == nil || rule["percent"] != 2000.0 {
		t.Fatalf("me = %v", me)
	}
	if _, ok := partner["token_hash"]; ok {
		t.Fatalf("token hash leaked: %v", partner)
	}
	// A partner's own rule overrides the vendor's.
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/partners/"+f.p2.ID, f.a.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "eur", "duration_months": 0, "hold_days": 0},
	}))
	me = f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/me", f.p2.Token, nil)).Map(t)
	if rule := me["reward_rule"].(map[string]any); rule["type"] != "flat" || rule["amount"] != 500.0 {
		t.Fatalf("p2 rule = %v", rule)
	}
	me = f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/me", f.q.Token, nil)).Map(t)
	if me["vendor_name"] != "Beta" || me["reward_rule"] != nil {
		t.Fatalf("q = %v", me)
	}
}

func TestPartnerAPI_Auth(t *testing.T) {
	f := newPortalFixture(t)
	for _, path := range []string{"/v1/partner/me", "/v1/partner/links", "/v1/partner/rewards", "/v1/partner/analytics", "/v1/partner/customers"} {
		mustError(t, f.Do(t, "GET", path, "", nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
		mustError(t, f.Do(t, "GET", path, f.a.SecretKey, nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
		mustError(t, f.Do(t, "GET", path, "pt_doesnotexist", nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
	}
	// A partner token opens no vendor endpoint.
	mustError(t, f.Do(t, "GET", "/v1/customers", f.p1.Token, nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
	// A disabled partner is refused everywhere.
	f.Must(t, http.StatusOK, f.Do(t, "PATCH", "/v1/partners/"+f.p1.ID, f.a.SecretKey, map[string]any{"status": "disabled"}))
	for _, path := range []string{"/v1/partner/me", "/v1/partner/links", "/v1/partner/rewards", "/v1/partner/analytics", "/v1/partner/customers"} {
		mustError(t, f.Do(t, "GET", path, f.p1.Token, nil), http.StatusForbidden, attribution.EFORBIDDEN)
	}
	mustError(t, f.Do(t, "POST", "/v1/partner/links", f.p1.Token, map[string]any{"destination_url": "https://acme.com/"}), http.StatusForbidden, attribution.EFORBIDDEN)
}

func TestPartnerAPI_Links(t *testing.T) {
	f := newPortalFixture(t)
	l := f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/partner/links", f.p1.Token, map[string]any{
		"destination_url": "https://www.acme.com/blog?x=1", "utm": map[string]any{"source": "newsletter"},
	})).Map(t)
	if l["partner_id"] != f.p1.ID || !strings.HasPrefix(l["url"].(string), f.URL()+"/r/") {
		t.Fatalf("link = %v", l)
	}
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/partner/links", f.p1.Token, map[string]any{"destination_url": "https://ACME.com/x", "key": "ada-special"}))
	for _, body := range []map[string]any{
		{"destination_url": "https://evil.example/"},
		{"destination_url": "https://acme.com.evil.example/"},
		{"destination_url": "https://notacme.com/"},
		{"destination_url": "javascript:alert(1)"},
		{"destination_url": "https://acme.com/", "partner_id": f.p2.ID}, // never on another partner's behalf
		{},
	} {
		mustError(t, f.Do(t, "POST", "/v1/partner/links", f.p1.Token, body), http.StatusBadRequest, attribution.EINVALID)
	}
	// Vendor B set no domain: partners get a clear refusal.
	r := f.Do(t, "POST", "/v1/partner/links", f.q.Token, map[string]any{"destination_url": "https://beta.example/"})
	mustError(t, r, http.StatusBadRequest, attribution.EINVALID)
	if !strings.Contains(string(r.Body), "domain") {
		t.Fatalf("refusal does not say why: %s", r.Body)
	}

	var list partnerList[map[string]any]
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/links", f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 4 { // the fixture's, the two above, and the first link p1 got when created (attribution.FirstLink)
		t.Fatalf("p1 links = %d, want 4", len(list.Data))
	}
	for _, l := range list.Data {
		if l["partner_id"] != f.p1.ID {
			t.Fatalf("p1 sees %v", l)
		}
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/links?limit=3", f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 3 || !list.HasMore || list.NextCursor == "" {
		t.Fatalf("page = %+v", list)
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/links?limit=3&cursor="+list.NextCursor, f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 1 || list.HasMore {
		t.Fatalf("page 2 = %+v", list)
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/links", f.p2.Token, nil)).JSON(t, &list)
	if len(list.Data) != 2 || list.Data[0]["partner_id"] != f.p2.ID || list.Data[1]["partner_id"] != f.p2.ID { // its first link and the fixture's
		t.Fatalf("p2 links = %v", list.Data)
	}
}

func TestPartnerAPI_CustomersMasked(t *testing.T) {
	f := newPortalFixture(t)
	r := f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/customers", f.p1.Token, nil))
	var list partnerList[map[string]any]
	r.JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0]["email"] != "g***@n***.example" {
		t.Fatalf("p1 customers = %s", r.Body)
	}
	for _, secret := range []string{"grace", "hopper", "Grace Hopper", "navy.example", "u-42"} {
		if strings.Contains(strings.ToLower(string(r.Body)), strings.ToLower(secret)) {
			t.Fatalf("customer data %q leaked: %s", secret, r.Body)
		}
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/customers", f.p2.Token, nil)).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("p2 sees %v", list.Data)
	}
	r = f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/customers", f.q.Token, nil))
	r.JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0]["email"] != "l***@k***.example" {
		t.Fatalf("q customers = %s", r.Body)
	}
}

func TestPartnerAPI_Rewards(t *testing.T) {
	f := newPortalFixture(t)
	// A manual reward for p1 in another currency, and one for p2.
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/rewards", f.a.SecretKey, map[string]any{"partner_id": f.p1.ID, "amount": 300, "currency": "usd", "reason": "bonus"}))
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/rewards", f.a.SecretKey, map[string]any{"partner_id": f.p2.ID, "amount": 700, "currency": "usd", "reason": "bonus"}))
	var list struct {
		Data    []attribution.Reward      `json:"data"`
		HasMore bool                      `json:"has_more"`
		Next    string                    `json:"next_cursor"`
		Totals  []attribution.RewardTotal `json:"totals"`
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/rewards", f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("p1 rewards = %+v", list.Data)
	}
	for _, r := range list.Data {
		if r.PartnerID != f.p1.ID {
			t.Fatalf("p1 sees %+v", r)
		}
	}
	totals := map[string]int64{}
	for _, tt := range list.Totals {
		totals[tt.Status+"/"+tt.Currency] += tt.Amount
	}
	if len(totals) != 2 || totals["approved/eur"] != 2000 || totals["approved/usd"] != 300 {
		t.Fatalf("totals = %+v", list.Totals)
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/rewards?limit=1", f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 1 || !list.HasMore {
		t.Fatalf("page = %+v", list)
	}
	first := list.Data[0].ID
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/rewards?limit=1&cursor="+list.Next, f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 1 || list.HasMore || list.Data[0].ID == first || len(list.Totals) != 2 {
		t.Fatalf("page 2 = %+v", list)
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/rewards?status=paid", f.p1.Token, nil)).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("paid = %+v", list.Data)
	}
	mustError(t, f.Do(t, "GET", "/v1/partner/rewards?status=bogus", f.p1.Token, nil), http.StatusBadRequest, attribution.EINVALID)

	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/rewards", f.p2.Token, nil)).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].Amount != 700 || len(list.Totals) != 1 || list.Totals[0].Amount != 700 {
		t.Fatalf("p2 rewards = %+v", list)
	}
	f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/rewards", f.q.Token, nil)).JSON(t, &list)
	if len(list.Data) != 0 || len(list.Totals) != 0 {
		t.Fatalf("q rewards = %+v", list)
	}
}

func TestPartnerAPI_Analytics(t *testing.T) {
	f := newPortalFixture(t)
	type answer struct {
		Data  []attribution.PartnerDay `json:"data"`
		Total attribution.PartnerDay   `json:"total"`
	}
	var a answer
	get := func(token, query string) {
		t.Helper()
		a = answer{}
		f.Must(t, http.StatusOK, f.Do(t, "GET", "/v1/partner/analytics"+query, token, nil)).JSON(t, &a)
	}
	get(f.p1.Token, "")
	if len(a.Data) != 1 || a.Data[0].Date != "2026-01-15" {
		t.Fatalf("p1 days = %+v", a.Data)
	}
	d := a.Data[0]
	if d.Clicks != 2 || d.UniqueClicks != 1 || d.Signups != 1 || d.Purchases != 1 || d.Revenue["eur"] != 10000 || d.Rewards["eur"] != 2000 {
		t.Fatalf("p1 day = %+v", d)
	}
	if a.Total.Clicks != 2 || a.Total.Revenue["eur"] != 10000 {
		t.Fatalf("p1 total = %+v", a.Total)
	}
	get(f.p2.Token, "?start=2026-01-15&end=2026-01-16")
	if len(a.Data) != 1 || a.Data[0].Clicks != 1 || a.Data[0].Signups != 0 || a.Data[0].Purchases != 0 || len(a.Data[0].Revenue) != 0 {
		t.Fatalf("p2 = %+v", a.Data)
	}
	// End is exclusive; RFC 3339 works too.
	get(f.p1.Token, "?start=2026-01-14&end=2026-01-15T00:00:00Z")
	if len(a.Data) != 0 || a.Total.Clicks != 0 {
		t.Fatalf("before = %+v", a)
	}
	get(f.q.Token, "")
	if len(a.Data) != 1 || a.Data[0].Clicks != 1 || a.Data[0].Signups != 1 || a.Data[0].Purchases != 0 {
		t.Fatalf("q = %+v", a.Data)
	}
	for _, q := range []string{"start=yesterday", "end=2026-13-01", "start=2026-01-16&end=2026-01-15", "start=2024-01-01&end=2026-01-01"} {
		mustError(t, f.Do(t, "GET", "/v1/partner/analytics?"+q, f.p1.Token, nil), http.StatusBadRequest, attribution.EINVALID)
	}
}
