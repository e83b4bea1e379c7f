// Package store implements the attribution services on bun, for PostgreSQL
// and SQLite through one code path. Dialect differences stay in this file
// and in errors.go.
package store

import (
	"context"
	"database/sql"
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

// Store is the bun implementation of the attribution services.
type Store struct {
	db      *bun.DB
	dialect string
	now     attribution.Clock
	links   *linkCache
	vendors *vendorCache
	secrets *SecretBox    // encrypts secrets at rest; see secrets.go
	queued  chan struct{} // wakes the webhook queue's worker; see stripequeue.go
	// verifyLegacy verifies the token of an event queued unverified by an
	// older version; see stripepayload.go.
	verifyLegacy func(*attribution.Vendor, *attribution.PaymentEvent)
}

// Options tune a Store.
type Options struct {
	Clock        attribution.Clock // defaults to attribution.SystemClock
	LinkCacheTTL time.Duration     // how long another instance's link change may stay unseen; default 10s
}

// Open connects to databaseURL: "postgres://…" or "postgresql://…" for
// PostgreSQL, "sqlite:PATH" (or "" for sqlite:tally.db) for SQLite.
func Open(databaseURL string, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = attribution.SystemClock
	}
	if opts.LinkCacheTTL == 0 {
		opts.LinkCacheTTL = 10 * time.Second
	}
	s := &Store{now: opts.Clock, links: newLinkCache(opts.LinkCacheTTL, 100_000), vendors: newVendorCache(), queued: make(chan struct{}, 1)}
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(databaseURL)))
		sqldb.SetMaxOpenConns(32)
		sqldb.SetMaxIdleConns(32)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		s.db = bun.NewDB(sqldb, pgdialect.New())
		s.dialect = Postgres
	case databaseURL == "", strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		if path == "" {
			path = "tally.db"
		}
		sqldb, err := sql.Open(sqliteshim.ShimName, sqliteDSN(path))
		if err != nil {
			return nil, err
		}
		// SQLite has one writer; a few connections let reads run beside it.
		sqldb.SetMaxOpenConns(8)
		s.db = bun.NewDB(sqldb, sqlitedialect.New())
		s.dialect = SQLite
	default:
		return nil, fmt.Errorf("TALLY_DATABASE_URL must start with postgres:// or sqlite:, got %q", redactURL(databaseURL))
	}
	return s, nil
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

// Dialect returns Postgres or SQLite.
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the bun handle for tests and tools.
func (s *Store) DB() *bun.DB { return s.db }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// tx runs fn in a transaction.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return classify(s.db.RunInTx(ctx, nil, fn))
}
