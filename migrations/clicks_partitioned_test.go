package migrations_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
)

// clickRow is what must survive the migration of a click, unchanged.
type clickRow struct {
	ID          string    `bun:"id"`
	ClickedAt   time.Time `bun:"clicked_at"`
	VisitorHash string    `bun:"visitor_hash"`
	UTMSource   string    `bun:"utm_source"`
}

func allClicks(t *testing.T, s *store.Store) []clickRow {
	t.Helper()
	var rows []clickRow
	if err := s.DB().NewRaw("SELECT id, clicked_at, visitor_hash, utm_source FROM clicks ORDER BY id").Scan(t.Context(), &rows); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].ClickedAt = rows[i].ClickedAt.UTC()
	}
	return rows
}

// 20261130001300_clicks_partitioned turns a database's clicks table, with
// its rows, into the partitioned one (PostgreSQL) in place: every row is
// still there, new clicks go to monthly partitions, and retention drops
// the old table as a whole once it is past the cutoff, keeping the
// attributing clicks. On SQLite, where clicks stay one table, the same
// upgrade keeps every row and retention deletes the same ones.
func TestClicksPartitioned_MigratesExistingClicks(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	migrateBefore(t, s, "20261130001300")

	// 3,000 clicks from January 2025 to now, as the old table held them.
	now := time.Now().UTC().Truncate(time.Microsecond)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 3000
	step := now.Sub(start) / n
	var old []*attribution.Click
	for i := range n {
		old = append(old, &attribution.Click{ID: fmt.Sprintf("clk_old%05d", i), VendorID: "ven_m", LinkID: "lnk_m", PartnerID: "par_m",
			ClickedAt: start.Add(time.Duration(i) * step), IPHash: "ip", VisitorHash: fmt.Sprintf("v%d", i%97), UTMSource: "old"})
	}
	// Written directly: the store's click writer belongs to the newest schema.
	if _, err := s.DB().NewInsert().Model(&old).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	at := old[10].ClickedAt
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO vendors (id, name, public_key, secret_key_hash, created_at, updated_at) VALUES ('ven_m', 'V', 'pk_m', 'sk_m', ?, ?)`, []any{at, at}},
		{`INSERT INTO customers (id, vendor_id, click_id, created_at, updated_at) VALUES ('cus_m', 'ven_m', 'clk_old00010', ?, ?)`, []any{at, at}},
		{`INSERT INTO purchases (id, vendor_id, click_id, source, amount, currency, status, purchased_at, created_at, updated_at)
			VALUES ('pur_m', 'ven_m', 'clk_old00020', 'manual', 100, 'usd', 'paid', ?, ?, ?)`, []any{at, at, at}},
	} {
		if _, err := s.DB().NewRaw(st.sql, st.args...).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	wantRows := allClicks(t, s)

	applied, err := s.Migrate(t.Context())
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if s.Dialect() == store.Postgres && !slices.Contains(applied, "20261130001300") {
		t.Fatalf("applied %v", applied)
	}
	if got := allClicks(t, s); !slices.Equal(got, wantRows) {
		t.Fatalf("after the migration: %d clicks, want the %d there were, unchanged", len(got), len(wantRows))
	}

	nextMonth := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	legacy := fmt.Sprintf("clicks_before_y%04dm%02d", nextMonth.Year(), int(nextMonth.Month()))
	monthly := fmt.Sprintf("clicks_y%04dm%02d", nextMonth.Year(), int(nextMonth.Month()))
	if s.Dialect() == store.Postgres {
		var parts []string
		if err := s.DB().NewRaw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'clicks'::regclass ORDER BY c.relname`).Scan(t.Context(), &parts); err != nil {
			t.Fatal(err)
		}
		if len(parts) != 5 || parts[0] != legacy || parts[1] != "clicks_default" || parts[2] != monthly {
			t.Fatalf("partitions = %v, want %s, clicks_default and 3 months from %s", parts, legacy, monthly)
		}
		// The old table, still taking this month's clicks, is tuned as a month.
		var options string
		if err := s.DB().NewRaw("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = ?", legacy).Scan(t.Context(), &options); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(options, "autovacuum_vacuum_insert_scale_factor=0") {
			t.Errorf("%s storage parameters: %q", legacy, options)
		}
		var indexes []string
		if err := s.DB().NewRaw("SELECT indexname FROM pg_indexes WHERE tablename = 'clicks' ORDER BY indexname").Scan(t.Context(), &indexes); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(indexes, []string{"clicks_pkey", "clicks_vendor_ip_time", "clicks_vendor_time"}) { // the diagnosis index of migration 20261130001402 included
			t.Errorf("indexes of clicks = %v", indexes)
		}
	}

	// New clicks: next month's goes to its partition; a retried batch
	// holding an old click writes it once.
	fresh := &attribution.Click{ID: "clk_new", VendorID: "ven_m", LinkID: "lnk_m", PartnerID: "par_m", ClickedAt: nextMonth.Add(36 * time.Hour)}
	if err := s.Clicks.InsertClicks(t.Context(), []*attribution.Click{fresh, old[5]}); err != nil {
		t.Fatal(err)
	}
	if got := len(allClicks(t, s)); got != n+1 {
		t.Fatalf("clicks = %d, want %d", got, n+1)
	}
	if s.Dialect() == store.Postgres {
		var part string
		if err := s.DB().NewRaw("SELECT tableoid::regclass::text FROM clicks WHERE id = 'clk_new'").Scan(t.Context(), &part); err != nil {
			t.Fatal(err)
		}
		if part != monthly {
			t.Errorf("the new click is in %s, want %s", part, monthly)
		}
	}

	// Retention up to next month: the old table is wholly past it and goes
	// (row by row on SQLite), but for the two attributing clicks.
	if _, err := s.DB().NewRaw("INSERT INTO rollup_state (name, through) VALUES ('clicks', ?)", nextMonth.AddDate(1, 0, 0)).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := s.Retention.PruneClicks(t.Context(), nextMonth)
	if err != nil {
		t.Fatal(err)
	}
	if res.ClicksDeleted != n-2 || res.ClicksKept != 2 {
		t.Errorf("retention = %+v, want %d deleted and 2 kept", res, n-2)
	}
	if s.Dialect() == store.Postgres && res.PartitionsDropped != 1 {
		t.Errorf("retention dropped %d partitions, want 1 (%s)", res.PartitionsDropped, legacy)
	}
	left := allClicks(t, s)
	var ids []string
	for _, r := range left {
		ids = append(ids, r.ID)
		if r.ID != "clk_new" && r.VisitorHash != "" {
			t.Errorf("kept click %s still has its visitor hash", r.ID)
		}
	}
	if !slices.Equal(ids, []string{"clk_new", "clk_old00010", "clk_old00020"}) {
		t.Errorf("clicks left = %v", ids)
	}
}
