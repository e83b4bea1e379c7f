package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// BenchmarkRollUpSteady measures the rollup job's cost per click at a steady
// load: an hour of clicks (200,000, about 55 a second) rolled up once, then
// the job's runs of the following minutes (every minute in the app), with
// no new complete hour. ns/op is one such run; hour-µs/click is the first
// rollup of the hour divided by its clicks; run-µs/click a run divided by
// the hour's clicks (what each minute's run costs per click, when each run
// read the last hour again).
func BenchmarkRollUpSteady(b *testing.B) {
	e := testenv.New(b)
	v := e.NewVendor(b, "Acme")
	p := e.NewPartner(b, v, "Ada", "ada@example.com")
	l := e.NewLink(b, v, p, "https://acme.example/")
	hour := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	e.Clock.Set(hour)
	const n = 200_000
	batch := make([]*attribution.Click, 0, 5000)
	for i := range n {
		at := hour.Add(time.Duration(i) * time.Hour / n)
		batch = append(batch, &attribution.Click{ID: fmt.Sprintf("clk_%07d", i), VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID,
			ClickedAt: at, VisitorHash: fmt.Sprintf("v%d", i%20000), Country: []string{"US", "FR", "DE", "IN"}[i%4],
			Device: []string{"desktop", "mobile"}[i%2], Browser: []string{"Chrome", "Firefox", "Safari"}[i%3], Bot: i%20 == 0})
		if len(batch) == cap(batch) {
			if err := e.App.Store.Clicks.InsertClicks(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	e.Clock.Set(hour.Add(time.Hour + 3*time.Minute))
	start := time.Now()
	if th, err := e.App.Store.Analytics.RollUpClicks(b.Context()); err != nil || !th.Equal(hour.Add(time.Hour)) {
		b.Fatalf("rollup: %v %v", th, err)
	}
	first := time.Since(start)
	for b.Loop() {
		e.Clock.Advance(time.Second)
		if _, err := e.App.Store.Analytics.RollUpClicks(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/n, "hour-µs/click")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/n, "run-µs/click")
}
