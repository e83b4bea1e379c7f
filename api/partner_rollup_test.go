package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// TestPartnerAPI_AnalyticsSurviveRetention: partner analytics read clicks
// from the hourly rollups, so GET /v1/partner/analytics answers the same
// before the rollup, after it, and after retention deleted the raw clicks.
func TestPartnerAPI_AnalyticsSurviveRetention(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	ada := e.NewPartner(t, v, "Ada", "ada@partner.example")
	bob := e.NewPartner(t, v, "Bob", "bob@partner.example")
	la := e.NewLink(t, v, ada, "https://acme.example/a")
	la2 := e.NewLink(t, v, ada, "https://acme.example/a2")
	lb := e.NewLink(t, v, bob, "https://acme.example/b")
	utc := func(s string) time.Time {
		at, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	n := 0
	click := func(l testenv.Link, p testenv.Partner, at, visitor string, bot bool) {
		n++
		insertClick(t, e, attribution.Click{ID: fmt.Sprintf("clk_ret%03d", n), VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID,
			ClickedAt: utc(at), VisitorHash: visitor, Bot: bot})
	}
	// Repeats within a day, across midnight (UTC), on two links, a bot, and
	// another partner's clicks that must not count.
	click(la, ada, "2026-01-02 08:00", "v1", false)
	click(la, ada, "2026-01-02 09:30", "v1", false)
	click(la, ada, "2026-01-02 23:50", "v2", false)
	click(la, ada, "2026-01-03 00:10", "v2", false)
	click(la2, ada, "2026-01-03 00:20", "v2", false)
	click(la, ada, "2026-01-03 12:00", "v3", true)
	click(la, ada, "2026-01-05 17:00", "v1", false)
	click(lb, bob, "2026-01-02 08:00", "v1", false)
	// A signup and a purchase of Ada's, outside the clicks table.
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "carol@customer.example", "partner_id": ada.ID, "reason": "phone"})).Map(t)["id"].(string)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": cust, "amount": 4200, "currency": "usd", "reason": "wire"}))

	analytics := func() map[string]any {
		return e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/analytics?start=2026-01-01&end=2026-01-15", ada.Token, nil)).Map(t)
	}
	before := analytics()
	total := before["total"].(map[string]any)
	if total["clicks"] != 6.0 || total["unique_clicks"] != 5.0 {
		t.Fatalf("raw clicks: total = %v", total)
	}
	// Retention on PostgreSQL drops whole months: let January end (and be
	// rolled up) before pruning it.
	e.Clock.Set(utc("2026-02-03 12:00"))
	if _, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := analytics(); !reflect.DeepEqual(got, before) {
		t.Fatalf("after the rollup:\n%v\nwant\n%v", got, before)
	}
	res, err := e.App.Store.Retention.PruneClicks(t.Context(), utc("2026-02-01 00:00"))
	if err != nil || res.ClicksDeleted < 7 {
		t.Fatalf("retention: %+v, %v", res, err)
	}
	if got := analytics(); !reflect.DeepEqual(got, before) {
		t.Fatalf("after retention deleted the raw clicks:\n%v\nwant\n%v", got, before)
	}
}
