package api_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// checkBreakdowns checks that Breakdowns (the dashboard's tables, one pass)
// answers every group-by exactly as Analytics does one at a time, for the
// queries of TestAnalytics: whole vendor, another time zone, a link's (its
// page), a partner's, filtered by a link and a source. On PostgreSQL a
// statement groups by each report's key apart (GROUPING SETS); a single
// group-by is a plain GROUP BY.
func checkBreakdowns(t *testing.T, e *testenv.Env, vendorID, partnerID, linkID, phase string) {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []attribution.AnalyticsQuery{
		{Start: utc("2026-01-09 00:00"), End: utc("2026-01-16 00:00"), Location: time.UTC},
		{Start: utc("2026-01-09 05:00"), End: utc("2026-01-16 05:00"), Location: ny},
		{Start: utc("2026-01-09 00:00"), End: utc("2026-01-16 00:00"), Location: time.UTC, LinkID: linkID},
		{Start: utc("2026-01-09 05:00"), End: utc("2026-01-16 05:00"), Location: ny, PartnerID: partnerID},
		{Start: utc("2026-01-10 00:00"), End: utc("2026-01-14 00:00"), Location: time.UTC, LinkID: linkID, UTMSource: "news"},
	} {
		got, err := e.App.Store.Analytics.Breakdowns(t.Context(), vendorID, q, attribution.AnalyticsGroupBys)
		if err != nil || len(got) != len(attribution.AnalyticsGroupBys) {
			t.Fatalf("%s: Breakdowns(%+v) = %d reports, %v", phase, q, len(got), err)
		}
		for i, g := range attribution.AnalyticsGroupBys {
			q.GroupBy = g
			want, err := e.App.Store.Analytics.Analytics(t.Context(), vendorID, q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Errorf("%s: group_by=%s, %+v:\nBreakdowns %+v\n Analytics %+v", phase, g, q, got[i], want)
			}
		}
	}
}
