package app

import (
	"context"
	"time"

	"github.com/tally-dev/tally/attribution/store"
)

// weeklySummaries sends the vendors' weekly summaries: every period it
// looks for vendors whose last complete week has no summary yet, so a
// summary goes out within a period of Monday 00:00 in the vendor's time
// zone, once (store.SendWeeklySummaries), whichever instance runs it.
func (a *App) weeklySummaries(ctx context.Context, period time.Duration) {
	every(ctx, period, func() { a.WeeklySummaryOnce(ctx) })
}

// WeeklySummaryOnce is one tick of the weekly summary job, unless another
// instance is running it right now (ran == false).
func (a *App) WeeklySummaryOnce(ctx context.Context) (ran bool, err error) {
	ran, err = a.Store.RunJob(ctx, store.JobWeeklySummary, func(ctx context.Context) error {
		n, err := a.Store.SendWeeklySummaries(ctx)
		if n > 0 {
			a.Logger.Info("weekly summaries enqueued", "vendors", n)
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		a.Logger.Warn("weekly summaries failed; the next tick tries again", "err", err)
	}
	return ran, err
}
