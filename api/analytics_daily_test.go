package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// dailyFixture is one vendor of TestAnalytics_DailyRollups: its links, in
// the order the clicks use them.
type dailyFixture struct {
	v     testenv.Vendor
	links []testenv.Link
}

// dailyClicks are twelve days of clicks (2026-03-01 to 03-13 03:00 UTC,
// across New York's change to summer time on 03-08): few visitors, so
// that many clicks repeat a visitor on a link within a day; bots; clicks
// without a visitor.
func dailyClicks(f dailyFixture, prefix string) []*attribution.Click {
	var out []*attribution.Click
	seed := uint32(7)
	next := func(n uint32) uint32 { seed = seed*1664525 + 1013904223; return (seed >> 8) % n }
	start := utc("2026-03-01 00:00")
	for i := range 700 {
		l := f.links[next(uint32(len(f.links)))]
		visitor := fmt.Sprintf("v%d", next(15))
		if next(20) == 0 {
			visitor = ""
		}
		out = append(out, &attribution.Click{
			ID: fmt.Sprintf("clk_%s%04d", prefix, i), VendorID: f.v.ID, LinkID: l.ID, PartnerID: l.PartnerID,
			ClickedAt:   start.Add(time.Duration(next(12*24*60+180)) * time.Minute),
			VisitorHash: visitor, Bot: next(10) == 0,
			Country: []string{"US", "FR", "IN"}[next(3)], Variant: []string{"", "b"}[next(2)],
			UTMSource: []string{"", "news", "x"}[next(3)], Device: []string{"desktop", "mobile"}[next(2)],
		})
	}
	// A visitor's click just after UTC midnight: unique in UTC, not in New
	// York once the late click below (23:30 the evening before) is counted.
	return append(out, &attribution.Click{ID: "clk_" + prefix + "edge", VendorID: f.v.ID, LinkID: f.links[0].ID,
		PartnerID: f.links[0].PartnerID, ClickedAt: utc("2026-03-13 00:30"), VisitorHash: "late", Country: "FR"})
}

// lateClick is clicked at 23:30 UTC on 03-12 and, for one vendor, committed
// after that hour and its day were rolled up.
func lateClick(f dailyFixture, prefix string) *attribution.Click {
	return &attribution.Click{ID: "clk_" + prefix + "late", VendorID: f.v.ID, LinkID: f.links[0].ID,
		PartnerID: f.links[0].PartnerID, ClickedAt: utc("2026-03-12 23:30"), VisitorHash: "late", Country: "FR"}
}

// Daily rollups agree with the hourly ones and with raw clicks, for periods
// with partial UTC days at both edges (New York, with its summer time
// change inside; Karachi, five hours ahead), whole UTC days, and every
// group-by; a click committed after its hour and day were rolled up is
// counted, and changes the unique count of the visitor's next click.
func TestAnalytics_DailyRollups(t *testing.T) {
	e := testenv.New(t)
	fixture := func(name string) dailyFixture {
		v := e.NewVendor(t, name)
		p1 := e.NewPartner(t, v, "Ada", "ada@"+name+".example")
		p2 := e.NewPartner(t, v, "Bob", "bob@"+name+".example")
		return dailyFixture{v, []testenv.Link{e.NewLink(t, v, p1, "https://a.example/"), e.NewLink(t, v, p1, "https://a.example/2"),
			e.NewLink(t, v, p2, "https://a.example/3")}}
	}
	// a gets its late click after the rollups, b all its clicks on time.
	a, b := fixture("a"), fixture("b")
	e.Clock.Set(utc("2026-02-28 00:00"))
	for _, cs := range [][]*attribution.Click{dailyClicks(a, "a"), append(dailyClicks(b, "b"), lateClick(b, "b"))} {
		if err := e.App.Store.Clicks.InsertClicks(t.Context(), cs); err != nil {
			t.Fatal(err)
		}
	}
	var queries []string
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Karachi"} {
		for _, period := range []string{"start=2026-03-02&end=2026-03-11", "start=2026-03-01&end=2026-03-12", "start=2026-03-09&end=2026-03-13"} {
			for _, g := range []string{"day", "link", "partner", "country", "variant", "utm_source", "device"} {
				queries = append(queries, period+"&tz="+tz+"&group_by="+g)
			}
		}
	}
	// Filtered: a link's breakdown, a partner's and a link's days (the
	// partner portal's), in fixture terms.
	queries = append(queries, "start=2026-03-01&end=2026-03-12&group_by=country&link_id={L0}",
		"start=2026-03-01&end=2026-03-13&group_by=day&partner_id={P0}", "start=2026-03-02&end=2026-03-12&tz=America/New_York&group_by=day&link_id={L0}",
		"start=2026-03-02&end=2026-03-12&tz=America/New_York&group_by=device&partner_id={P0}")
	// b's link and partner ids, as a's answers name them.
	same := map[string]string{}
	for i, l := range a.links {
		same[l.ID], same[l.PartnerID] = b.links[i].ID, b.links[i].PartnerID
	}
	answers := func(f dailyFixture, rename map[string]string) map[string]map[string]anRow {
		out := map[string]map[string]anRow{}
		for _, q := range queries {
			ask := strings.NewReplacer("{L0}", f.links[0].ID, "{P0}", f.links[0].PartnerID).Replace(q)
			rows, totals := getAnalytics(t, e, f.v, ask)
			got := map[string]anRow{"totals": totals}
			for k, r := range rows {
				if n, ok := rename[k]; ok {
					k = n
				}
				got[k] = r
			}
			out[q] = got
		}
		return out
	}
	// The dashboard's tables in one Breakdowns: a link's page, the whole
	// vendor's in New York.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	breakdowns := func(f dailyFixture) [][]*attribution.AnalyticsReport {
		var out [][]*attribution.AnalyticsReport
		for _, q := range []attribution.AnalyticsQuery{
			{Start: utc("2026-03-01 00:00"), End: utc("2026-03-13 00:00"), Location: time.UTC, LinkID: f.links[0].ID},
			{Start: utc("2026-03-02 05:00"), End: utc("2026-03-12 04:00"), Location: ny},
		} {
			reps, err := e.App.Store.Analytics.Breakdowns(t.Context(), f.v.ID, q, attribution.AnalyticsGroupBys)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reps {
				r.RolledUpThrough = nil
			}
			out = append(out, reps)
		}
		return out
	}
	e.Clock.Set(utc("2026-03-14 00:00"))
	raw := answers(b, nil) // nothing rolled up yet: every click read raw
	rawTables := breakdowns(b)

	// Rolled up through 03:00 on 03-13, the days through 03-12 summed.
	e.Clock.Set(utc("2026-03-13 03:03"))
	if th, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil || !th.Equal(utc("2026-03-13 03:00")) {
		t.Fatalf("rollup: %v %v", th, err)
	}
	var days int
	if err := e.App.Store.DB().NewRaw("SELECT COUNT(*) FROM click_dim_days WHERE vendor_id = ? AND day = ?", b.v.ID, utc("2026-03-12 00:00")).Scan(t.Context(), &days); err != nil || days == 0 {
		t.Fatalf("daily rows of 03-12: %d, %v", days, err)
	}
	e.Clock.Set(utc("2026-03-14 00:00"))
	compare := func(phase string, f dailyFixture, rename map[string]string) {
		t.Helper()
		got := answers(f, rename)
		for _, q := range queries {
			if !reflect.DeepEqual(got[q], raw[q]) {
				t.Errorf("%s: %s:\n got %+v\nwant %+v", phase, q, got[q], raw[q])
			}
		}
	}
	compare("rolled up", b, nil)
	if got := breakdowns(b); !reflect.DeepEqual(got, rawTables) {
		t.Errorf("Breakdowns rolled up:\n got %+v\nwant %+v", got, rawTables)
	}

	// a's late click, committed after its hour and its day were rolled up.
	e.Clock.Set(utc("2026-03-13 03:10"))
	if err := e.App.Store.Clicks.InsertClicks(t.Context(), []*attribution.Click{lateClick(a, "a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(utc("2026-03-14 00:00"))
	compare("late click rolled up", a, same)
	var notes int
	if err := e.App.Store.DB().NewRaw("SELECT COUNT(*) FROM rollup_late_hours").Scan(t.Context(), &notes); err != nil || notes != 0 {
		t.Fatalf("late notes left: %d, %v", notes, err)
	}
}

// Each hour is rolled up once: a run reads only the hours completed since
// the last one (and those noted late), not the hour before again.
func TestAnalytics_RollupReadsEachHourOnce(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	e.Clock.Set(utc("2026-02-02 00:00"))
	insertClick(t, e, attribution.Click{ID: "clk_once1", VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID, ClickedAt: utc("2026-02-02 10:10"), VisitorHash: "v1"})
	insertClick(t, e, attribution.Click{ID: "clk_once2", VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID, ClickedAt: utc("2026-02-02 11:10"), VisitorHash: "v2"})
	e.Clock.Set(utc("2026-02-02 11:03"))
	if th, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil || !th.Equal(utc("2026-02-02 11:00")) {
		t.Fatalf("rollup: %v %v", th, err)
	}
	// Were 10:00 read again, the click removed here would vanish from it.
	if _, err := e.App.Store.DB().NewRaw("DELETE FROM clicks WHERE id = 'clk_once1'").Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(utc("2026-02-02 12:03"))
	if th, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil || !th.Equal(utc("2026-02-02 12:00")) {
		t.Fatalf("rollup: %v %v", th, err)
	}
	if _, tot := getAnalytics(t, e, v, "start=2026-02-02&end=2026-02-02&group_by=day"); tot.Clicks != 2 {
		t.Fatalf("clicks %d, want 2 (10:00 rolled up once, 11:00 rolled up)", tot.Clicks)
	}
}

// A signup's click dimensions come from conversion_clicks once the rollup
// job copied them, from clicks before: the same answers either way.
func TestAnalytics_ConversionClicks(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	e.Clock.Set(utc("2026-01-12 15:00"))
	resp := e.Must(t, http.StatusFound, e.Click(t, l.Key+"?utm_source=news"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{
		"ref": loc.Query().Get(attribution.RefParam), "email": "carol@example.com"}))
	const q = "start=2026-01-12&end=2026-01-12&group_by=utm_source"
	want := map[string]anRow{"news": {Clicks: 1, UniqueClicks: 1, Signups: 1, Revenue: am(), Rewards: am()}}
	if got, _ := getAnalytics(t, e, v, q); !reflect.DeepEqual(got, want) {
		t.Fatalf("before the copy: %+v", got)
	}
	copied := func() (n int) {
		if err := e.App.Store.DB().NewRaw("SELECT COUNT(*) FROM conversion_clicks WHERE vendor_id = ? AND utm_source = 'news'", v.ID).Scan(t.Context(), &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := copied(); n != 0 {
		t.Fatalf("copied before the job: %d", n)
	}
	e.Clock.Set(utc("2026-01-12 17:00"))
	if _, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := copied(); n != 1 {
		t.Fatalf("copied: %d, want 1", n)
	}
	if got, _ := getAnalytics(t, e, v, q); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the copy: %+v", got)
	}
}
