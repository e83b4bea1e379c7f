package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/tally-dev/tally/attribution"
)

// Dialect names, also the migration folder names.
const (
	Postgres = "pg"
	SQLite   = "sqlite"
)

// dialect is Postgres or SQLite. Its methods are every SQL difference
// between the two: the rest of the package writes SQL both accept.
type dialect string

// openDB connects to databaseURL and tells its dialect.
func openDB(databaseURL string) (*bun.DB, dialect, error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(databaseURL)))
		sqldb.SetMaxOpenConns(32)
		sqldb.SetMaxIdleConns(32)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		return bun.NewDB(sqldb, pgdialect.New()), Postgres, nil
	case databaseURL == "", strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" {
			path = "tally.db"
		}
		sqldb, err := sql.Open(sqliteshim.ShimName, sqliteDSN(path))
		if err != nil {
			return nil, "", err
		}
		// SQLite has one writer; a few connections let reads run beside it.
		sqldb.SetMaxOpenConns(8)
		return bun.NewDB(sqldb, sqlitedialect.New()), SQLite, nil
	}
	return nil, "", fmt.Errorf("TALLY_DATABASE_URL must start with postgres:// or sqlite:, got %q", redactURL(databaseURL))
}

// sqliteDSN turns on WAL, a busy timeout, foreign keys, and immediate write
// transactions (a deferred one that later writes can fail with SQLITE_BUSY
// without waiting).
func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if !strings.HasPrefix(path, "file:") {
		// A URI: '#' would end the path (Go's t.TempDir of a subtest
		// named "x#01" holds one) and '%' starts an escape.
		path = "file:" + strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
	}
	return path + sep + "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// redactURL hides a password in a database URL for error messages and logs.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.Index(u[i+3:], "@"); j >= 0 {
			return u[:i+3] + "…@" + u[i+3+j+1:]
		}
	}
	return u
}

// hourExpr is the SQL of the hour (since the Unix epoch) of a time column.
func (d dialect) hourExpr(col string) string {
	if d == Postgres {
		return "CAST(floor(extract(epoch FROM " + col + ") / 3600) AS BIGINT)"
	}
	return "(CAST(strftime('%s', " + col + ") AS INTEGER) / 3600)"
}

// groupingSets reports whether GROUP BY GROUPING SETS is understood.
func (d dialect) groupingSets() bool { return d == Postgres }

// timeParam is a time parameter where the statement gives it no type (a
// SELECT list feeding an INSERT): PostgreSQL would take it as text.
func (d dialect) timeParam() string {
	if d == Postgres {
		return "CAST(? AS TIMESTAMPTZ)"
	}
	return "?"
}

// dayExpr is the UTC day (YYYY-MM-DD) of a timestamp column: both
// databases store UTC; SQLite stores times as text that starts with the date.
func (d dialect) dayExpr(col string) string {
	if d == Postgres {
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	}
	return "substr(" + col + ", 1, 10)"
}

// Advisory locks serialize instances on PostgreSQL. SQLite is one instance
// whose write transactions already take turns: every lock is granted at once.

// tryXactLock takes the transaction-scoped advisory lock id inside tx
// without waiting; it reports whether tx holds it. The lock goes with the
// transaction (commit, rollback, or a dropped connection).
func (d dialect) tryXactLock(ctx context.Context, tx bun.Tx, id int64) (bool, error) {
	if d != Postgres {
		return true, nil
	}
	var ok bool
	if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?)", id).Scan(ctx, &ok); err != nil {
		return false, classify(err)
	}
	return ok, nil
}

// xactLock waits for the transaction-scoped advisory lock id.
func (d dialect) xactLock(ctx context.Context, tx bun.Tx, id int64) error {
	if d != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", id)
	return err
}

// xactLockName waits for the transaction-scoped advisory lock of a name.
func (d dialect) xactLockName(ctx context.Context, tx bun.Tx, name string) error {
	if d != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", name)
	return err
}

// sessionLock takes the advisory lock id on a connection of its own, and
// holds it until release: waiting for it, or (try) not, when ok reports
// whether it was free. If the connection dies the server releases the lock
// with the session.
func (d dialect) sessionLock(ctx context.Context, db *bun.DB, id int64, try bool) (ok bool, release func(), err error) {
	if d != Postgres {
		return true, func() {}, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, nil, classify(err)
	}
	if try {
		err = conn.NewRaw("SELECT pg_try_advisory_lock(?)", id).Scan(ctx, &ok)
	} else {
		_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", id)
		ok = true
	}
	if err != nil || !ok {
		conn.Close()
		return false, nil, classify(err)
	}
	return true, func() {
		var released bool
		// Unlock even when ctx ended, so the pooled connection does not keep
		// the lock; a failure here means the session is gone, and the lock
		// with it.
		uctx := context.WithoutCancel(ctx)
		if err := conn.NewRaw("SELECT pg_advisory_unlock(?)", id).Scan(uctx, &released); err != nil || !released {
			// Do not hand a connection that may still hold the lock back to
			// the pool.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// skipLocked makes q, a read for update inside a transaction, skip the rows
// another transaction holds (SQLite's write transactions take turns).
func (d dialect) skipLocked(q *bun.SelectQuery) *bun.SelectQuery {
	if d != Postgres {
		return q
	}
	return q.For("UPDATE SKIP LOCKED")
}

// writers bounds the write transactions worth running side by side: SQLite
// has one writer, so parallel transactions would only wait on each other.
func (d dialect) writers(n int) int {
	if d != Postgres {
		return 1
	}
	return max(1, n)
}

// insertClicks writes clicks, skipping ids already present: on PostgreSQL
// in one statement (clickcopy.go), falling back to INSERT … ON CONFLICT DO
// NOTHING when it meets an id that is already there. The conflict has no
// target: the key is (id, clicked_at) on PostgreSQL (partitioned clicks), id
// on SQLite; a retried click keeps its clicked_at, so either key finds it.
func (d dialect) insertClicks(ctx context.Context, db *bun.DB, clicks []*attribution.Click) error {
	if d == Postgres {
		// PostgreSQL keeps microseconds, COPY rounds to them and bun's
		// INSERT truncates: cut each time here, so that both writes of a
		// retried click carry the same key (id, clicked_at).
		for _, c := range clicks {
			c.ClickedAt = c.ClickedAt.Truncate(time.Microsecond)
		}
		err := writeNewClicks(ctx, db, clicks)
		if err == nil || !isUniqueViolation(err) {
			return err
		}
	}
	_, err := db.NewInsert().Model(&clicks).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// dropOldClicks drops, on PostgreSQL, the partitions of clicks wholly
// before before (partitions.go), and names the tables whose older rows
// retention deletes one by one; SQLite has one table and deletes rows only.
func (d dialect) dropOldClicks(ctx context.Context, db *bun.DB, before time.Time) (droppedClicks, []string, error) {
	if d != Postgres {
		return droppedClicks{}, []string{"clicks"}, nil
	}
	return dropClickPartitions(ctx, d, db, before)
}
