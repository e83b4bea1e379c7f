package attribution

import (
	"context"
	"time"
)

// StripeEventRow is a Stripe event as Settings lists it: what arrived and
// what Tally did with it (its outcome, Outcome*).
type StripeEventRow struct {
	ID         string    `json:"id" bun:"id"`
	Type       string    `json:"type" bun:"type"`
	Livemode   bool      `json:"livemode" bun:"livemode"`
	Outcome    string    `json:"outcome" bun:"outcome"`
	ReceivedAt time.Time `json:"received_at" bun:"received_at"`
}

// StripeEventService reads the Stripe events a vendor received.
type StripeEventService interface {
	// LatestStripeEvents lists the newest events first, at most limit.
	LatestStripeEvents(ctx context.Context, vendorID string, limit int) ([]StripeEventRow, error)
}
