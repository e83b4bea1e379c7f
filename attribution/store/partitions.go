package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// On PostgreSQL clicks are partitioned by UTC month of clicked_at (migration
// 20261130001300_clicks_partitioned): clicks_yYYYYmMM holds one month,
// clicks_before_yYYYYmMM (a database migrated from the unpartitioned table)
// everything before that month, clicks_default whatever no other partition
// takes. The names carry the bounds: retention and the creation of
// partitions read them from the names. SQLite keeps one table.

// clickPartitionsAhead is how many months after the current one have their
// partition ready, so that a month never starts in the default partition
// even if the job stops running for a while.
const clickPartitionsAhead = 3

// clickPartitionsLock serializes every change of the partitions across
// instances: creating them ahead, and retention dropping them.
const clickPartitionsLock = "tally: clicks partitions"

// clickPartitionLockTimeout bounds the wait for the locks a partition change
// takes on clicks: waiting behind a long query would make every click
// writer queue behind the change. The change fails instead and the next
// run does it.
const clickPartitionLockTimeout = "3s"

// clickDefaultPartition takes the clicks no other partition covers.
const clickDefaultPartition = "clicks_default"

// clickPartitionOptions are the storage parameters of every month partition
// (and of the migrated table), set when created and reset by
// EnsureClickPartitions on any that differ. The clicks of a month are
// inserted and never updated (retention erases the hashes of the few
// attributing clicks it keeps, in the default partition), so:
//   - vacuum never has dead rows to remove; it runs only to mark pages all
//     visible (index-only scans) and to freeze. By default an insert-driven
//     vacuum starts after 20% growth of the table: on a big month that is
//     one long pass competing with the redirect's writes, the stalls of
//     issue 15. A fixed threshold of 100,000 inserts (scale factor 0) gives
//     small regular passes, each over the pages written since the last one.
//   - freeze_min_age 0: those passes freeze the rows they mark visible
//     (they dirty the page anyway), so no later anti-wraparound vacuum
//     rewrites a whole old month at once.
//   - analyze after every 1,000,000 inserts. Analyze samples a fixed
//     30,000 rows whatever the size: on a month of 3.5 million clicks each
//     run cost 0.3 s of CPU and 28,000 page reads, and after every 100,000
//     inserts that was 3 µs of PostgreSQL CPU per click and, at 5,000/s, a
//     stall of the redirect's commits every 20 s (issue 15's tail). The
//     current month's queries read ranges past the sampled histogram, which
//     the planner bounds with the index's actual maximum anyway.
//   - the cost delay stays PostgreSQL's throttle (2 ms per 200 cost units),
//     written here so that the partition does not inherit a faster global
//     setting: vacuum must never take a CPU from the redirect.
//
// fillfactor stays 100: no row is updated in place. Snippet pings need none
// of this: snippet_pages holds one row per page and hour, updated in place
// (hot updates), a small table the default settings handle.
var clickPartitionOptions = []string{
	"autovacuum_vacuum_insert_threshold=100000",
	"autovacuum_vacuum_insert_scale_factor=0",
	"autovacuum_analyze_threshold=1000000",
	"autovacuum_analyze_scale_factor=0",
	"autovacuum_freeze_min_age=0",
	"autovacuum_vacuum_cost_delay=2",
}

// clickPartition is one partition of clicks, its range read from its name.
type clickPartition struct {
	name    string
	from    time.Time // zero for clicks_before_… (MINVALUE) and the default
	to      time.Time // zero for the default
	options string    // its storage parameters, comma-separated
}

// monthStart is the first instant of t's UTC month.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// clickMonthPartition is the name of the partition of the month starting at m.
func clickMonthPartition(m time.Time) string {
	return fmt.Sprintf("clicks_y%04dm%02d", m.Year(), int(m.Month()))
}

// parseClickPartition reads a partition's range from its name.
func parseClickPartition(name string) (clickPartition, bool) {
	p := clickPartition{name: name}
	if name == clickDefaultPartition {
		return p, true
	}
	rest, before := strings.CutPrefix(name, "clicks_before_")
	if !before {
		rest = strings.TrimPrefix(name, "clicks_")
	}
	var y, m int
	if n, err := fmt.Sscanf(rest, "y%04dm%02d", &y, &m); err != nil || n != 2 || m < 1 || m > 12 {
		return p, false
	}
	start := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	if before {
		p.to = start
	} else {
		p.from, p.to = start, start.AddDate(0, 1, 0)
	}
	return p, true
}

// clickPartitions lists the partitions of clicks, oldest first, the default
// last.
func clickPartitions(ctx context.Context, db bun.IDB) ([]clickPartition, error) {
	var rows []struct {
		Name    string `bun:"name"`
		Options string `bun:"options"`
	}
	err := db.NewRaw(`SELECT c.relname AS name, COALESCE(array_to_string(c.reloptions, ','), '') AS options
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'clicks'::regclass`).Scan(ctx, &rows)
	if err != nil {
		return nil, classify(err)
	}
	var out []clickPartition
	for _, r := range rows {
		p, ok := parseClickPartition(r.Name)
		if !ok {
			return nil, fmt.Errorf("clicks partition %q: not a name Tally gives", r.Name)
		}
		p.options = r.Options
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b clickPartition) int {
		if a.to.IsZero() != b.to.IsZero() { // the default last
			if a.to.IsZero() {
				return 1
			}
			return -1
		}
		return a.to.Compare(b.to)
	})
	return out, nil
}

// EnsureClickPartitions creates the partitions of clicks for the current
// month and the clickPartitionsAhead months after it, those not there yet,
// and gives every partition clickPartitionOptions. Instances may call it at
// the same time: the changes take one advisory lock. Migrate calls it, and
// app every hour. Nothing to do on SQLite.
func (s *Store) EnsureClickPartitions(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	return classify(s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockClickPartitions(ctx, s.dialect, tx); err != nil {
			return err
		}
		parts, err := clickPartitions(ctx, tx)
		if err != nil {
			return err
		}
		// A month before the end of clicks_before_… is in it already.
		var covered time.Time
		for _, p := range parts {
			if p.from.IsZero() && p.to.After(covered) {
				covered = p.to
			}
		}
		first := monthStart(s.now())
		for m := first; !m.After(first.AddDate(0, clickPartitionsAhead, 0)); m = m.AddDate(0, 1, 0) {
			exists := slices.ContainsFunc(parts, func(p clickPartition) bool { return p.from.Equal(m) })
			if exists || m.Before(covered) {
				continue
			}
			if err := createClickPartition(ctx, tx, m); err != nil {
				return fmt.Errorf("create %s: %w", clickMonthPartition(m), err)
			}
		}
		want := strings.Join(clickPartitionOptions, ",")
		for _, p := range parts {
			if p.name == clickDefaultPartition || sameOptions(p.options, want) {
				continue
			}
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+p.name+" SET ("+want+")"); err != nil {
				return fmt.Errorf("set the storage parameters of %s: %w", p.name, err)
			}
		}
		return nil
	}))
}

// sameOptions tells whether two comma-separated lists of storage
// parameters hold the same ones.
func sameOptions(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

// lockClickPartitions takes the partitions' advisory lock for tx, and
// bounds tx's waits for table locks.
func lockClickPartitions(ctx context.Context, d dialect, tx bun.Tx) error {
	if err := d.xactLockName(ctx, tx, clickPartitionsLock); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '"+clickPartitionLockTimeout+"'")
	return err
}

// createClickPartition creates the partition of the month starting at m,
// moving into it the clicks of that month the default partition took (a
// range partition cannot be attached while the default holds rows of its
// range). It is built apart, with a CHECK constraint so that attaching it
// does not scan it. Writers of clicks wait while it moves rows and attaches
// (milliseconds: the default holds few rows): a write that had chosen the
// default partition before the attach would fail its new constraint (a
// click of that month), so none may be under way. Readers do not wait.
func createClickPartition(ctx context.Context, tx bun.Tx, m time.Time) error {
	name, end := clickMonthPartition(m), m.AddDate(0, 1, 0)
	stmts := []struct {
		sql  string
		args []any
	}{
		{"CREATE TABLE " + name + " (LIKE clicks INCLUDING DEFAULTS) WITH (" + strings.Join(clickPartitionOptions, ",") + ")", nil},
		{"LOCK TABLE ONLY clicks IN SHARE ROW EXCLUSIVE MODE", nil},
		{"WITH moved AS (DELETE FROM " + clickDefaultPartition + " WHERE clicked_at >= ? AND clicked_at < ? RETURNING *) " +
			"INSERT INTO " + name + " SELECT * FROM moved", []any{m, end}},
		{"ALTER TABLE " + name + " ADD CONSTRAINT " + name + "_range CHECK (clicked_at >= ? AND clicked_at < ?)", []any{m, end}},
		{"ALTER TABLE clicks ATTACH PARTITION " + name + " FOR VALUES FROM (?) TO (?)", []any{m, end}},
		{"ALTER TABLE " + name + " DROP CONSTRAINT " + name + "_range", nil},
	}
	for _, st := range stmts {
		if _, err := tx.NewRaw(st.sql, st.args...).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// droppedClicks is what dropping old partitions removed.
type droppedClicks struct {
	partitions int
	deleted    int64 // clicks gone with their partition
	kept       int64 // attributing clicks moved to the default partition, hashes erased
}

// dropClickPartitions drops the partitions of clicks wholly before before,
// oldest first, each in its own transaction, and returns what went and the
// partitions whose old rows retention still deletes one by one (the default
// and a clicks_before_… that reaches past before). The clicks of the
// partition that credit a customer or a purchase are kept: copied first
// (without blocking writers), then, once the partition is detached, written
// back with their IP and visitor hashes erased: the default partition takes
// them, no other covering their month any more.
func dropClickPartitions(ctx context.Context, d dialect, db *bun.DB, before time.Time) (droppedClicks, []string, error) {
	var res droppedClicks
	parts, err := clickPartitions(ctx, db)
	if err != nil {
		return res, nil, err
	}
	var rowTables []string
	for _, p := range parts {
		if p.to.IsZero() || p.to.After(before) {
			if p.name == clickDefaultPartition || p.from.IsZero() {
				rowTables = append(rowTables, p.name)
			}
			continue
		}
		var total, kept int64
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := lockClickPartitions(ctx, d, tx); err != nil {
				return err
			}
			if err := tx.NewRaw("SELECT COUNT(*) FROM "+p.name).Scan(ctx, &total); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "CREATE TEMPORARY TABLE clicks_kept ON COMMIT DROP AS SELECT * FROM "+p.name+
				" WHERE (vendor_id, id) IN (SELECT vendor_id, click_id FROM customers WHERE click_id <> '')"+
				" OR (vendor_id, id) IN (SELECT vendor_id, click_id FROM purchases WHERE click_id <> '')"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "ALTER TABLE clicks DETACH PARTITION "+p.name); err != nil {
				return err
			}
			r, err := tx.ExecContext(ctx, "INSERT INTO clicks ("+clickCopyColumns+") SELECT "+
				strings.NewReplacer("ip_trunc", "''", "ip_hash", "''", "visitor_hash", "''").Replace(clickCopyColumns)+
				" FROM clicks_kept")
			if err != nil {
				return err
			}
			kept, _ = r.RowsAffected()
			_, err = tx.ExecContext(ctx, "DROP TABLE "+p.name)
			return err
		})
		if err != nil {
			return res, nil, fmt.Errorf("drop clicks partition %s: %w", p.name, classify(err))
		}
		res.partitions++
		res.deleted += total - kept
		res.kept += kept
	}
	return res, rowTables, nil
}
