package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store/ingest"
)

// memInserter keeps the sizes of the batches it is given and nothing else.
type memInserter struct {
	mu    sync.Mutex
	sizes []int
}

func (m *memInserter) InsertClicks(_ context.Context, clicks []*attribution.Click) error {
	m.mu.Lock()
	m.sizes = append(m.sizes, len(clicks))
	m.mu.Unlock()
	return nil
}

func (m *memInserter) batches() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int(nil), m.sizes...)
}

// A lone click on an idle writer is written at once, not after MaxWait.
func TestClickWriter_IdleClickDoesNotWait(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	w := ingest.NewClickWriter(s.Clicks, ingest.ClickWriterOptions{MaxWait: 5 * time.Second})
	t.Cleanup(func() { w.Close(context.Background()) })
	for i := range 3 {
		start := time.Now()
		if err := w.Record(t.Context(), newClick(i), 0); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("a lone click took %v to commit: it waited for company", took)
		}
	}
}

// Clicks that arrive while a batch is written go together in the next one.
func TestClickWriter_GathersDuringAWrite(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	gate := &gatedInserter{ClickInserter: s.Clicks, open: make(chan struct{})}
	obs := &countingObserver{}
	w := ingest.NewClickWriter(gate, ingest.ClickWriterOptions{Observer: obs})
	t.Cleanup(func() { w.Close(context.Background()) })
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- w.Record(t.Context(), newClick(i), 0) }()
	}
	// The first write is held until every click is handed over.
	for w.Queued() < n {
		time.Sleep(time.Millisecond)
	}
	close(gate.open)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.committed != n || obs.batches > 3 {
		t.Errorf("%d clicks in %d commits, want %d in at most 3 (one held, the rest gathered behind it)", obs.committed, obs.batches, n)
	}
	if countClicks(t, s) != n {
		t.Errorf("clicks = %d, want %d", countClicks(t, s), n)
	}
}

// At a steady rate the writer waits briefly for the clicks due within
// MaxWait, so several share each commit, even when a write takes no time
// (without waiting every batch would hold one click).
func TestClickWriter_SteadyRateSharesCommits(t *testing.T) {
	t.Parallel()
	mem := &memInserter{}
	// A wide window: on a loaded machine the 2 ms sleeps stretch, the rate
	// drops, and fewer clicks are due in a window.
	w := ingest.NewClickWriter(mem, ingest.ClickWriterOptions{Async: true, MaxWait: 50 * time.Millisecond})
	start := time.Now()
	for i := 0; time.Since(start) < 600*time.Millisecond; i++ {
		if err := w.Record(t.Context(), newClick(i), 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // about 500 clicks/s: 25 due in 50 ms
	}
	if lost := w.Close(t.Context()); lost != 0 {
		t.Fatalf("Close lost %d", lost)
	}
	sizes := mem.batches()
	clicks, largest := 0, 0
	for _, n := range sizes {
		clicks += n
		largest = max(largest, n)
	}
	// Without waiting, each click would be its own batch.
	if largest < 3 || len(sizes) > clicks*3/4 {
		t.Errorf("%d clicks in %d batches (largest %d): the writer did not gather at a steady rate", clicks, len(sizes), largest)
	}
}

// Callers that each wait for their commit before the next click (a closed
// loop, as behind a few busy connections) are all in the batch soon after
// it opens; the writer then commits instead of waiting out MaxWait for the
// clicks its arrival rate predicts, which cannot come.
func TestClickWriter_ClosedLoopDoesNotWaitOutMaxWait(t *testing.T) {
	t.Parallel()
	const maxWait = 5 * time.Second
	w := ingest.NewClickWriter(&memInserter{}, ingest.ClickWriterOptions{MaxWait: maxWait})
	t.Cleanup(func() { w.Close(context.Background()) })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	start := time.Now()
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Past the first 100 ms the writer knows the rate is high.
			for i := 0; time.Since(start) < 300*time.Millisecond; i++ {
				begin := time.Now()
				if err := w.Record(t.Context(), newClick(c*1_000_000+i), 0); err != nil {
					errs <- err
					return
				}
				if took := time.Since(begin); took > maxWait/2 {
					errs <- fmt.Errorf("a click waited %v for its commit: the batch waited for clicks that could not come", took)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
