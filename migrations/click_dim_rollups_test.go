package migrations_test

import (
	"reflect"
	"testing"
	"time"
)

// 20261130001201_click_dim_rollups fills click_dim_rollups with the sums of
// the hours already rolled up, per vendor, hour and dimension.
func TestClickDimRollups_FilledFromRollups(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	migrateBefore(t, s, "20261130001201")

	h := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		vendor, link, country  string
		clicks, bots, u00, u05 int
	}{
		{"ven_1", "lnk_1", "US", 3, 1, 2, 3},
		{"ven_1", "lnk_2", "US", 2, 0, 2, 1},
		{"ven_1", "lnk_2", "FR", 1, 0, 1, 1},
		{"ven_2", "lnk_9", "US", 5, 0, 5, 5},
	} {
		if _, err := s.DB().NewRaw(`INSERT INTO click_rollups (vendor_id, hour, link_id, partner_id, variant, utm_source, source,
			referrer_host, country, device, browser, os, clicks, bot_clicks, u00, u05)
			VALUES (?, ?, ?, 'par_1', '', '', '', '', ?, '', '', '', ?, ?, ?, ?)`,
			r.vendor, h, r.link, r.country, r.clicks, r.bots, r.u00, r.u05).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}

	type sum struct {
		Dim      string `bun:"dim"`
		Value    string `bun:"dim_value"`
		Clicks   int    `bun:"clicks"`
		Bots     int    `bun:"bot_clicks"`
		U00, U05 int
	}
	var got []sum
	if err := s.DB().NewRaw(`SELECT dim, dim_value, clicks, bot_clicks, u00, u05 FROM click_dim_rollups
		WHERE vendor_id = 'ven_1' AND hour = ? AND dim IN ('', 'country', 'link_id', 'partner_id') ORDER BY dim, dim_value`, h).
		Scan(t.Context(), &got); err != nil {
		t.Fatal(err)
	}
	want := []sum{
		{"", "", 6, 1, 5, 5},
		{"country", "FR", 1, 0, 1, 1},
		{"country", "US", 5, 1, 4, 4},
		{"link_id", "lnk_1", 3, 1, 2, 3},
		{"link_id", "lnk_2", 3, 0, 3, 2},
		{"partner_id", "par_1", 6, 1, 5, 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("click_dim_rollups of ven_1:\n got %+v\nwant %+v", got, want)
	}
	var dims int
	if err := s.DB().NewRaw("SELECT COUNT(DISTINCT dim) FROM click_dim_rollups WHERE vendor_id = 'ven_2'").Scan(t.Context(), &dims); err != nil {
		t.Fatal(err)
	}
	if dims != 13 { // the total and twelve dimensions
		t.Errorf("ven_2 has %d dimensions rolled up, want 13", dims)
	}
}
