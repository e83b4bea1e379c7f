package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// The outboxes' age, for the metrics read at scrape time: how long the
// oldest message still waiting has waited. A worker that stopped sending
// shows as a growing age long before anyone notices a missing email or
// event. Each reads one row on the outbox's partial index of pending rows.

// OldestUndeliveredAge is the age of the oldest pending delivery of an
// enabled endpoint (a disabled endpoint's deliveries wait on purpose); 0
// when none waits.
func (w *Webhooks) OldestUndeliveredAge(ctx context.Context) (time.Duration, error) {
	return oldestAge(ctx, w.db.NewSelect().TableExpr("webhook_deliveries").Column("created_at").
		Where("status = ?", attribution.DeliveryPending).
		Where("endpoint_id IN (SELECT id FROM webhook_endpoints WHERE status = ?)", attribution.WebhookEnabled), w.now())
}

// OldestUnsentAge is the age of the oldest email still pending; 0 when
// none waits.
func (m *Mail) OldestUnsentAge(ctx context.Context) (time.Duration, error) {
	return oldestAge(ctx, m.db.NewSelect().TableExpr("mail_outbox").Column("created_at").
		Where("status = ?", MailPending), m.now())
}

func oldestAge(ctx context.Context, q *bun.SelectQuery, now time.Time) (time.Duration, error) {
	var oldest time.Time
	err := q.OrderExpr("created_at").Limit(1).Scan(ctx, &oldest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, classify(err)
	}
	return max(now.Sub(oldest), 0), nil
}
