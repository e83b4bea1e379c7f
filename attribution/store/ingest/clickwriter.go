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
	// MaxWait is how long a batch may stay open to gather more clicks,
	// counted from the arrival of its first click; default 1ms. Clicks that
	// arrive while a batch is being written queue up and go together in the
	// next one, so under load batches grow by themselves.
	MaxWait   time.Duration
	Writers   int  // batches written at the same time (database connections); default 2
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
	done  chan error // buffered: the writer never blocks on a caller that left
}

var _ attribution.ClickRecorder = (*ClickWriter)(nil)

// NewClickWriter starts the writer goroutines, which write through clicks.
func NewClickWriter(clicks ClickInserter, opts ClickWriterOptions) *ClickWriter {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = time.Millisecond
	}
	if opts.Writers <= 0 {
		opts.Writers = 2
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

// Record queues c and, unless the writer is async, waits for its commit or ctx.
func (w *ClickWriter) Record(ctx context.Context, c *attribution.Click) error {
	p := &pendingClick{click: c, at: time.Now(), done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		w.opts.Observer.ClicksDropped(1)
		return ErrClickWriterClosed
	}
	select {
	case w.in <- p:
		w.queued.Add(1)
		w.opts.Observer.ClicksQueued(1)
	default:
		w.mu.RUnlock()
		w.opts.Observer.ClicksDropped(1)
		return ErrClickQueueFull
	}
	w.mu.RUnlock()
	if w.opts.Async {
		return nil
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
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
// writers drain it too).
func (w *ClickWriter) run() {
	batch := make([]*pendingClick, 0, w.opts.MaxBatch)
	rows := make([]*attribution.Click, 0, w.opts.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		p, ok := <-w.in
		if !ok {
			return
		}
		batch = w.fill(append(batch[:0], p), timer)
		rows = w.write(batch, rows)
	}
}

// fill adds queued clicks to batch until it is full or MaxWait has passed
// since its first click was queued (a click that already waited that long,
// behind a busy writer, goes with what is queued now), or the input is
// closed and empty.
func (w *ClickWriter) fill(batch []*pendingClick, timer *time.Timer) []*pendingClick {
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
	wait := time.Until(batch[0].at.Add(w.opts.MaxWait))
	if len(batch) >= w.opts.MaxBatch || wait <= 0 {
		return batch
	}
	timer.Reset(wait)
	defer timer.Stop()
	for len(batch) < w.opts.MaxBatch {
		select {
		case p, ok := <-w.in:
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
			for _, p := range batch {
				p.done <- err
			}
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
	for _, p := range batch {
		p.done <- nil
	}
	clear(rows) // let the clicks be collected
	return rows[:0]
}
