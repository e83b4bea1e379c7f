package store

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// readsAtOnce bounds the statements one analytics answer runs side by side
// (connections it holds at once).
const readsAtOnce = 4

// reads runs the independent statements of one analytics answer side by
// side. A year's analytics page is about twenty statements (rollup pieces,
// the clicks after the rollup, three kinds of conversions by day and by
// click dimension) whose times added up to 0.3 s on 5 million clicks; the
// database runs each on a connection and CPU of its own. Each statement's
// rows are decoded apart and added to the reports under the lock (add).
// Every statement already read its own snapshot: running them at once
// changes no answer.
type reads struct {
	ctx   context.Context
	g     *errgroup.Group
	slots chan struct{}
	mu    sync.Mutex // guards the reports the reads add to
}

func newReads(ctx context.Context) *reads {
	g, gctx := errgroup.WithContext(ctx)
	return &reads{ctx: gctx, g: g, slots: make(chan struct{}, readsAtOnce)}
}

// do runs read in a goroutine of its own once a slot is free. A read may
// start others: it returns without waiting for them (wait does).
func (r *reads) do(read func(ctx context.Context) error) {
	r.g.Go(func() error {
		select {
		case r.slots <- struct{}{}:
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
		defer func() { <-r.slots }()
		return read(r.ctx)
	})
}

// add runs f, which adds rows read to the reports, holding the lock.
func (r *reads) add(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// wait returns once every read (and those they started) returned: the
// first error, which cancelled the others.
func (r *reads) wait() error { return r.g.Wait() }
