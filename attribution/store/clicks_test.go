package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
)

// openStore opens a migrated store on a fresh test database.
func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	url := testenv.DatabaseURL(t)
	s, err := store.Open(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s, url
}

func countClicks(t *testing.T, s *store.Store) int {
	t.Helper()
	n, err := s.DB().NewSelect().Table("clicks").Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

var clickTime = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func newClick(i int) *attribution.Click {
	now := clickTime.Add(time.Duration(i) * time.Millisecond)
	return &attribution.Click{
		ID: attribution.NewID(attribution.PrefixClick, now), VendorID: "ven_x", LinkID: "lnk_x", PartnerID: "par_x",
		ClickedAt: now, IPTrunc: "192.0.2.0", IPHash: fmt.Sprintf("%032x", i), Browser: "Chrome", OS: "Windows",
		Device: "desktop", Source: "direct", UTMSource: "newsletter", Variant: "b",
	}
}

func TestInsertClicks_Duplicate(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t)
	clicks := []*attribution.Click{newClick(1), newClick(2)}
	if err := s.Clicks.InsertClicks(t.Context(), clicks); err != nil {
		t.Fatal(err)
	}
	// A batch retried after an ambiguous failure is written once.
	if err := s.Clicks.InsertClicks(t.Context(), clicks); err != nil {
		t.Fatalf("second insert: %v", err)
	}
	if got := countClicks(t, s); got != 2 {
		t.Fatalf("clicks = %d, want 2", got)
	}
	// A batch mixing written and new clicks writes only the new ones.
	if err := s.Clicks.InsertClicks(t.Context(), append(clicks, newClick(3))); err != nil {
		t.Fatalf("mixed insert: %v", err)
	}
	if got := countClicks(t, s); got != 3 {
		t.Fatalf("clicks = %d, want 3", got)
	}
	if err := s.Clicks.InsertClicks(t.Context(), nil); err != nil {
		t.Errorf("empty insert: %v", err)
	}
}

// Text that SQL or COPY would misread is stored as it is, in a small batch
// (one INSERT of literals on PostgreSQL) and in a large one (COPY).
func TestInsertClicks_HostileText(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t)
	hostile := []string{`it's`, `back\slash`, `trailing\`, `\'`, "tab\there", "new\nline\r", `?`, `$1`, `E'x'`, "été ✓", `'); DROP TABLE clicks; --`}
	for _, n := range []int{1, len(hostile), 200} {
		batch := make([]*attribution.Click, n)
		for i := range batch {
			c := newClick(n*1000 + i)
			v := hostile[i%len(hostile)]
			c.UTMSource, c.UTMCampaign, c.Variant, c.ReferrerHost, c.OS = v, v+v, v, v, v
			c.Bot = i%2 == 0
			batch[i] = c
		}
		if err := s.Clicks.InsertClicks(t.Context(), batch); err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		for _, want := range batch {
			var got attribution.Click
			if err := s.DB().NewSelect().Model(&got).Where("id = ?", want.ID).Scan(t.Context()); err != nil {
				t.Fatalf("batch of %d: %v", n, err)
			}
			if !got.ClickedAt.Equal(want.ClickedAt) {
				t.Errorf("clicked_at = %v, want %v", got.ClickedAt, want.ClickedAt)
			}
			got.ClickedAt = want.ClickedAt
			if got != *want {
				t.Fatalf("batch of %d: row = %+v\nwant  %+v", n, got, *want)
			}
		}
	}
	if got := countClicks(t, s); got != 1+len(hostile)+200 {
		t.Errorf("clicks = %d", got)
	}
}
