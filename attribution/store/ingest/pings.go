package ingest

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
)

// PingWriter adds page and hour ping counts to the stored ones;
// store.Pings is the one used.
type PingWriter interface {
	AddPings(ctx context.Context, rows []store.PagePings) error
}

// PingBuffer aggregates pings in memory per page and hour and upserts the
// counts every interval: pings are frequent, low-value one by one, and only
// their aggregates are ever read.
type PingBuffer struct {
	pings    PingWriter
	logger   *slog.Logger
	interval time.Duration
	mu       sync.Mutex // guards pending
	pending  map[pingKey]*pingCounts
	// flushing is held for a whole Flush: a Flush called while the
	// ticker's is writing waits for it, so that when Flush returns every
	// ping recorded before the call is in the database.
	flushing sync.Mutex
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

type pingKey struct {
	vendorID, publicKey, origin, path string
	hour                              time.Time
}

type pingCounts struct {
	pings, refInURL, cookieFailures int
	refCookieFailures               int // loads with tally_ref in the URL whose cookie failed
	lastSeen                        time.Time
}

// maxPendingPages bounds memory while the database is down.
const maxPendingPages = 100_000

// NewPingBuffer starts the flusher, which writes through pings.
func NewPingBuffer(pings PingWriter, interval time.Duration, logger *slog.Logger) *PingBuffer {
	if interval <= 0 {
		interval = time.Second
	}
	b := &PingBuffer{pings: pings, logger: logger, interval: interval, pending: map[pingKey]*pingCounts{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// RecordPing adds p to the current aggregate.
func (b *PingBuffer) RecordPing(p attribution.Ping) {
	k := pingKey{p.VendorID, p.PublicKey, p.Origin, p.Path, p.At.UTC().Truncate(time.Hour)}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.pending[k]
	if c == nil {
		if len(b.pending) >= maxPendingPages {
			return
		}
		c = &pingCounts{}
		b.pending[k] = c
	}
	c.pings++
	if p.RefInURL {
		c.refInURL++
	}
	if !p.CookieOK {
		c.cookieFailures++
		if p.RefInURL {
			c.refCookieFailures++
		}
	}
	if p.At.After(c.lastSeen) {
		c.lastSeen = p.At
	}
}

func (b *PingBuffer) run() {
	defer close(b.done)
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush(context.Background())
		case <-b.stop:
			return
		}
	}
}

// Flush writes the pending aggregates; on failure they are merged back and
// retried at the next tick.
func (b *PingBuffer) Flush(ctx context.Context) error {
	b.flushing.Lock()
	defer b.flushing.Unlock()
	b.mu.Lock()
	batch := b.pending
	b.pending = map[pingKey]*pingCounts{}
	b.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	// Keys are unique within a batch, so no row is upserted twice by one statement.
	rows := make([]store.PagePings, 0, len(batch))
	for k, c := range batch {
		rows = append(rows, store.PagePings{VendorID: k.vendorID, PublicKey: k.publicKey, Origin: k.origin, Path: k.path, Hour: k.hour,
			Pings: c.pings, RefInURL: c.refInURL, CookieFailures: c.cookieFailures, RefCookieFailures: c.refCookieFailures, LastSeen: c.lastSeen})
	}
	err := b.pings.AddPings(ctx, rows)
	if err != nil {
		b.mu.Lock()
		for k, c := range batch {
			if cur := b.pending[k]; cur != nil {
				cur.pings += c.pings
				cur.refInURL += c.refInURL
				cur.cookieFailures += c.cookieFailures
				cur.refCookieFailures += c.refCookieFailures
				if c.lastSeen.After(cur.lastSeen) {
					cur.lastSeen = c.lastSeen
				}
			} else if len(b.pending) < maxPendingPages {
				b.pending[k] = c
			}
		}
		b.mu.Unlock()
		b.logger.Warn("snippet pings not written; will retry", "pages", len(batch), "err", err)
	}
	return err
}

// Close stops the flusher and writes what is pending.
func (b *PingBuffer) Close(ctx context.Context) error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	return b.Flush(ctx)
}
