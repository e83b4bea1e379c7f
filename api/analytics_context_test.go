package api_test

import (
	"reflect"
	"testing"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// A click read raw after the rolled-up hours is unique or not by the
// visitor's click on the same link in the day before, which the rollup
// already holds: 23:30 and 00:30 UTC are two UTC days but one New York
// evening. Another visitor's and another link's clicks change nothing.
func TestAnalytics_UniqueAcrossRollupEdge(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	l2 := e.NewLink(t, v, p, "https://acme.example/2")
	click := func(id string, l testenv.Link, at, visitor string) {
		insertClick(t, e, attribution.Click{ID: id, VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID, ClickedAt: utc(at), VisitorHash: visitor})
	}
	click("clk_ctx1", l, "2026-02-01 23:30", "v1")
	click("clk_ctx2", l, "2026-02-02 00:30", "v1")
	click("clk_ctx3", l, "2026-02-01 23:40", "v2")  // another visitor
	click("clk_ctx4", l2, "2026-02-01 23:50", "v3") // another link
	click("clk_ctx5", l2, "2026-02-02 00:40", "v3")

	want := map[string]map[string]anRow{
		"start=2026-02-01&end=2026-02-02&group_by=day": {
			"2026-02-01": cl(3, 3, 0), "2026-02-02": cl(2, 2, 0)},
		"start=2026-02-01&end=2026-02-01&group_by=day&tz=America/New_York": {
			"2026-02-01": cl(5, 3, 0)},
		"start=2026-02-01&end=2026-02-01&group_by=link&tz=America/New_York": {
			l.ID: cl(3, 2, 0), l2.ID: cl(2, 1, 0)},
	}
	check := func(phase string) {
		t.Helper()
		for q, w := range want {
			if got, _ := getAnalytics(t, e, v, q); !reflect.DeepEqual(got, w) {
				t.Errorf("%s: %s:\n got %+v\nwant %+v", phase, q, got, w)
			}
		}
	}
	e.Clock.Set(utc("2026-02-02 03:00"))
	check("raw clicks")
	// Rolled up through 00:00: the clicks after it are read raw.
	e.Clock.Set(utc("2026-02-02 00:05"))
	if th, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil || !th.Equal(utc("2026-02-02 00:00")) {
		t.Fatalf("rollup: %v %v", th, err)
	}
	e.Clock.Set(utc("2026-02-02 03:00"))
	check("rolled up through midnight")
}
