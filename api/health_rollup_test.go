package api_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// The snippet health report counts a week of clicks from the rollups where
// they are rolled up, and reads the same as from raw clicks: the window's
// partial first hour and the clicks after the rolled-up hours read raw,
// bots left out, a link's first click kept (here on the hour).
func TestSnippetHealth_FromRollups(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	pinged := e.NewLink(t, v, p, "https://acme.example/pricing")
	missing := e.NewLink(t, v, p, "https://shop.example/")
	e.Clock.Set(utc("2026-03-01 00:00"))
	healthPing(t, e, v.PublicKey, "https://acme.example/pricing", true, true)
	var clicks []*attribution.Click
	for i := range 300 {
		l := pinged
		if i%3 == 0 {
			l = missing
		}
		clicks = append(clicks, &attribution.Click{ID: fmt.Sprintf("clk_h%03d", i), VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID,
			ClickedAt: utc("2026-03-02 10:00").Add(time.Duration(i*37) * time.Minute), Bot: i%7 == 0, VisitorHash: "v"})
	}
	if err := e.App.Store.Clicks.InsertClicks(t.Context(), clicks); err != nil {
		t.Fatal(err)
	}
	// The window is the 7 days before 03-08 20:20: it starts mid-hour, after
	// the first clicks, and ends after the rolled-up hours.
	now := utc("2026-03-08 20:20")
	e.Clock.Set(now)
	raw := snippetHealth(t, e, v, "")
	e.Clock.Set(utc("2026-03-08 19:03"))
	if th, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil || !th.Equal(utc("2026-03-08 19:00")) {
		t.Fatalf("rollup: %v %v", th, err)
	}
	e.Clock.Set(now)
	rolled := snippetHealth(t, e, v, "")
	if !reflect.DeepEqual(raw.Checks, rolled.Checks) {
		t.Fatalf("checks differ:\nraw    %+v\nrolled %+v", raw.Checks, rolled.Checks)
	}
	rolled.wantCheck(t, "landing_pages", "failing", "https://shop.example never pinged")
}
