package attribution

import (
	"testing"
	"time"
)

func TestSummaryWeek(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		now        string
		loc        *time.Location
		start, end string
	}{
		{"2026-01-15T12:00:00Z", time.UTC, "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"}, // a Thursday
		{"2026-01-12T00:00:00Z", time.UTC, "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"}, // Monday midnight: that week just ended
		{"2026-01-11T23:59:59Z", time.UTC, "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z"}, // Sunday night
		{"2026-01-11T23:30:00Z", paris, "2026-01-04T23:00:00Z", "2026-01-11T23:00:00Z"},    // already Monday in Paris
		{"2026-03-30T12:00:00Z", paris, "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z"},    // a week of 167 hours (DST)
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		start, end := SummaryWeek(now, c.loc)
		if got := start.UTC().Format(time.RFC3339) + " " + end.UTC().Format(time.RFC3339); got != c.start+" "+c.end {
			t.Errorf("SummaryWeek(%s, %s) = %s, want %s %s", c.now, c.loc, got, c.start, c.end)
		}
	}
}
