package web_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestAnalyticsPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")
	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	linus := e.NewPartner(t, v, "Linus", "linus@partners.example")
	lg := e.NewLink(t, v, grace, "https://acme.example/")
	ll := e.NewLink(t, v, linus, "https://acme.example/")
	for i, q := range []string{"?v=a&utm_source=facebook&utm_medium=social&utm_campaign=spring", "?v=a&utm_source=facebook", "?v=b&utm_source=news"} {
		e.Must(t, http.StatusFound, e.Click(t, lg.Key+q, "User-Agent", testenv.BrowserUA+" visitor-"+string(rune('a'+i))))
	}
	// A UTM value a spreadsheet would run as a formula.
	e.Must(t, http.StatusFound, e.Click(t, ll.Key+"?utm_source=%3D1%2B2", "User-Agent", testenv.BrowserUA+" visitor-z"))
	today := e.Clock.Now().Format("2006-01-02")

	page := b.Get(t, "/dashboard/analytics?start="+today+"&end="+today).Must(t, http.StatusOK)
	got := text(page)
	for _, want := range []string{
		"Clicks 4 Unique clicks 4 Bot clicks 0",
		"Clicks by variant Variant Clicks Unique Bots Signups Purchases Revenue a 2 2 0 0 0 (none) 1 1 0 0 0 b 1 1 0 0 0",
		"Clicks by UTM source UTM source Clicks Unique Bots Signups Purchases Revenue facebook 2",
		"Clicks by UTM medium UTM medium Clicks Unique Bots Signups Purchases Revenue (none) 3 3 0 0 0 social 1",
		"Clicks by UTM campaign UTM campaign Clicks Unique Bots Signups Purchases Revenue (none) 3 3 0 0 0 spring 1",
		"Signups 0 (0.0 % of clicks)",
		"Clicks by OS", "Clicks by device", "Clicks by browser", "Clicks by country", "Clicks by referrer", "Clicks by source",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the analytics page lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(page.Body, `data-chart="{`) || !strings.Contains(page.Body, "Count by Day as a table") {
		t.Errorf("no chart data or no table of it")
	}

	t.Run("Filters", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard/analytics?start="+today+"&end="+today+"&partner_id="+linus.ID).Must(t, http.StatusOK))
		if !strings.Contains(got, "Clicks 1 Unique clicks 1") {
			t.Errorf("Linus alone:\n%s", got)
		}
		got = text(b.Get(t, "/dashboard/analytics?start="+today+"&end="+today+"&link_id="+lg.ID).Must(t, http.StatusOK))
		if !strings.Contains(got, "Clicks 3 Unique clicks 3") {
			t.Errorf("Grace's link alone:\n%s", got)
		}
		got = text(b.Get(t, "/dashboard/links/"+ll.ID+"?start="+today+"&end="+today).Must(t, http.StatusOK))
		if !strings.Contains(got, "Clicks 1 Unique clicks 1") {
			t.Errorf("Linus's link page:\n%s", got)
		}
		// A period before anything happened.
		if got := text(b.Get(t, "/dashboard/analytics?start=2025-01-01&end=2025-01-31").Must(t, http.StatusOK)); !strings.Contains(got, "Clicks 0") || !strings.Contains(got, "No clicks in this period") {
			t.Errorf("January 2025:\n%s", got)
		}
		b.Get(t, "/dashboard/analytics?start=2025-01-01&end=2024-01-01").Must(t, http.StatusBadRequest)
		b.Get(t, "/dashboard/analytics?start=2024-01-01&end=2025-12-31").Must(t, http.StatusBadRequest) // longer than the API allows
	})

	t.Run("CSV", func(t *testing.T) {
		if !strings.Contains(page.Body, "/dashboard/analytics.csv?end="+today+"&amp;group_by=utm_source&amp;start="+today) {
			t.Fatalf("no CSV link of the UTM source table")
		}
		r := b.Get(t, "/dashboard/analytics.csv?group_by=utm_source&start="+today+"&end="+today).Must(t, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("headers: %v", r.Header)
		}
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"utm_source", "clicks", "unique_clicks", "bot_clicks", "signups", "purchases"},
			{"facebook", "2", "2", "0", "0", "0"},
			{"'=1+2", "1", "1", "0", "0", "0"},
			{"news", "1", "1", "0", "0", "0"},
		}
		if len(recs) != len(want) {
			t.Fatalf("CSV:\n%s", r.Body)
		}
		for i := range want {
			if strings.Join(recs[i], ",") != strings.Join(want[i], ",") {
				t.Errorf("CSV row %d = %q, want %q", i, recs[i], want[i])
			}
		}
		b.Get(t, "/dashboard/analytics.csv?group_by=everything").Must(t, http.StatusBadRequest)
	})
}
