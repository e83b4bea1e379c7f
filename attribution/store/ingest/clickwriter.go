// Package ingest takes the high-volume writes off the request path: the
// click writer commits the redirects' clicks by group commit, and the ping
// buffer adds the snippet's pings up in memory and writes their counts
// every second. The SQL is the store's (store.Clicks, store.Pings).
package ingest

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// ClickInserter writes a batch of clicks in one statement, skipping ids
// already written; store.Clicks is the one used.
type ClickInserter interface {
	InsertClicks(ctx context.Context, clicks []*attribution.Click) error
}

// ClickWriterOptions tune group commit.
type ClickWriterOptions struct {
	MaxBatch int // rows per write; default 1000
	// MaxWait bounds how long a batch may stay open to gather more clicks,
	// counted from the arrival of its first click; default 5ms. A batch
	// waits only when the recent arrival rate says that more clicks will
	// come within MaxWait, and only until they came (batchTarget) or
	// stopped coming (arrivalGap): an idle writer writes a lone click at
	// once. Clicks that arrive while a batch is being written queue up and
	// go together in the next one, so under load batches grow by themselves.
	MaxWait time.Duration
	// Writers is how many batches are written at the same time (database
	// connections); default 1: the next batch gathers while one is written,
	// which makes fewer, larger commits than writing side by side.
	Writers   int
	QueueSize int  // clicks held in memory while the database is slow or down; default 200,000
	Async     bool // answer without waiting for the commit (fire and forget)
	Logger    *slog.Logger
	Observer  ClickObserver // told what the writer does (metrics); default: nobody
}

// ClickObserver is told what the click writer does, for metrics. Its
// methods are called on the redirect's path and by the writers: they must
// be cheap and never block.
type ClickObserver interface {
	ClicksQueued(n int)                          // handed to the writer
	ClicksDropped(n int)                         // never written: queue full or closed, or lost at shutdown
	BatchCommitted(size int, took time.Duration) // a batch committed; took is its successful write
	BatchFailed(size int)                        // a batch's write failed; it is retried
}

type noObserver struct{}

func (noObserver) ClicksQueued(int)                  {}
func (noObserver) ClicksDropped(int)                 {}
func (noObserver) BatchCommitted(int, time.Duration) {}
func (noObserver) BatchFailed(int)                   {}

// ErrClickQueueFull means the database has been down long enough that the
// in-memory queue is full: the click is not recorded.
var ErrClickQueueFull = attribution.Errorf(attribution.EUNAVAILABLE, "click queue full")

// ErrClickWriterClosed is returned after Close.
var ErrClickWriterClosed = attribution.Errorf(attribution.EUNAVAILABLE, "click writer closed")

// ClickWriter records clicks by group commit: concurrent Record calls are
// gathered into one write (COPY on PostgreSQL, a multi-row insert on
// SQLite), and each caller returns once the batch holding its click is
// committed. Writers goroutines fill and write batches side by side, so one
// batch gathers clicks while another commits. A failed batch is retried
// until it is written, so a caller that stopped waiting never loses its
// click while the process lives.
type ClickWriter struct {
	clicks ClickInserter
	opts   ClickWriterOptions
	in     chan *pendingClick
	done   chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool

	written atomic.Int64
	queued  atomic.Int64
	giveUp  atomic.Bool // set when Close's deadline passes with the database still down
}

type pendingClick struct {
	click *attribution.Click
	at    time.Time  // when it was queued: the batch window counts from its first click
	done  chan error // buffered: the writer never blocks on a caller that left; unused when async
}

// pendingClicks are reused by whoever touches one last: the caller that
// received its result, or the writer in async mode. One whose caller
// stopped waiting is left to the garbage collector, as the writer still
// answers on its channel.
var pendingClicks = sync.Pool{New: func() any { return &pendingClick{done: make(chan error, 1)} }}

// waitTimers bound the callers' waits without a timer allocated per click.
// A stopped timer delivers nothing stale after Reset (Go 1.23 timers).
var waitTimers sync.Pool

var _ attribution.ClickRecorder = (*ClickWriter)(nil)

// NewClickWriter starts the writer goroutines, which write through clicks.
func NewClickWriter(clicks ClickInserter, opts ClickWriterOptions) *ClickWriter {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 5 * time.Millisecond
	}
	if opts.Writers <= 0 {
		opts.Writers = 1
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 200_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	w := &ClickWriter{clicks: clicks, opts: opts, in: make(chan *pendingClick, opts.QueueSize), done: make(chan struct{})}
	var wg sync.WaitGroup
	for range opts.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run()
		}()
	}
	go func() {
		wg.Wait()
		close(w.done)
	}()
	return w
}

// Record queues c and, unless the writer is async, waits for its commit, at
// most wait (no bound when wait <= 0) and not past ctx.
func (w *ClickWriter) Record(ctx context.Context, c *attribution.Click, wait time.Duration) error {
	p := pendingClicks.Get().(*pendingClick)
	p.click, p.at = c, time.Now()
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		w.release(p)
		w.opts.Observer.ClicksDropped(1)
		return ErrClickWriterClosed
	}
	select {
	case w.in <- p:
		w.queued.Add(1)
		w.opts.Observer.ClicksQueued(1)
	default:
		w.mu.RUnlock()
		w.release(p)
		w.opts.Observer.ClicksDropped(1)
		return ErrClickQueueFull
	}
	w.mu.RUnlock()
	if w.opts.Async {
		return nil
	}
	var expired <-chan time.Time
	if wait > 0 {
		t, _ := waitTimers.Get().(*time.Timer)
		if t == nil {
			t = time.NewTimer(wait)
		} else {
			t.Reset(wait)
		}
		defer func() {
			t.Stop()
			waitTimers.Put(t)
		}()
		expired = t.C
	}
	select {
	case err := <-p.done:
		w.release(p)
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-expired:
		return context.DeadlineExceeded
	}
}

// release returns p, whose result nobody will read any more, for reuse.
func (w *ClickWriter) release(p *pendingClick) {
	p.click = nil
	pendingClicks.Put(p)
}

// Written returns how many clicks were committed; Queued how many are waiting.
func (w *ClickWriter) Written() int64 { return w.written.Load() }
func (w *ClickWriter) Queued() int64  { return w.queued.Load() }

// Close stops accepting clicks and writes every queued one, retrying until
// ctx ends. It returns how many clicks could not be written.
func (w *ClickWriter) Close(ctx context.Context) (lost int64) {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.in)
	}
	w.mu.Unlock()
	go func() {
		<-ctx.Done()
		select {
		case <-w.done:
		default:
			w.giveUp.Store(true)
		}
	}()
	<-w.done
	return w.queued.Load()
}

// run is one writer: it takes the next click, gathers a batch around it and
// writes it, until Close has closed the input and it is drained (the other
// writers drain it too). Between batches it sleeps on the input alone.
func (w *ClickWriter) run() {
	batch := make([]*pendingClick, 0, w.opts.MaxBatch)
	rows := make([]*attribution.Click, 0, w.opts.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var rate arrivalRate
	for {
		p, ok := <-w.in
		if !ok {
			return
		}
		rate.update(time.Now())
		batch = w.fill(append(batch[:0], p), rate.perSec, timer)
		rate.n += len(batch)
		rows = w.write(batch, rows)
	}
}

// fill adds what is queued to batch, then, when batchTarget says more
// clicks are due within MaxWait of the first one's arrival, waits for them
// until the batch is as large as expected, full, no click came for
// arrivalGap, or MaxWait has passed (a click that already waited that
// long, behind a busy writer, goes with what is queued now), or the input
// is closed and empty.
func (w *ClickWriter) fill(batch []*pendingClick, perSec float64, timer *time.Timer) []*pendingClick {
	// What is already queued joins without waiting.
	for len(batch) < w.opts.MaxBatch {
		select {
		case p, ok := <-w.in:
			if !ok {
				return batch
			}
			batch = append(batch, p)
			continue
		default:
		}
		break
	}
	want := batchTarget(perSec, w.opts.MaxWait, w.opts.MaxBatch)
	deadline := batch[0].at.Add(w.opts.MaxWait)
	gap := arrivalGap(perSec, w.opts.MaxWait)
	defer timer.Stop()
	for len(batch) < want {
		wait := min(time.Until(deadline), gap)
		if wait <= 0 {
			return batch
		}
		timer.Reset(wait)
		select {
		case p, ok := <-w.in:
			timer.Stop()
			if !ok {
				return batch
			}
			batch = append(batch, p)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// arrivalGap is how long a gathering batch waits for its next click: three
// mean intervals between arrivals at the recent rate. Longer, the clicks
// have stopped coming: in a closed loop (callers that each wait for their
// answer before the next click) every caller is already in the batch, and
// waiting on for the expected count only delays them all.
func arrivalGap(perSec float64, maxWait time.Duration) time.Duration {
	if perSec <= 0 {
		return maxWait
	}
	return max(min(time.Duration(3*float64(time.Second)/perSec), maxWait), 50*time.Microsecond)
}

// batchTarget is the batch size worth waiting for: the first click and the
// ones expected within maxWait at the recent arrival rate, when at least
// one more is expected (otherwise 1: write at once), at most maxBatch.
// Waiting trades a few milliseconds of a click's latency for fewer
// commits: at 1,000 clicks/s and 5 ms, about six clicks share a commit.
func batchTarget(perSec float64, maxWait time.Duration, maxBatch int) int {
	expected := perSec * maxWait.Seconds()
	if expected < 1 {
		return 1
	}
	return int(min(1+expected, float64(maxBatch)))
}

// arrivalRate is one writer's recent intake, in clicks per second,
// measured over windows of at least rateWindow. A writer that was idle for
// a window finds a rate near zero, so its next click does not wait.
type arrivalRate struct {
	since  time.Time
	n      int // clicks taken since since
	perSec float64
}

const rateWindow = 100 * time.Millisecond

func (r *arrivalRate) update(now time.Time) {
	if d := now.Sub(r.since); d >= rateWindow {
		r.perSec = float64(r.n) / d.Seconds()
		r.since, r.n = now, 0
	}
}

// write inserts the batch, retrying with backoff until it succeeds (or Close
// gave up), then releases every waiting caller. rows is scratch space,
// returned for reuse.
func (w *ClickWriter) write(batch []*pendingClick, rows []*attribution.Click) []*attribution.Click {
	if len(batch) == 0 {
		return rows
	}
	rows = rows[:0]
	for _, p := range batch {
		rows = append(rows, p.click)
	}
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		err := w.clicks.InsertClicks(ctx, rows)
		cancel()
		if err == nil {
			w.opts.Observer.BatchCommitted(len(batch), time.Since(start))
			break
		}
		w.opts.Observer.BatchFailed(len(batch))
		if w.giveUp.Load() {
			w.opts.Observer.ClicksDropped(len(batch))
			w.opts.Logger.Error("clicks not written at shutdown", "count", len(batch), "err", err)
			w.answer(batch, err)
			clear(rows)
			return rows[:0]
		}
		if attempt == 1 || attempt%20 == 0 {
			w.opts.Logger.Warn("click batch not written; retrying", "count", len(batch), "attempt", attempt, "err", err)
		}
		time.Sleep(backoff)
		backoff = min(backoff*2, 2*time.Second)
	}
	w.written.Add(int64(len(batch)))
	w.queued.Add(-int64(len(batch)))
	w.answer(batch, nil)
	clear(rows) // let the clicks be collected
	return rows[:0]
}

// answer gives each caller of batch its result (async: nobody waits, so
// the pending click is reused at once) and empties batch.
func (w *ClickWriter) answer(batch []*pendingClick, err error) {
	for i, p := range batch {
		batch[i] = nil
		if w.opts.Async {
			w.release(p)
		} else {
			p.done <- err // p is the caller's from here
		}
	}
}
