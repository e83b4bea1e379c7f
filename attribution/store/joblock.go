package store

import (
	"context"
	"database/sql/driver"

	"github.com/uptrace/bun"
)

// Background jobs run once per tick across instances. On PostgreSQL each job
// takes an advisory lock without waiting: the instance that gets it does the
// work, the others skip this tick (their next tick, or the next instance's,
// picks up whatever is left; every job is idempotent, so a skipped or
// repeated run never changes the result). SQLite is single-instance: jobs
// just run.
//
// The ids share the range of migrationLockID and rollupLockID.
const (
	// JobApproveRewards approves the rewards whose hold has passed.
	JobApproveRewards int64 = 7283521
	// JobRollup rolls up the complete hours of clicks.
	JobRollup int64 = 7283522
	// JobRetention deletes old raw clicks and prunes snippet page aggregates.
	JobRetention int64 = 7283523
)

// tryXactLock takes the transaction-scoped advisory lock id inside tx
// without waiting; it reports whether tx holds it. The lock goes with the
// transaction (commit, rollback, or a dropped connection). Always true on
// SQLite.
func (s *Store) tryXactLock(ctx context.Context, tx bun.Tx, id int64) (bool, error) {
	if s.dialect != Postgres {
		return true, nil
	}
	var ok bool
	if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?)", id).Scan(ctx, &ok); err != nil {
		return false, classify(err)
	}
	return ok, nil
}

// RunJob runs fn unless another instance is running the job id: on
// PostgreSQL it holds the session advisory lock id on a dedicated
// connection for the length of fn (fn uses the pool as usual, so it may
// span many transactions), and returns ran == false without calling fn
// when the lock is taken. If the dedicated connection dies the server
// releases the lock with the session. On SQLite fn just runs.
func (s *Store) RunJob(ctx context.Context, id int64, fn func(ctx context.Context) error) (ran bool, err error) {
	if s.dialect != Postgres {
		return true, fn(ctx)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, classify(err)
	}
	defer conn.Close()
	var ok bool
	if err := conn.NewRaw("SELECT pg_try_advisory_lock(?)", id).Scan(ctx, &ok); err != nil {
		return false, classify(err)
	}
	if !ok {
		return false, nil
	}
	defer func() {
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
	}()
	return true, fn(ctx)
}
