package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// ClickWriterOptions tune group commit.
type ClickWriterOptions struct {
	MaxBatch  int           // rows per insert; default 500
	MaxWait   time.Duration // how long a batch waits to fill; default 2ms
	QueueSize int           // clicks held in memory while the database is slow or down; default 200,000
	Async     bool          // answer without waiting for the commit (fire and forget)
	Logger    *slog.Logger
}

// ErrClickQueueFull means the database has been down long enough that the
// in-memory queue is full: the click is not recorded.
var ErrClickQueueFull = attribution.Errorf(attribution.EUNAVAILABLE, "click queue full")

// ErrClickWriterClosed is returned after Close.
var ErrClickWriterClosed = attribution.Errorf(attribution.EUNAVAILABLE, "click writer closed")

// ClickWriter records clicks by group commit: concurrent Record calls are
// gathered into one multi-row insert, and each caller returns once the batch
// holding its click is committed. A failed batch is retried until it is
// written, so a caller that stopped waiting never loses its click while the
// process lives.
type ClickWriter struct {
	store *Store
	opts  ClickWriterOptions
	in    chan *pendingClick
	done  chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool

	written atomic.Int64
	queued  atomic.Int64
	giveUp  atomic.Bool // set when Close's deadline passes with the database still down
}

type pendingClick struct {
	click *attribution.Click
	done  chan error // buffered: the writer never blocks on a caller that left
}

var _ attribution.ClickRecorder = (*ClickWriter)(nil)

// NewClickWriter starts the writer goroutine.
func (s *Store) NewClickWriter(opts ClickWriterOptions) *ClickWriter {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 500
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 2 * time.Millisecond
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 200_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := &ClickWriter{store: s, opts: opts, in: make(chan *pendingClick, opts.QueueSize), done: make(chan struct{})}
	go w.run()
	return w
}

// Record queues c and, unless the writer is async, waits for its commit or ctx.
func (w *ClickWriter) Record(ctx context.Context, c *attribution.Click) error {
	p := &pendingClick{click: c, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClickWriterClosed
	}
	select {
	case w.in <- p:
		w.queued.Add(1)
	default:
		w.mu.RUnlock()
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

func (w *ClickWriter) run() {
	defer close(w.done)
	batch := make([]*pendingClick, 0, w.opts.MaxBatch)
	for {
		p, ok := <-w.in
		if !ok {
			return
		}
		batch = append(batch[:0], p)
		batch, open := w.fill(batch)
		w.write(batch)
		if !open {
			// Drain what is left after Close.
			for p := range w.in {
				batch = append(batch[:0], p)
				for len(batch) < w.opts.MaxBatch {
					q, ok := <-w.in
					if !ok {
						break
					}
					batch = append(batch, q)
				}
				w.write(batch)
			}
			return
		}
	}
}

// fill adds queued clicks to batch until it is full or MaxWait has passed.
// It reports false when the input is closed.
func (w *ClickWriter) fill(batch []*pendingClick) ([]*pendingClick, bool) {
	timer := time.NewTimer(w.opts.MaxWait)
	defer timer.Stop()
	for len(batch) < w.opts.MaxBatch {
		select {
		case p, ok := <-w.in:
			if !ok {
				return batch, false
			}
			batch = append(batch, p)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

// write inserts the batch, retrying with backoff until it succeeds (or Close
// gave up), then releases every waiting caller.
func (w *ClickWriter) write(batch []*pendingClick) {
	if len(batch) == 0 {
		return
	}
	rows := make([]*attribution.Click, len(batch))
	for i, p := range batch {
		rows[i] = p.click
	}
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.store.InsertClicks(ctx, rows)
		cancel()
		if err == nil {
			break
		}
		if w.giveUp.Load() {
			w.opts.Logger.Error("clicks not written at shutdown", "count", len(batch), "err", err)
			for _, p := range batch {
				p.done <- err
			}
			return
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
}

// InsertClicks writes clicks in one statement; ids already present are
// skipped, so a batch retried after an ambiguous failure never duplicates.
func (s *Store) InsertClicks(ctx context.Context, clicks []*attribution.Click) error {
	if len(clicks) == 0 {
		return nil
	}
	_, err := s.db.NewInsert().Model(&clicks).On("CONFLICT (id) DO NOTHING").Exec(ctx)
	if err != nil {
		return classify(err)
	}
	return nil
}
