package attribution_test

import (
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC) // 16:00 in Paris, 10:00 in New York
	paris, ny := mustLoad(t, "Europe/Paris"), mustLoad(t, "America/New_York")
	utc := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	var open time.Time
	tests := []struct {
		name, start, end, tz string
		loc                  *time.Location
		rule                 attribution.PeriodRule
		wantStart, wantEnd   time.Time
		wantZone             string
	}{
		{"OneDateIsThatDay", "2026-11-30", "2026-11-30", "", nil, attribution.ExportPeriod, utc(30, 0), utc(31, 0), "UTC"},
		{"DatesIncludeTheEndDay", "2026-11-01", "2026-11-03", "", nil, attribution.ExportPeriod, utc(1, 0), utc(4, 0), "UTC"},
		{"DatesInVendorZone", "2026-11-30", "2026-11-30", "", paris, attribution.ExportPeriod, utc(29, 23), utc(30, 23), "Europe/Paris"},
		{"TZOverridesVendorZone", "2026-11-30", "2026-11-30", "America/New_York", paris, attribution.ExportPeriod, utc(30, 5), utc(31, 5), "America/New_York"},
		{"RFC3339EndExclusive", "2026-11-30T08:00:00Z", "2026-11-30T10:00:00+01:00", "", paris, attribution.ExportPeriod, utc(30, 8), utc(30, 9), "Europe/Paris"},
		{"DateStartRFC3339End", "2026-11-30", "2026-11-30T12:00:00Z", "", ny, attribution.ExportPeriod, utc(30, 5), utc(30, 12), "America/New_York"},
		{"ExportOpenEnds", "", "", "", paris, attribution.ExportPeriod, open, open, "Europe/Paris"},
		{"ExportOpenStart", "", "2026-11-30", "", nil, attribution.ExportPeriod, open, utc(31, 0), "UTC"},
		{"ExportOpenEnd", "2026-11-30", "", "", nil, attribution.ExportPeriod, utc(30, 0), open, "UTC"},
		{"DefaultLast30DaysInZone", "", "", "", paris, attribution.AnalyticsPeriod, time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), utc(30, 23), "Europe/Paris"},
		{"DefaultFromStart", "2026-11-20", "", "", nil, attribution.AnalyticsPeriod, utc(20, 0), utc(31, 0), "UTC"},
		{"DefaultFromOldStart", "2026-01-01", "", "", nil, attribution.PartnerAnalyticsPeriod, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), "UTC"},
		{"DefaultUpToEnd", "", "2026-11-10", "", nil, attribution.AnalyticsPeriod, time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC), utc(11, 0), "UTC"},
		{"LongestPartnerPeriod", "2025-11-30", "2026-11-30", "", nil, attribution.PartnerAnalyticsPeriod, time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC), utc(31, 0), "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := attribution.ParsePeriod(tt.start, tt.end, tt.tz, tt.loc, now, tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Start.Equal(tt.wantStart) || !p.End.Equal(tt.wantEnd) || p.Location.String() != tt.wantZone {
				t.Fatalf("got [%v, %v) in %v, want [%v, %v) in %s", p.Start, p.End, p.Location, tt.wantStart, tt.wantEnd, tt.wantZone)
			}
			if (!p.Start.IsZero() && p.Start.Location() != time.UTC) || (!p.End.IsZero() && p.End.Location() != time.UTC) {
				t.Fatalf("bounds not in UTC: %v %v", p.Start, p.End)
			}
		})
	}
	for _, tt := range []struct {
		name, start, end, tz string
		rule                 attribution.PeriodRule
	}{
		{"EndBeforeStart", "2026-11-30", "2026-11-29", "", attribution.ExportPeriod},
		{"EmptyRFC3339", "2026-11-30T10:00:00Z", "2026-11-30T10:00:00Z", "", attribution.ExportPeriod},
		{"RFC3339EndAtDateStart", "2026-11-30", "2026-11-30T00:00:00Z", "", attribution.ExportPeriod},
		{"BadDate", "30/11/2026", "", "", attribution.ExportPeriod},
		{"BadMonth", "", "2026-13-01", "", attribution.ExportPeriod},
		{"BadTime", "", "2026-01-01T25:00:00Z", "", attribution.ExportPeriod},
		{"OutOfRange", "0001-01-01T00:00:00Z", "2026-01-01", "", attribution.ExportPeriod},
		{"UnknownZone", "2026-11-30", "", "Nowhere/City", attribution.ExportPeriod},
		{"ZonePath", "2026-11-30", "", "/etc/localtime", attribution.ExportPeriod},
		{"ZoneLocal", "2026-11-30", "", "Local", attribution.ExportPeriod},
		{"TooLongAnalytics", "2025-10-26", "2026-11-30", "", attribution.AnalyticsPeriod},
		{"TooLongPartner", "2025-11-29", "2026-11-30", "", attribution.PartnerAnalyticsPeriod},
	} {
		t.Run("Err"+tt.name, func(t *testing.T) {
			if p, err := attribution.ParsePeriod(tt.start, tt.end, tt.tz, nil, now, tt.rule); attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("got %+v, %v; want EINVALID", p, err)
			}
		})
	}
}

func TestLoadTimeZone(t *testing.T) {
	for _, ok := range []string{"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Asia/Kolkata"} {
		if loc, err := attribution.LoadTimeZone(ok); err != nil || loc.String() != ok {
			t.Errorf("%s: %v %v", ok, loc, err)
		}
	}
	for _, bad := range []string{"", "Local", "Nowhere/City", "/etc/localtime", "../../etc/passwd", "Europe/../Europe/Paris", `Europe\Paris`} {
		if _, err := attribution.LoadTimeZone(bad); attribution.ErrorCode(err) != attribution.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
