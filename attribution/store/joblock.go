package store

import "context"

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

// RunJob runs fn unless another instance is running the job id: it holds
// the session advisory lock id on a dedicated connection for the length of
// fn (fn uses the pool as usual, so it may span many transactions), and
// returns ran == false without calling fn when the lock is taken.
func (s *Store) RunJob(ctx context.Context, id int64, fn func(ctx context.Context) error) (ran bool, err error) {
	ok, release, err := s.dialect.sessionLock(ctx, s.db, id, true)
	if err != nil || !ok {
		return false, err
	}
	defer release()
	return true, fn(ctx)
}
