package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync/atomic"
	"unicode/utf8"

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
//
// No poison queue: an event that fails to apply is tried again after a
// backoff (attempts, last_error, next_attempt_at on its row), and after
// maxAttempts failures it is dead (attribution.QueuedEventFailed decides):
// kept with its payload, out of the worker's way, listed to its vendor, who
// puts it back in the queue by hand (RetryStripeEvent) once its cause is
// fixed.

// EventObserver is told the type of each Stripe event the store handles
// and what became of it: the outcome of applying it (attribution.Outcome…,
// duplicates included), attribution.OutcomeQueued when it is queued,
// EventAttemptFailed for each failed try of a queued event and
// attribution.OutcomeDead when it dies. app counts them for /metrics.
type EventObserver func(eventType, outcome string)

// EventAttemptFailed is what EventObserver hears of a queued event's failed
// try (not an outcome stored on the event).
const EventAttemptFailed = "attempt_failed"

// SetEventObserver sets the observer of every event; call it before the
// store is used.
func (s *Payments) SetEventObserver(f EventObserver) { s.observe = f }

// SetMaxAttempts sets how many failed tries make a queued event dead
// (TALLY_WEBHOOK_MAX_ATTEMPTS); call it before the store is used.
func (s *Payments) SetMaxAttempts(n int) { s.maxAttempts = n }

func (s *Payments) observed(eventType, outcome string) {
	if s.observe != nil {
		s.observe(eventType, outcome)
	}
}

func (s *Payments) attemptsLimit() int {
	if s.maxAttempts > 0 {
		return s.maxAttempts
	}
	return attribution.DefaultWebhookMaxAttempts
}

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
	s.observed(ev.Type, attribution.OutcomeQueued)
	s.wake()
	return attribution.OutcomeQueued, nil
}

// wake tells this instance's worker that an event is waiting.
func (s *Payments) wake() {
	select {
	case s.queued <- struct{}{}:
	default: // a wake-up is already pending
	}
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

// QueueRun is what one pass over the queue did.
type QueueRun struct {
	Applied int // events applied
	Failed  int // events whose try failed and counted: they wait for their next attempt
	Dead    int // of those, events that reached their last attempt
}

// queuedKey is a queued event as the worker picks it.
type queuedKey struct {
	VendorID string `bun:"vendor_id"`
	ID       string `bun:"id"`
	Type     string `bun:"type"`
	Attempts int    `bun:"attempts"`
}

// ApplyQueuedPaymentEvents applies up to limit queued events that are due
// (never tried, or past their backoff), oldest first, with workers
// transactions side by side (one event each; one worker on SQLite). An
// event another worker or instance is applying is skipped (FOR UPDATE SKIP
// LOCKED on PostgreSQL; SQLite's write transactions take turns). An event
// that fails is tried again after a backoff, and is dead after its last
// attempt; the others are still applied, and the first error is returned.
func (s *Payments) ApplyQueuedPaymentEvents(ctx context.Context, limit, workers int) (QueueRun, error) {
	var keys []queuedKey
	err := s.db.NewSelect().Table("stripe_events").Column("vendor_id", "id", "type", "attempts").
		Where("outcome = ?", attribution.OutcomeQueued).
		Where("(next_attempt_at IS NULL OR next_attempt_at <= ?)", s.now()).
		OrderExpr("received_at ASC, vendor_id ASC, id ASC").Limit(int64(limit)).Scan(ctx, &keys)
	if err != nil {
		return QueueRun{}, classify(err)
	}
	// Not errgroup.WithContext: one event's failure must not stop the others.
	var (
		g                     errgroup.Group
		applied, failed, dead atomic.Int64
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
			if err == nil || ctx.Err() != nil || !attribution.QueuedEventAttemptCounts(err) {
				return err
			}
			counted, isDead, ferr := s.recordFailure(ctx, k, err)
			if ferr != nil {
				return errors.Join(err, ferr)
			}
			if counted {
				failed.Add(1)
			}
			if isDead {
				dead.Add(1)
			}
			return err
		})
	}
	err = g.Wait() // the first error
	return QueueRun{Applied: int(applied.Load()), Failed: int(failed.Load()), Dead: int(dead.Load())}, err
}

// recordFailure counts a failed try of the queued event k and schedules
// the next, or makes it dead. A try another worker recorded first (the
// attempts seen no longer match) is not counted twice.
func (s *Payments) recordFailure(ctx context.Context, k queuedKey, cause error) (counted, dead bool, err error) {
	attempts := k.Attempts + 1
	outcome, next := attribution.QueuedEventFailed(attempts, s.attemptsLimit(), s.now())
	q := s.db.NewUpdate().Table("stripe_events").
		Set("attempts = ?", attempts).Set("last_error = ?", failureText(cause)).Set("outcome = ?", outcome).
		Where("vendor_id = ? AND id = ? AND outcome = ? AND attempts = ?", k.VendorID, k.ID, attribution.OutcomeQueued, k.Attempts)
	if outcome == attribution.OutcomeDead {
		q = q.Set("next_attempt_at = NULL")
	} else {
		q = q.Set("next_attempt_at = ?", next)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, false, classify(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, false, nil
	}
	s.observed(k.Type, EventAttemptFailed)
	if outcome == attribution.OutcomeDead {
		s.observed(k.Type, attribution.OutcomeDead)
		return true, true, nil
	}
	return true, false, nil
}

// maxErrorText bounds a stored failure's text.
const maxErrorText = 500

// failureText is the cause of a failed try as the vendor reads it: the
// caller-safe message of a domain error, otherwise the error's text,
// bounded and without NUL (PostgreSQL refuses it in text).
func failureText(err error) string {
	var e *attribution.Error
	msg := err.Error()
	if errors.As(err, &e) {
		msg = e.Message
	}
	msg = strings.ToValidUTF8(strings.ReplaceAll(msg, "\x00", ""), "")
	if len(msg) > maxErrorText {
		msg = msg[:maxErrorText]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return msg
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
	var eventType, outcome string
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := new(stripeEvent)
		q := tx.NewSelect().Model(row).Where("vendor_id = ? AND id = ? AND outcome = ?", vendorID, id, attribution.OutcomeQueued)
		if err := s.dialect.skipLocked(q).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		eventType = row.Type
		ev, legacy, err := decodeQueued([]byte(row.Payload))
		if err != nil {
			return attribution.Errorf(attribution.EINTERNAL, "queued event %s has an unreadable payload: %v", id, err)
		}
		if legacy && s.verifyLegacy != nil {
			s.verifyLegacy(v, &ev)
		}
		row.Payload, row.LastError, row.NextAttemptAt = "", "", nil
		if outcome, err = s.applyEffects(ctx, tx, v, ev, row, now); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, err
	}
	if applied {
		s.observed(eventType, outcome)
	}
	return applied, nil
}

// QueuedPaymentEvents counts the events waiting in the queue.
func (s *Payments) QueuedPaymentEvents(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Table("stripe_events").Where("outcome = ?", attribution.OutcomeQueued).Count(ctx)
	return int(n), classify(err)
}

// DeadPaymentEvents counts the dead events, across vendors.
func (s *Payments) DeadPaymentEvents(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Table("stripe_events").Where("outcome = ?", attribution.OutcomeDead).Count(ctx)
	return int(n), classify(err)
}

var _ attribution.StripeEventService = (*Payments)(nil)

// ListStripeEvents lists the vendor's events, newest received first, after
// the cursor event; never their payloads.
func (s *Payments) ListStripeEvents(ctx context.Context, vendorID string, f attribution.StripeEventFilter) ([]*attribution.StripeEvent, bool, error) {
	page := f.Page.Normalize()
	var rows []*stripeEvent
	q := s.db.NewSelect().Model(&rows).ExcludeColumn("payload").Where("vendor_id = ?", vendorID).
		OrderExpr("received_at DESC, id DESC").Limit(int64(page.Limit) + 1)
	if f.Status != "" {
		q = q.Where("outcome = ?", f.Status)
	}
	if page.Cursor != "" {
		after := new(stripeEvent)
		err := s.db.NewSelect().Model(after).Column("received_at").Where("vendor_id = ? AND id = ?", vendorID, page.Cursor).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, attribution.Errorf(attribution.EINVALID, "cursor is not valid.")
		} else if err != nil {
			return nil, false, classify(err)
		}
		q = q.Where("(received_at < ? OR (received_at = ? AND id < ?))", after.ReceivedAt, after.ReceivedAt, page.Cursor)
	}
	rows, more, err := scanPage(ctx, q, &rows, page)
	if err != nil {
		return nil, false, err
	}
	out := make([]*attribution.StripeEvent, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, more, nil
}

// view is the event as its vendor sees it.
func (r *stripeEvent) view() *attribution.StripeEvent {
	return &attribution.StripeEvent{
		ID: r.ID, Type: r.Type, Livemode: r.Livemode, ReceivedAt: r.ReceivedAt, Outcome: r.Outcome,
		Attempts: r.Attempts, LastError: r.LastError, NextAttemptAt: r.NextAttemptAt,
	}
}

// RetryStripeEvent puts a dead event back in the queue with a fresh count
// of attempts (its last error stays until the next try), audited in the
// same transaction, and wakes this instance's worker.
func (s *Payments) RetryStripeEvent(ctx context.Context, vendorID, id, actor, reason string) (*attribution.StripeEvent, error) {
	if err := attribution.ValidateOptionalReason(&reason); err != nil {
		return nil, err
	}
	now := s.now()
	var out *attribution.StripeEvent
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := new(stripeEvent)
		err := tx.NewSelect().Model(row).ExcludeColumn("payload").Where("vendor_id = ? AND id = ?", vendorID, id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Stripe event")
		} else if err != nil {
			return err
		}
		if err := attribution.CheckStripeEventRetry(row.Outcome); err != nil {
			return err
		}
		before := row.view()
		res, err := tx.NewUpdate().Table("stripe_events").
			Set("outcome = ?", attribution.OutcomeQueued).Set("attempts = 0").Set("next_attempt_at = NULL").
			Where("vendor_id = ? AND id = ? AND outcome = ?", vendorID, id, attribution.OutcomeDead).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 { // retried by another request meanwhile
			return attribution.CheckStripeEventRetry(attribution.OutcomeQueued)
		}
		row.Outcome, row.Attempts, row.NextAttemptAt = attribution.OutcomeQueued, 0, nil
		out = row.view()
		return audit(ctx, tx, vendorID, actor, attribution.ActionStripeEventRetry, attribution.ObjectStripeEvent, id, reason,
			auditedEvent(before), auditedEvent(out), now)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}

// auditedEvent is what the audit log keeps of an event's queue state.
func auditedEvent(e *attribution.StripeEvent) map[string]any {
	return map[string]any{"outcome": e.Outcome, "attempts": e.Attempts, "last_error": e.LastError}
}
