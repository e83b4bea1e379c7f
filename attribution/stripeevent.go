package attribution

import (
	"context"
	"time"
)

// OutcomeDead: a queued event that failed to apply on every one of its
// attempts. It is kept, listed to its vendor and counted for operators, and
// applied again only when the vendor retries it by hand (once its cause is
// fixed); the queue never drops an event silently.
const OutcomeDead = "dead"

// The audit log's entry of a manual retry.
const (
	ActionStripeEventRetry = "stripe_event.retry"
	ObjectStripeEvent      = "stripe_event"
)

// Stripe event list filters (status=…): the queue's two states.
const (
	StripeEventsQueued = OutcomeQueued
	StripeEventsDead   = OutcomeDead
)

// DefaultWebhookMaxAttempts is how many times the queue tries an event
// before it is dead, unless TALLY_WEBHOOK_MAX_ATTEMPTS says otherwise.
const DefaultWebhookMaxAttempts = 10

// The queue's backoff: the wait after the first failed attempt, doubled
// after each further one, never longer than the cap. With ten attempts an
// event is dead about three hours after its first failure: long enough to
// outlast a deploy or an outage, short enough to be noticed the same day.
const (
	webhookRetryFirst = 15 * time.Second
	webhookRetryCap   = time.Hour
)

// StripeEvent is a stored Stripe event as its vendor sees it: what
// happened to it, never its payload.
type StripeEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Livemode   bool      `json:"livemode"`
	ReceivedAt time.Time `json:"received_at"`
	Outcome    string    `json:"outcome"`
	// Attempts counts the queue's failed tries since the event was queued
	// or last retried by hand; LastError is the latest failure's cause.
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // a queued event after a failure
}

// StripeEventFilter selects a vendor's events: Status is empty (all),
// StripeEventsQueued or StripeEventsDead.
type StripeEventFilter struct {
	Status string
	Page   Page
}

// StripeEventService lets a vendor see its Stripe events and put a dead one
// back in the queue.
type StripeEventService interface {
	// ListStripeEvents lists the vendor's events, newest received first;
	// the cursor is an event id of the vendor (EINVALID otherwise).
	ListStripeEvents(ctx context.Context, vendorID string, f StripeEventFilter) ([]*StripeEvent, bool, error)
	// RetryStripeEvent queues a dead event again with a fresh count of
	// attempts, audited; ENOTFOUND, or ECONFLICT for an event not dead.
	RetryStripeEvent(ctx context.Context, vendorID, id, actor, reason string) (*StripeEvent, error)
}

// QueuedEventFailed decides what follows a queued event's failed attempt:
// attempts counts the failures so far, this one included. Under maxAttempts
// the event stays queued until next; at maxAttempts it is dead.
func QueuedEventFailed(attempts, maxAttempts int, now time.Time) (outcome string, next time.Time) {
	if attempts >= maxAttempts {
		return OutcomeDead, time.Time{}
	}
	wait := webhookRetryFirst
	for i := 1; i < attempts && wait < webhookRetryCap; i++ {
		wait *= 2
	}
	return OutcomeQueued, now.Add(min(wait, webhookRetryCap))
}

// QueuedEventAttemptCounts reports whether a failure to apply a queued
// event counts as one of its attempts: a database that is down, locked or
// too slow (EUNAVAILABLE) is not the event's fault, so the event waits for
// it without coming closer to dead.
func QueuedEventAttemptCounts(err error) bool {
	return err != nil && ErrorCode(err) != EUNAVAILABLE
}

// CheckStripeEventRetry checks that an event may be retried by hand: only a
// dead one; a queued one is retried by the queue itself.
func CheckStripeEventRetry(outcome string) error {
	if outcome != OutcomeDead {
		return Errorf(ECONFLICT, "Only a dead event can be retried; this one is %s.", outcome)
	}
	return nil
}
