package migrations_test

import (
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// 20261130000600_rollup_utm rewinds the rollup to the second rolled-up hour
// after the oldest click kept, so that the job rolls up again, with UTM
// medium and campaign, every hour whose clicks are all still there.
func TestRollupUTM_RewindsOverKeptClicks(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	migrateBefore(t, s, "20261130000600")

	h := func(n int) time.Time { return time.Date(2026, 11, 1, n, 0, 0, 0, time.UTC) }
	// Retention deleted the clicks before 01:30: hour 0 is gone, hour 1 half.
	c := &attribution.Click{ID: "clk_kept", VendorID: "ven_1", LinkID: "lnk_1", PartnerID: "par_1", ClickedAt: h(1).Add(30 * time.Minute)}
	// Written directly: the store's click writer belongs to the newest schema.
	if _, err := s.DB().NewInsert().Model(c).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 5; n++ {
		if _, err := s.DB().NewRaw(`INSERT INTO click_rollups (vendor_id, hour, link_id, partner_id, variant, utm_source, source,
			referrer_host, country, device, browser, os, clicks, bot_clicks) VALUES ('ven_1', ?, 'lnk_1', 'par_1', '', '', '', '', '', '', '', '', 1, 0)`,
			h(n)).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().NewRaw("INSERT INTO rollup_state (name, through) VALUES ('clicks', ?)", h(5)).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}

	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var through time.Time
	if err := s.DB().NewRaw("SELECT through FROM rollup_state WHERE name = 'clicks'").Scan(t.Context(), &through); err != nil {
		t.Fatal(err)
	}
	// Hours 2 and later are whole; the job redoes the hour before through.
	if !through.Equal(h(3)) {
		t.Errorf("rollup_state.through = %v, want %v", through.UTC(), h(3))
	}
	var medium, campaign string
	if err := s.DB().NewRaw("SELECT utm_medium, utm_campaign FROM click_rollups WHERE hour = ?", h(0)).Scan(t.Context(), &medium, &campaign); err != nil {
		t.Fatal(err)
	}
	if medium != "" || campaign != "" {
		t.Errorf("an old rollup's medium and campaign: %q %q", medium, campaign)
	}
}
