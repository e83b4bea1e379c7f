package ingest_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store/ingest"
)

// countingObserver records what the writer reports.
type countingObserver struct {
	mu                                          sync.Mutex
	queued, dropped, committed, failed, batches int
}

func (o *countingObserver) ClicksQueued(n int)  { o.mu.Lock(); o.queued += n; o.mu.Unlock() }
func (o *countingObserver) ClicksDropped(n int) { o.mu.Lock(); o.dropped += n; o.mu.Unlock() }
func (o *countingObserver) BatchFailed(int)     { o.mu.Lock(); o.failed++; o.mu.Unlock() }
func (o *countingObserver) BatchCommitted(n int, took time.Duration) {
	o.mu.Lock()
	o.committed += n
	o.batches++
	o.mu.Unlock()
}

// flakyInserter fails its first fails writes, then writes through.
type flakyInserter struct {
	ingest.ClickInserter
	fails atomic.Int32
}

func (f *flakyInserter) InsertClicks(ctx context.Context, clicks []*attribution.Click) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("database hiccup")
	}
	return f.ClickInserter.InsertClicks(ctx, clicks)
}

// Every click handed to the writer is reported queued or dropped, every
// committed one committed, and each failed write once.
func TestClickWriter_Observer(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ins := &flakyInserter{ClickInserter: s.Clicks}
	ins.fails.Store(2)
	obs := &countingObserver{}
	w := ingest.NewClickWriter(ins, ingest.ClickWriterOptions{Async: true, MaxWait: time.Hour, MaxBatch: 1000, QueueSize: 5, Observer: obs})
	var full int
	for i := range 20 {
		if err := w.Record(t.Context(), newClick(i), 0); errors.Is(err, ingest.ErrClickQueueFull) {
			full++
		} else if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	if lost := w.Close(t.Context()); lost != 0 {
		t.Fatalf("Close lost %d", lost)
	}
	if err := w.Record(t.Context(), newClick(99), 0); !errors.Is(err, ingest.ErrClickWriterClosed) {
		t.Fatalf("Record after Close: %v", err)
	}
	written := countClicks(t, s)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if full == 0 || obs.queued+obs.dropped != 21 || obs.dropped != full+1 {
		t.Errorf("queued %d, dropped %d; want %d dropped (queue full %d, closed 1) of 21", obs.queued, obs.dropped, full+1, full)
	}
	if obs.committed != written || obs.committed != obs.queued || obs.batches == 0 {
		t.Errorf("committed %d in %d batches, written %d, queued %d", obs.committed, obs.batches, written, obs.queued)
	}
	if obs.failed != 2 {
		t.Errorf("failed writes = %d, want 2", obs.failed)
	}
}
