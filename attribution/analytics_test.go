package attribution_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAnalyticsParams_Query(t *testing.T) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	ny := mustLoad(t, "America/New_York")
	t.Run("Defaults", func(t *testing.T) {
		q, err := attribution.AnalyticsParams{}.Query(now, time.UTC)
		if err != nil || q.GroupBy != "day" || q.Location != time.UTC ||
			!q.Start.Equal(time.Date(2025, 12, 17, 0, 0, 0, 0, time.UTC)) || !q.End.Equal(time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%+v %v", q, err)
		}
	})
	t.Run("VendorZone", func(t *testing.T) {
		q, err := attribution.AnalyticsParams{Start: "2026-01-10", End: "2026-01-10"}.Query(now, ny)
		if err != nil || q.Location != ny || !q.Start.Equal(time.Date(2026, 1, 10, 5, 0, 0, 0, time.UTC)) || !q.End.Equal(time.Date(2026, 1, 11, 5, 0, 0, 0, time.UTC)) {
			t.Fatalf("%+v %v", q, err)
		}
	})
	t.Run("TZOverVendorZone", func(t *testing.T) {
		q, err := attribution.AnalyticsParams{Start: "2026-01-10", End: "2026-01-10", TZ: "UTC"}.Query(now, ny)
		if err != nil || q.Location.String() != "UTC" || !q.Start.Equal(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%+v %v", q, err)
		}
	})
	for name, p := range map[string]attribution.AnalyticsParams{
		"GroupBy":   {GroupBy: "week"},
		"TZ":        {TZ: "Nowhere/City"},
		"EndBefore": {Start: "2026-01-10", End: "2026-01-09"},
		"TooLong":   {Start: "2025-01-01", End: "2026-02-06"},
		"LongID":    {PartnerID: strings.Repeat("p", 201)},
	} {
		t.Run("Err"+name, func(t *testing.T) {
			if _, err := p.Query(now, time.UTC); attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("%+v: %v", p, err)
			}
		})
	}
}

func TestVisitorDayMask(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2026, 1, d, h, m, 0, 0, time.UTC) }
	if m := attribution.VisitorDayMask(at(10, 3, 0), time.Time{}); m != 1<<24-1 {
		t.Fatalf("first ever: %b", m)
	}
	if m := attribution.VisitorDayMask(at(11, 3, 0), at(10, 3, 0)); m != 1<<24-1 {
		t.Fatalf("24h later: %b", m)
	}
	// Previous click at 03:00, this one at 20:00 the same UTC day: first in
	// the windows starting at 04:00 … 20:00 (prev is before their start).
	m := attribution.VisitorDayMask(at(10, 20, 0), at(10, 3, 0))
	for k := 0; k < 24; k++ {
		want := k >= 4 && k <= 20
		if got := m&(1<<k) != 0; got != want {
			t.Errorf("window %02d: %v, want %v", k, got, want)
		}
	}
}

func TestUniqueSegments(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// New York: days start at 05:00 UTC in winter and 04:00 UTC in summer.
	segs := attribution.UniqueSegments(time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), time.Date(2026, 3, 12, 4, 0, 0, 0, time.UTC), ny)
	if len(segs) != 2 || segs[0].Hour != 5 || segs[1].Hour != 4 || !segs[0].Until.Equal(time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", segs)
	}
	if s := attribution.UniqueSegments(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.UTC); len(s) != 1 || s[0].Hour != 0 {
		t.Fatalf("UTC: %+v", s)
	}
	// Kolkata (+05:30): days start at 18:30 UTC; the first whole hour is 19:00.
	if h := attribution.DayStartHour(time.Date(2026, 1, 1, 19, 0, 0, 0, time.UTC), mustLoad(t, "Asia/Kolkata")); h != 19 {
		t.Fatalf("Kolkata: %d", h)
	}
	if k := attribution.DayKey(time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC), ny); k != "2026-01-09" {
		t.Fatalf("DayKey: %s", k)
	}
}
