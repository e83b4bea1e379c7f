package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"github.com/uptrace/bun"
	"golang.org/x/sync/errgroup"

	"github.com/tally-dev/tally/attribution"
)

// The webhook queue. Applying a Stripe event takes a dozen statements in one
// transaction; when more events arrive than the database can apply while
// Stripe waits, the webhook stores the event instead (one insert, committed
// before the 2xx, as the design requires) and a background worker applies it
// moments later, exactly as it would have been applied inline. The queue is
// the stripe_events table itself: outcome "queued" and the reduced event in
// payload, so a redelivery of a queued event is a duplicate like any other.

// QueuePaymentEvent stores ev to be applied by ApplyQueuedPaymentEvents. It
// answers OutcomeQueued, or OutcomeDuplicate for an event already stored
// (queued or applied).
func (s *Payments) QueuePaymentEvent(ctx context.Context, v *attribution.Vendor, ev attribution.PaymentEvent) (string, error) {
	payload, err := encodeQueued(ev)
	if err != nil {
		return "", err
	}
	row := newStripeEvent(v.ID, ev, s.now())
	row.Outcome, row.Payload = attribution.OutcomeQueued, string(payload)
	res, err := s.db.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return "", classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return attribution.OutcomeDuplicate, nil
	}
	select {
	case s.queued <- struct{}{}:
	default: // a wake-up is already pending
	}
	return attribution.OutcomeQueued, nil
}

// SetLegacyEventVerifier gives the queue the function that verifies the
// click token of events queued by versions that stored it unverified (the
// webhook's own verification, webhooks.VerifyToken); the store itself never
// holds the codec.
func (s *Payments) SetLegacyEventVerifier(f func(*attribution.Vendor, *attribution.PaymentEvent)) {
	s.verifyLegacy = f
}

// PaymentEventsQueued receives a value after events were queued on this
// instance, to wake the worker (other instances' events are found by polling).
func (s *Payments) PaymentEventsQueued() <-chan struct{} { return s.queued }

// ApplyQueuedPaymentEvents applies up to limit queued events, oldest first,
// with workers transactions side by side (one event each; one worker on
// SQLite). An event another worker or instance is applying is skipped (FOR
// UPDATE SKIP LOCKED on PostgreSQL; SQLite's write transactions take turns). An event that fails
// stays queued for a later call; the others are still applied, and the first
// error is returned with the count of events applied.
func (s *Payments) ApplyQueuedPaymentEvents(ctx context.Context, limit, workers int) (int, error) {
	var keys []struct {
		VendorID string `bun:"vendor_id"`
		ID       string `bun:"id"`
	}
	err := s.db.NewSelect().Table("stripe_events").Column("vendor_id", "id").
		Where("outcome = ?", attribution.OutcomeQueued).
		OrderExpr("received_at ASC, vendor_id ASC, id ASC").Limit(int64(limit)).Scan(ctx, &keys)
	if err != nil {
		return 0, classify(err)
	}
	// Not errgroup.WithContext: one event's failure must not stop the others.
	var (
		g       errgroup.Group
		applied atomic.Int64
	)
	g.SetLimit(s.dialect.writers(workers))
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			ok, err := retryConflicts(4, func() (bool, error) { return s.applyQueued(ctx, k.VendorID, k.ID) })
			if ok {
				applied.Add(1)
			}
			return err
		})
	}
	err = g.Wait() // the first error
	return int(applied.Load()), err
}

// applyQueued applies one queued event, unless it is gone from the queue
// (applied meanwhile) or held by another worker: then it reports false.
func (s *Payments) applyQueued(ctx context.Context, vendorID, id string) (bool, error) {
	// Read before the transaction: a second pooled connection held inside
	// it could exhaust the pool under load.
	v, err := s.vendors.FindVendorCached(ctx, vendorID)
	if err != nil {
		return false, err
	}
	now := s.now()
	applied := false
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := new(stripeEvent)
		q := tx.NewSelect().Model(row).Where("vendor_id = ? AND id = ? AND outcome = ?", vendorID, id, attribution.OutcomeQueued)
		if err := s.dialect.skipLocked(q).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		ev, legacy, err := decodeQueued([]byte(row.Payload))
		if err != nil {
			return attribution.Errorf(attribution.EINTERNAL, "queued event %s has an unreadable payload: %v", id, err)
		}
		if legacy && s.verifyLegacy != nil {
			s.verifyLegacy(v, &ev)
		}
		row.Payload = ""
		if _, err := s.applyEffects(ctx, tx, v, ev, row, now); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return applied, nil
}

// QueuedPaymentEvents counts the events waiting in the queue.
func (s *Payments) QueuedPaymentEvents(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Table("stripe_events").Where("outcome = ?", attribution.OutcomeQueued).Count(ctx)
	return int(n), classify(err)
}
