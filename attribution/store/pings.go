package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// PingBuffer aggregates pings in memory per page and hour and upserts the
// counts every interval: pings are frequent, low-value one by one, and only
// their aggregates are ever read.
type PingBuffer struct {
	store    *Store
	logger   *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	pending  map[pingKey]*pingCounts
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

// NewPingBuffer starts the flusher.
func (s *Store) NewPingBuffer(interval time.Duration, logger *slog.Logger) *PingBuffer {
	if interval <= 0 {
		interval = time.Second
	}
	b := &PingBuffer{store: s, logger: logger, interval: interval, pending: map[pingKey]*pingCounts{},
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

// pingUpsertBatch bounds the page rows of one upsert (10 parameters a row).
const pingUpsertBatch = 500

// Flush writes the pending aggregates; on failure they are merged back and
// retried at the next tick.
func (b *PingBuffer) Flush(ctx context.Context) error {
	b.mu.Lock()
	batch := b.pending
	b.pending = map[pingKey]*pingCounts{}
	b.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := b.store.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Keys are unique within a batch, so no row is upserted twice by one statement.
		m := newMultiRow(tx, `INSERT INTO snippet_pages
			(vendor_id, public_key, origin, path, hour, pings, ref_in_url, cookie_failures, ref_cookie_failures, last_seen)`,
			10, pingUpsertBatch, `
			ON CONFLICT (vendor_id, public_key, origin, path, hour) DO UPDATE SET
			pings = snippet_pages.pings + excluded.pings,
			ref_in_url = snippet_pages.ref_in_url + excluded.ref_in_url,
			cookie_failures = snippet_pages.cookie_failures + excluded.cookie_failures,
			ref_cookie_failures = snippet_pages.ref_cookie_failures + excluded.ref_cookie_failures,
			last_seen = CASE WHEN excluded.last_seen > snippet_pages.last_seen THEN excluded.last_seen ELSE snippet_pages.last_seen END`)
		for k, c := range batch {
			if err := m.add(ctx, k.vendorID, k.publicKey, k.origin, k.path, k.hour, c.pings, c.refInURL, c.cookieFailures, c.refCookieFailures, c.lastSeen); err != nil {
				return err
			}
		}
		return m.flush(ctx)
	})
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
