package store_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
)

// openStoreAt opens a store on url whose clock reads at, and migrates it.
func openStoreAt(t *testing.T, url string, at time.Time) *store.Store {
	t.Helper()
	s, err := store.Open(url, store.Options{Clock: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func clickAt(id string, at time.Time) *attribution.Click {
	return &attribution.Click{ID: id, VendorID: "ven_p", LinkID: "lnk_p", PartnerID: "par_p", ClickedAt: at,
		IPTrunc: "192.0.2.0", IPHash: "iphash", VisitorHash: "visitor"}
}

// partitionOf names the table a click is stored in: its partition on
// PostgreSQL, clicks on SQLite.
func partitionOf(t *testing.T, s *store.Store, id string) string {
	t.Helper()
	q := "SELECT 'clicks' FROM clicks WHERE id = ?"
	if s.Dialect() == store.Postgres {
		q = "SELECT tableoid::regclass::text FROM clicks WHERE id = ?"
	}
	var name string
	if err := s.DB().NewRaw(q, id).Scan(t.Context(), &name); err != nil {
		t.Fatalf("click %s: %v", id, err)
	}
	return name
}

// want is the partition expected on PostgreSQL; SQLite has one table.
func want(s *store.Store, partition string) string {
	if s.Dialect() == store.Postgres {
		return partition
	}
	return "clicks"
}

// listPartitions lists the partitions of clicks with their storage
// parameters (none on SQLite).
func listPartitions(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if s.Dialect() != store.Postgres {
		return out
	}
	var rows []struct {
		Name    string `bun:"name"`
		Options string `bun:"options"`
	}
	if err := s.DB().NewRaw(`SELECT c.relname AS name, COALESCE(array_to_string(c.reloptions, ','), '') AS options
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'clicks'::regclass`).Scan(t.Context(), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		out[r.Name] = r.Options
	}
	return out
}

func partitionNames(m map[string]string) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// The current month and the three after it have their partition from the
// start, tuned for inserts; a click of any time is written, those no month
// covers into the default partition.
func TestClickPartitions_CreatedAheadAndAnyTimeWritten(t *testing.T) {
	t.Parallel()
	s := openStoreAt(t, testenv.DatabaseURL(t), time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC))
	parts := listPartitions(t, s)
	if s.Dialect() == store.Postgres {
		names := partitionNames(parts)
		wantNames := []string{"clicks_default", "clicks_y2026m03", "clicks_y2026m04", "clicks_y2026m05", "clicks_y2026m06"}
		if !slices.Equal(names, wantNames) {
			t.Fatalf("partitions = %v, want %v", names, wantNames)
		}
		for _, n := range wantNames[1:] {
			if !strings.Contains(parts[n], "autovacuum_vacuum_insert_scale_factor=0") {
				t.Errorf("%s storage parameters: %q", n, parts[n])
			}
		}
	}
	cases := map[string]struct {
		at        time.Time
		partition string
	}{
		"clk_past":   {time.Date(1999, 12, 31, 23, 59, 0, 0, time.UTC), "clicks_default"},
		"clk_march":  {time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC), "clicks_y2026m03"},
		"clk_june":   {time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "clicks_y2026m06"},
		"clk_future": {time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), "clicks_default"},
	}
	var batch []*attribution.Click
	for id, c := range cases {
		batch = append(batch, clickAt(id, c.at))
	}
	if err := s.Clicks.InsertClicks(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	// A retried batch (same ids and times) is written once.
	if err := s.Clicks.InsertClicks(t.Context(), batch); err != nil {
		t.Fatalf("retried batch: %v", err)
	}
	if n := countClicks(t, s); n != len(cases) {
		t.Fatalf("clicks = %d, want %d", n, len(cases))
	}
	for id, c := range cases {
		if got := partitionOf(t, s, id); got != want(s, c.partition) {
			t.Errorf("%s is in %s, want %s", id, got, want(s, c.partition))
		}
	}
}

// Several instances creating the partitions ahead at once, while clicks are
// written, all succeed and create each partition once; the clicks the
// default partition took for a month that now gets its partition move
// there.
func TestClickPartitions_ConcurrentInstances(t *testing.T) {
	t.Parallel()
	url := testenv.DatabaseURL(t)
	first := openStoreAt(t, url, time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC))
	// August has no partition yet: its click goes to the default one.
	if err := first.Clicks.InsertClicks(t.Context(), []*attribution.Click{clickAt("clk_aug", time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC))}); err != nil {
		t.Fatal(err)
	}
	if got := partitionOf(t, first, "clk_aug"); got != want(first, "clicks_default") {
		t.Fatalf("clk_aug is in %s", got)
	}

	// Five instances, in June, at once.
	june := time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC)
	var instances []*store.Store
	for range 5 {
		s, err := store.Open(url, store.Options{Clock: func() time.Time { return june }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		instances = append(instances, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(instances))
	for i, s := range instances {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- s.EnsureClickPartitions(t.Context())
		}()
		go func() {
			defer wg.Done()
			var batch []*attribution.Click
			for j := range 50 {
				batch = append(batch, clickAt(fmt.Sprintf("clk_%d_%d", i, j), june.Add(time.Duration(j)*24*time.Hour)))
			}
			errs <- s.Clicks.InsertClicks(t.Context(), batch)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := countClicks(t, first); n != 1+5*50 {
		t.Errorf("clicks = %d, want %d", n, 1+5*50)
	}
	if got := partitionOf(t, first, "clk_aug"); got != want(first, "clicks_y2026m08") {
		t.Errorf("clk_aug is in %s, want clicks_y2026m08", got)
	}
	if first.Dialect() == store.Postgres {
		names := partitionNames(listPartitions(t, first))
		wantNames := []string{"clicks_default", "clicks_y2026m03", "clicks_y2026m04", "clicks_y2026m05", "clicks_y2026m06",
			"clicks_y2026m07", "clicks_y2026m08", "clicks_y2026m09"}
		if !slices.Equal(names, wantNames) {
			t.Errorf("partitions = %v, want %v", names, wantNames)
		}
	}
}

// insertAttributing writes a vendor, a customer credited by click
// customerClick and a purchase credited by purchaseClick, as the store
// would.
func insertAttributing(t *testing.T, s *store.Store, vendorID, customerClick, purchaseClick string, at time.Time) {
	t.Helper()
	db := s.DB()
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO vendors (id, name, public_key, secret_key_hash, created_at, updated_at) VALUES (?, 'V', ?, ?, ?, ?)`,
			[]any{vendorID, "pk_" + vendorID, "sk_" + vendorID, at, at}},
		{`INSERT INTO customers (id, vendor_id, click_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			[]any{"cus_" + customerClick, vendorID, customerClick, at, at}},
		{`INSERT INTO purchases (id, vendor_id, click_id, source, amount, currency, status, purchased_at, created_at, updated_at)
			VALUES (?, ?, ?, 'manual', 100, 'usd', 'paid', ?, ?, ?)`,
			[]any{"pur_" + purchaseClick, vendorID, purchaseClick, at, at, at}},
	}
	for _, st := range stmts {
		if _, err := db.NewRaw(st.sql, st.args...).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// rolledUpThrough records the click rollup as done through at, which
// retention waits for.
func rolledUpThrough(t *testing.T, s *store.Store, at time.Time) {
	t.Helper()
	if _, err := s.DB().NewRaw("DELETE FROM rollup_state WHERE name = 'clicks'").Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().NewRaw("INSERT INTO rollup_state (name, through) VALUES ('clicks', ?)", at).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// Retention drops a month wholly past the cutoff (PostgreSQL) and keeps
// the clicks that credit a customer or purchase, hashes erased, in the
// default partition; the month reaching past the cutoff is left whole;
// the default partition's old rows are deleted one by one. SQLite deletes
// the same rows one by one.
func TestRetention_DropsWholeMonthsKeepsAttributingClicks(t *testing.T) {
	t.Parallel()
	s := openStoreAt(t, testenv.DatabaseURL(t), time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC))
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	clicks := []*attribution.Click{
		clickAt("clk_feb", day(2, 10)),   // default partition, deleted as a row
		clickAt("clk_mar1", day(3, 11)),  // dropped with March
		clickAt("clk_mar2", day(3, 20)),  // dropped with March
		clickAt("clk_mar_c", day(3, 12)), // credits a customer: kept
		clickAt("clk_mar_p", day(3, 13)), // credits a purchase: kept
		clickAt("clk_apr", day(4, 2)),    // April reaches past the cutoff: kept whole
	}
	if err := s.Clicks.InsertClicks(t.Context(), clicks); err != nil {
		t.Fatal(err)
	}
	insertAttributing(t, s, "ven_p", "clk_mar_c", "clk_mar_p", day(3, 14))
	rolledUpThrough(t, s, day(5, 1))

	res, err := s.Retention.PruneClicks(t.Context(), day(4, 10))
	if err != nil {
		t.Fatal(err)
	}
	wantDropped := 0
	if s.Dialect() == store.Postgres {
		wantDropped = 1
	}
	// SQLite deletes April 2's click too: its retention is by row.
	wantDeleted := int64(3)
	if s.Dialect() == store.SQLite {
		wantDeleted = 4
	}
	if res.PartitionsDropped != wantDropped || res.ClicksDeleted != wantDeleted || res.ClicksKept != 2 {
		t.Fatalf("retention = %+v, want %d partition dropped, %d deleted, 2 kept", res, wantDropped, wantDeleted)
	}
	var left []attribution.Click
	if err := s.DB().NewSelect().Model(&left).Order("id").Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range left {
		ids = append(ids, c.ID)
		if kept := strings.HasPrefix(c.ID, "clk_mar_"); kept && (c.IPHash != "" || c.VisitorHash != "" || c.IPTrunc != "" || c.LinkID != "lnk_p") {
			t.Errorf("kept click %s: %+v, want its hashes erased and the rest kept", c.ID, c)
		}
	}
	wantIDs := []string{"clk_apr", "clk_mar_c", "clk_mar_p"}
	if s.Dialect() == store.SQLite {
		wantIDs = wantIDs[1:]
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("clicks left = %v, want %v", ids, wantIDs)
	}
	if got := partitionOf(t, s, "clk_mar_c"); got != want(s, "clicks_default") {
		t.Errorf("clk_mar_c is in %s, want clicks_default", got)
	}
	if _, ok := listPartitions(t, s)["clicks_y2026m03"]; ok {
		t.Error("clicks_y2026m03 is still there")
	}
	// Again: nothing more goes.
	if res, err := s.Retention.PruneClicks(t.Context(), day(4, 10)); err != nil || res.ClicksDeleted != 0 || res.ClicksKept != 0 || res.PartitionsDropped != 0 {
		t.Fatalf("second retention = %+v, %v", res, err)
	}
}

// A click retried in a batch that COPY refuses (an id already written) and
// the INSERT fallback writes is stored once, whatever its nanoseconds:
// COPY rounds them and the INSERT would truncate them, which on the key
// (id, clicked_at) would make two rows of one click.
func TestInsertClicks_RetriedWithNanoseconds(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t)
	at := time.Date(2026, 1, 15, 12, 0, 0, 999, time.UTC) // 999 ns: rounds up, truncates down
	if err := s.Clicks.InsertClicks(t.Context(), []*attribution.Click{clickAt("clk_ns", at)}); err != nil {
		t.Fatal(err)
	}
	retried := []*attribution.Click{clickAt("clk_ns", at), clickAt("clk_other", at)}
	if err := s.Clicks.InsertClicks(t.Context(), retried); err != nil {
		t.Fatal(err)
	}
	if n := countClicks(t, s); n != 2 {
		t.Fatalf("clicks = %d, want 2", n)
	}
}
