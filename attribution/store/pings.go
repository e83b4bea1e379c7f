package store

import (
	"context"
	"log/slog"
	"slices"
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

// snippetPage is one row of snippet_pages: a page's pings in one hour.
type snippetPage struct {
	bun.BaseModel `bun:"table:snippet_pages,alias:sp"`

	VendorID          string    `bun:"vendor_id"`
	PublicKey         string    `bun:"public_key"`
	Origin            string    `bun:"origin"`
	Path              string    `bun:"path"`
	Hour              time.Time `bun:"hour"`
	Pings             int       `bun:"pings"`
	RefInURL          int       `bun:"ref_in_url"`
	CookieFailures    int       `bun:"cookie_failures"`
	RefCookieFailures int       `bun:"ref_cookie_failures"`
	LastSeen          time.Time `bun:"last_seen"`
}

// pingUpsertBatch bounds the page rows of one upsert statement.
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
	// Keys are unique within a batch, so no row is upserted twice by one statement.
	rows := make([]snippetPage, 0, len(batch))
	for k, c := range batch {
		rows = append(rows, snippetPage{VendorID: k.vendorID, PublicKey: k.publicKey, Origin: k.origin, Path: k.path, Hour: k.hour,
			Pings: c.pings, RefInURL: c.refInURL, CookieFailures: c.cookieFailures, RefCookieFailures: c.refCookieFailures, LastSeen: c.lastSeen})
	}
	err := b.store.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for chunk := range slices.Chunk(rows, pingUpsertBatch) {
			if _, err := tx.NewInsert().Model(&chunk).
				On("CONFLICT (vendor_id, public_key, origin, path, hour) DO UPDATE").
				Set("pings = sp.pings + EXCLUDED.pings").
				Set("ref_in_url = sp.ref_in_url + EXCLUDED.ref_in_url").
				Set("cookie_failures = sp.cookie_failures + EXCLUDED.cookie_failures").
				Set("ref_cookie_failures = sp.ref_cookie_failures + EXCLUDED.ref_cookie_failures").
				Set("last_seen = CASE WHEN EXCLUDED.last_seen > sp.last_seen THEN EXCLUDED.last_seen ELSE sp.last_seen END").
				Exec(ctx); err != nil {
				return err
			}
		}
		return nil
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
