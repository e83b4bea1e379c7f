package store

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// The delivery worker's side of the webhook outbox (package
// internal/hookworker sends): claim due deliveries with a lease, record
// each attempt and what follows it (attribution.DecideWebhookAttempt),
// release what was not tried, prune old events.

// ClaimedDelivery is a delivery a worker holds until Until, with what it
// needs to send it.
type ClaimedDelivery struct {
	ID, VendorID, EndpointID, EventID, URL string
	Payload                                []byte
	// Secrets sign the delivery: the endpoint's current secret, and its
	// previous one during a rotation.
	Secrets []string
	Failed  int // failed attempts of the current schedule
	Until   time.Time
}

// WebhookWake receives a value after a change committed events on this
// instance (other instances find them when they poll).
func (w *Webhooks) WebhookWake() <-chan struct{} { return w.hooks.wake }

// Now is the store's clock (a delivery's timestamp).
func (w *Webhooks) Now() time.Time { return w.now() }

// ClaimDue claims up to limit due deliveries of enabled endpoints, oldest
// first, for lease: no other worker sends them until it ends (a worker that
// dies mid-send leaves them to whoever claims after it: delivered at least
// once). On PostgreSQL rows another worker is claiming are skipped (FOR
// UPDATE SKIP LOCKED); SQLite's write transactions take turns.
func (w *Webhooks) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]ClaimedDelivery, error) {
	now := w.now()
	until := now.Add(lease).Truncate(time.Microsecond)
	var out []ClaimedDelivery
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		var rows []*deliveryRow
		q := tx.NewSelect().Model(&rows).
			Where("status = ? AND next_attempt_at <= ?", attribution.DeliveryPending, now).
			Where("(claimed_until IS NULL OR claimed_until <= ?)", now).
			Where("endpoint_id IN (SELECT id FROM webhook_endpoints WHERE status = ?)", attribution.WebhookEnabled).
			OrderExpr("id ASC").Limit(int64(limit))
		if err := w.dialect.skipLocked(q).Scan(ctx); err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]string, len(rows))
		endpointIDs, eventIDs := map[string]bool{}, map[string]bool{}
		for i, r := range rows {
			ids[i] = r.ID
			endpointIDs[r.EndpointID], eventIDs[r.EventID] = true, true
		}
		if _, err := tx.NewUpdate().Model((*deliveryRow)(nil)).Set("claimed_until = ?", until).
			Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return err
		}
		var endpoints []*endpointRow
		if err := tx.NewSelect().Model(&endpoints).Where("id IN (?)", bun.List(keys(endpointIDs))).Scan(ctx); err != nil {
			return err
		}
		var events []*eventRow
		if err := tx.NewSelect().Model(&events).Where("id IN (?)", bun.List(keys(eventIDs))).Scan(ctx); err != nil {
			return err
		}
		secrets := map[string][]string{}
		urls := map[string]string{}
		for _, e := range endpoints {
			current, err := w.secrets.Open(e.Secret, secretPlace(e.ID))
			if err != nil {
				return err
			}
			previous := ""
			if e.PreviousSecret != "" {
				if previous, err = w.secrets.Open(e.PreviousSecret, secretPlace(e.ID)); err != nil {
					return err
				}
			}
			secrets[e.ID] = attribution.WebhookSigningSecrets(current, previous, e.PreviousExpiresAt, now)
			urls[e.ID] = e.URL
		}
		payloads := map[string][]byte{}
		for _, ev := range events {
			payloads[ev.ID] = []byte(ev.Payload)
		}
		for _, r := range rows {
			out = append(out, ClaimedDelivery{ID: r.ID, VendorID: r.VendorID, EndpointID: r.EndpointID, EventID: r.EventID,
				URL: urls[r.EndpointID], Payload: payloads[r.EventID], Secrets: secrets[r.EndpointID],
				Failed: r.Attempts, Until: until})
		}
		return nil
	})
	return out, err
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Attempt is what a worker saw when it sent a claimed delivery.
type Attempt struct {
	Answer   attribution.WebhookAnswer
	At       time.Time // when it was sent (the webhook-timestamp)
	Duration time.Duration
	Excerpt  string // the answer's body, at most attribution.WebhookExcerptLen bytes
}

// RecordAttempt stores an attempt at a claimed delivery and what follows
// it (attribution.DecideWebhookAttempt): delivered, retried later or
// failed; the endpoint's failing streak; disabling the endpoint (audited,
// its admins emailed through the mail outbox).
func (w *Webhooks) RecordAttempt(ctx context.Context, c ClaimedDelivery, a Attempt) (attribution.WebhookAttemptOutcome, error) {
	now := w.now()
	var out attribution.WebhookAttemptOutcome
	mailed := false
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ep := new(endpointRow)
		if err := tx.NewSelect().Model(ep).Where("id = ?", c.EndpointID).Scan(ctx); err != nil {
			return err // deleted meanwhile: its deliveries went with it
		}
		out = attribution.DecideWebhookAttempt(a.Answer, c.Failed, ep.FailingSince, now, rand.Float64())
		errText := attribution.WebhookErrorText(a.Answer.Err)
		at := &attemptRow{ID: attribution.NewID(attribution.PrefixWebhookAttempt, now), DeliveryID: c.ID,
			AttemptedAt: a.At, StatusCode: a.Answer.StatusCode, DurationMS: a.Duration.Milliseconds(),
			ResponseExcerpt: attribution.Clip(a.Excerpt, attribution.WebhookExcerptLen), Error: errText}
		if _, err := tx.NewInsert().Model(at).Exec(ctx); err != nil {
			return err
		}
		q := tx.NewUpdate().Model((*deliveryRow)(nil)).
			Set("status = ?, claimed_until = NULL, last_status_code = ?, last_error = ?, updated_at = ?",
				out.Delivery, a.Answer.StatusCode, errText, now).
			Where("id = ? AND status = ?", c.ID, attribution.DeliveryPending)
		switch out.Delivery {
		case attribution.DeliverySucceeded:
			q = q.Set("delivered_at = ?", now)
		case attribution.DeliveryPending:
			q = q.Set("attempts = ?, next_attempt_at = ?", c.Failed+1, out.NextAttemptAt)
		default:
			q = q.Set("attempts = ?", c.Failed+1)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		before := ep.endpoint(now)
		ep.FailingSince, ep.UpdatedAt = out.FailingSince, now
		cols := []string{"failing_since"}
		if out.Disable != "" && ep.Status == attribution.WebhookEnabled {
			ep.Status, ep.DisabledReason = attribution.WebhookDisabled, out.Disable
			cols = append(cols, "status", "disabled_reason", "updated_at")
		}
		if _, err := tx.NewUpdate().Model(ep).Column(cols...).WherePK().Exec(ctx); err != nil {
			return err
		}
		if len(cols) == 1 {
			return nil
		}
		if err := audit(ctx, tx, ep.VendorID, "system", attribution.ActionWebhookEndpointDisable, attribution.ObjectWebhookEndpoint,
			ep.ID, out.Disable, before, ep.endpoint(now), now); err != nil {
			return err
		}
		mailed = true
		return w.mailDisabled(ctx, tx, ep, out.Disable, now)
	})
	if err != nil {
		return out, err
	}
	if mailed {
		w.hooks.forgetClickVendors()
		w.wakeMailer()
	}
	return out, nil
}

// mailDisabled emails the vendor's admins that ep was disabled.
func (w *Webhooks) mailDisabled(ctx context.Context, db bun.IDB, ep *endpointRow, reason string, now time.Time) error {
	var v struct {
		Name string `bun:"name"`
	}
	if err := db.NewSelect().TableExpr("vendors").Column("name").Where("id = ?", ep.VendorID).Scan(ctx, &v); err != nil {
		return err
	}
	var admins []string
	if err := db.NewSelect().TableExpr("users").Column("email").
		Where("vendor_id = ? AND role = ?", ep.VendorID, attribution.RoleAdmin).OrderExpr("email ASC").Scan(ctx, &admins); err != nil {
		return err
	}
	program := attribution.MailProgram{VendorID: ep.VendorID, Name: v.Name}
	for _, to := range admins {
		msg, err := attribution.WebhookDisabledMail(program, to, ep.URL, reason, w.publicURL+"/dashboard/settings")
		if err != nil {
			return err
		}
		if err := EnqueueMail(ctx, db, msg, now); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseDeliveries gives back claimed deliveries this worker did not try
// (it is stopping), so another worker need not wait for the lease to end.
func (w *Webhooks) ReleaseDeliveries(ctx context.Context, claimed []ClaimedDelivery) error {
	if len(claimed) == 0 {
		return nil
	}
	ids := make([]string, len(claimed))
	for i, c := range claimed {
		ids[i] = c.ID
	}
	_, err := w.db.NewUpdate().Model((*deliveryRow)(nil)).Set("claimed_until = NULL").
		Where("id IN (?) AND status = ?", bun.List(ids), attribution.DeliveryPending).Exec(ctx)
	return classify(err)
}

// PruneWebhookEvents deletes the events older than
// attribution.WebhookEventsKept that no delivery still waits for, with
// their deliveries and attempts.
func (w *Webhooks) PruneWebhookEvents(ctx context.Context) (int, error) {
	before := w.now().Add(-attribution.WebhookEventsKept)
	old := "SELECT id FROM webhook_events WHERE created_at < ? AND NOT EXISTS " +
		"(SELECT 1 FROM webhook_deliveries AS d WHERE d.event_id = webhook_events.id AND d.status = ?)"
	var n int
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().TableExpr("webhook_attempts").
			Where("delivery_id IN (SELECT id FROM webhook_deliveries WHERE event_id IN ("+old+"))", before, attribution.DeliveryPending).
			Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().TableExpr("webhook_deliveries").
			Where("event_id IN ("+old+")", before, attribution.DeliveryPending).Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewDelete().TableExpr("webhook_events").
			Where("created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.event_id = webhook_events.id)", before).
			Exec(ctx)
		if err != nil {
			return err
		}
		rows, _ := res.RowsAffected()
		n = int(rows)
		return nil
	})
	return n, err
}
