package app

import (
	"context"
	"time"
)

// clickPartitions creates, every period, the clicks partitions of the
// months ahead that are missing (PostgreSQL; Migrate did so at start), so
// that a long-running instance never sees a month begin without its
// partition. Instances may run it at the same time: the store serializes
// the changes with an advisory lock and each finds the others' partitions.
// A failure only means the clicks of a month without partition land in the
// default one until a later tick moves them.
func (a *App) clickPartitions(ctx context.Context, period time.Duration) {
	every(ctx, period, func() {
		if err := a.Store.EnsureClickPartitions(ctx); err != nil && ctx.Err() == nil {
			a.Logger.Warn("creating the clicks partitions ahead failed; the next tick tries again", "err", err)
		}
	})
}
