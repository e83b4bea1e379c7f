// Package store implements the attribution services on bun, for PostgreSQL
// and SQLite through one code path. Each aggregate has its own small type
// (Vendors, Partners, Links, Customers, Purchases, Payments, Rewards…) over
// the shared core: the database, its dialect and the clock. Work that spans
// aggregates in one transaction (a Stripe purchase writes customers,
// purchases and rewards) goes through package-level helpers that take a
// bun.IDB. Every SQL difference between the two databases is a method of
// dialect, in dialect.go (its PostgreSQL COPY of clicks is encoded in
// clickcopy.go); errors.go reads both drivers' errors.
package store

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Store is an open database and the services on it.
type Store struct {
	core
	Vendors   *Vendors
	Partners  *Partners
	Links     *Links
	Customers *Customers
	Purchases *Purchases
	Payments  *Payments
	Rewards   *Rewards
	Audit     *Audit
	Analytics *Analytics
	Exports   *Exports
	Health    *Health
	Diagnosis *Diagnosis
	Erasure   *Erasure
	Portal    *Portal
	Clicks    *Clicks
	Pings     *Pings
	Retention *Retention
	Dashboard *Dashboard
	Gaps      *Gaps
	Payouts   *Payouts
	Mail      *Mail
	Program   *Program
	Webhooks  *Webhooks

	// the partner portal's sign-in, and the unsubscribe links of optional emails
	PartnerAccounts *PartnerAccounts
	Unsubscribes    *Unsubscribes
}

// core is what every service shares.
type core struct {
	db      *bun.DB
	dialect dialect
	now     attribution.Clock
	// publicURL is the base of the links emails carry (Options.PublicURL).
	publicURL string
	// mailWake wakes this instance's mail worker (Mail.Wake); shared by
	// every service, so any of them can wake it after enqueueing mail.
	mailWake chan struct{}
	// hooks is the outbound webhooks' shared state: the worker's wake-up.
	hooks *hookState
}

// tx runs fn in a transaction; its context carries the base URL of
// emails' links (withMailBase). Once it commits, a webhook event it wrote
// wakes this instance's delivery worker.
func (c core) tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	ctx, emitted := withEmitMark(withMailBase(ctx, c.publicURL))
	err := classify(c.db.RunInTx(ctx, nil, fn))
	if err == nil && *emitted {
		c.hooks.wakeWorker()
	}
	return err
}

// Options tune a Store.
type Options struct {
	Clock        attribution.Clock // defaults to attribution.SystemClock
	LinkCacheTTL time.Duration     // how long another instance's link change may stay unseen; default 10s
	PublicURL    string            // Tally's public URL, the base of the links emails carry
}

// Open connects to databaseURL: "postgres://…" or "postgresql://…" for
// PostgreSQL, "sqlite:PATH" (or "" for sqlite:tally.db) for SQLite.
func Open(databaseURL string, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = attribution.SystemClock
	}
	if opts.LinkCacheTTL == 0 {
		opts.LinkCacheTTL = 10 * time.Second
	}
	db, d, err := openDB(databaseURL)
	if err != nil {
		return nil, err
	}
	c := core{db: db, dialect: d, now: opts.Clock, publicURL: strings.TrimRight(opts.PublicURL, "/"),
		mailWake: make(chan struct{}, 1), hooks: newHookState()}
	links := newLinkCache(opts.LinkCacheTTL, 100_000)
	vendors := &Vendors{core: c, links: links, cache: newVendorCache(), secrets: noSecrets}
	analytics := &Analytics{c}
	return &Store{
		core:      c,
		Vendors:   vendors,
		Partners:  &Partners{core: c, links: links},
		Links:     &Links{core: c, cache: links},
		Customers: &Customers{c},
		Purchases: &Purchases{c},
		Payments:  &Payments{core: c, vendors: vendors, queued: make(chan struct{}, 1)},
		Rewards:   &Rewards{c},
		Audit:     &Audit{c},
		Analytics: analytics,
		Exports:   &Exports{c},
		Health:    &Health{c},
		Diagnosis: &Diagnosis{c},
		Erasure:   &Erasure{c},
		Portal:    &Portal{c},
		Clicks:    &Clicks{c},
		Pings:     &Pings{c},
		Retention: &Retention{c},
		Dashboard: &Dashboard{c},
		Gaps:      &Gaps{core: c, analytics: analytics},
		Payouts:   &Payouts{c},
		Mail:      &Mail{c},
		Program:   &Program{core: c, vendors: vendors, links: links},
		Webhooks:  &Webhooks{core: c, secrets: noSecrets},

		PartnerAccounts: &PartnerAccounts{c},
		Unsubscribes:    &Unsubscribes{c},
	}, nil
}

// Dialect returns Postgres or SQLite.
func (s *Store) Dialect() string { return string(s.dialect) }

// DB exposes the bun handle for tests and tools.
func (s *Store) DB() *bun.DB { return s.db }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
