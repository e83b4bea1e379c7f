package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Webhooks manages the vendors' outbound webhook endpoints and shows their
// deliveries. Events are written by emitEvent (webhook_emit.go) in the
// transaction of each change; the worker's side is webhook_delivery.go.
type Webhooks struct {
	core
	secrets Secrets
	// checkDestination refuses a URL the deployment may not call (private
	// and loopback addresses unless allowed); set by app, nil allows all.
	checkDestination func(rawURL string) error
}

var _ attribution.WebhookService = (*Webhooks)(nil)

// SetSecrets sets what seals the endpoints' signing secrets. Call it before
// serving; without it, secrets are written in clear.
func (w *Webhooks) SetSecrets(b Secrets) { w.secrets = b }

// SetDestinationCheck sets the rule an endpoint's URL must pass (the
// outbound sender's, which enforces it again at dial time).
func (w *Webhooks) SetDestinationCheck(check func(rawURL string) error) { w.checkDestination = check }

// endpointRow is an endpoint as stored, with its sealed secrets.
type endpointRow struct {
	bun.BaseModel     `bun:"table:webhook_endpoints"`
	ID                string     `bun:"id,pk"`
	VendorID          string     `bun:"vendor_id"`
	URL               string     `bun:"url"`
	Description       string     `bun:"description"`
	Events            string     `bun:"events"`
	Status            string     `bun:"status"`
	DisabledReason    string     `bun:"disabled_reason"`
	Secret            string     `bun:"secret"`
	PreviousSecret    string     `bun:"previous_secret"`
	PreviousExpiresAt *time.Time `bun:"previous_expires_at"`
	FailingSince      *time.Time `bun:"failing_since"`
	CreatedAt         time.Time  `bun:"created_at"`
	UpdatedAt         time.Time  `bun:"updated_at"`
}

// endpoint is the row as the API shows it: no secret.
func (r *endpointRow) endpoint(now time.Time) *attribution.WebhookEndpoint {
	e := &attribution.WebhookEndpoint{ID: r.ID, VendorID: r.VendorID, URL: r.URL, Description: r.Description,
		Status: r.Status, DisabledReason: r.DisabledReason, FailingSince: r.FailingSince,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal([]byte(r.Events), &e.Events); err != nil || e.Events == nil {
		e.Events = []string{}
	}
	if r.PreviousSecret != "" && r.PreviousExpiresAt != nil && now.Before(*r.PreviousExpiresAt) {
		e.SecretRotationEndsAt = r.PreviousExpiresAt
	}
	return e
}

// apply copies an endpoint's editable fields onto the row.
func (r *endpointRow) apply(e *attribution.WebhookEndpoint) {
	events, _ := json.Marshal(e.Events)
	r.URL, r.Description, r.Events = e.URL, e.Description, string(events)
	r.Status, r.DisabledReason, r.FailingSince = e.Status, e.DisabledReason, e.FailingSince
}

// secretPlace binds an endpoint's sealed secrets to its row.
func secretPlace(endpointID string) string { return "webhook_endpoints.secret:" + endpointID }

func (w *Webhooks) checkURL(rawURL string) error {
	if w.checkDestination == nil {
		return nil
	}
	if err := w.checkDestination(rawURL); err != nil {
		return attribution.Errorf(attribution.EINVALID, "url: %s", attribution.Clip(err.Error(), 300))
	}
	return nil
}

func findEndpoint(ctx context.Context, db bun.IDB, vendorID, id string) (*endpointRow, error) {
	return findByID[endpointRow](ctx, db, attribution.PrefixWebhookEndpoint, "Webhook endpoint", vendorID, id)
}

// CreateWebhookEndpoint creates an endpoint with a new secret, audited
// without it.
func (w *Webhooks) CreateWebhookEndpoint(ctx context.Context, vendorID, actor string, c attribution.WebhookEndpointCreate) (*attribution.NewWebhookEndpoint, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := w.checkURL(c.URL); err != nil {
		return nil, err
	}
	now := w.now()
	secret := attribution.NewWebhookSecret()
	row := &endpointRow{ID: attribution.NewID(attribution.PrefixWebhookEndpoint, now), VendorID: vendorID,
		CreatedAt: now, UpdatedAt: now}
	row.apply(&attribution.WebhookEndpoint{URL: c.URL, Description: c.Description, Events: c.Events, Status: attribution.WebhookEnabled})
	sealed, err := w.secrets.Seal(secret, secretPlace(row.ID))
	if err != nil {
		return nil, err
	}
	row.Secret = sealed
	var out *attribution.WebhookEndpoint
	err = w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*endpointRow)(nil)).Where("vendor_id = ?", vendorID).Count(ctx)
		if err != nil {
			return err
		}
		if err := attribution.CheckWebhookEndpointCount(int(n)); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		out = row.endpoint(now)
		return audit(ctx, tx, vendorID, actor, attribution.ActionWebhookEndpointCreate, attribution.ObjectWebhookEndpoint, row.ID, "", nil, out, now)
	})
	if err != nil {
		return nil, err
	}
	w.hooks.forgetClickVendors()
	return &attribution.NewWebhookEndpoint{WebhookEndpoint: out, Secret: secret}, nil
}

// ListWebhookEndpoints lists the vendor's endpoints, newest first.
func (w *Webhooks) ListWebhookEndpoints(ctx context.Context, vendorID string, page attribution.Page) ([]*attribution.WebhookEndpoint, bool, error) {
	page = page.Normalize()
	var rows []*endpointRow
	list, more, err := scanPage(ctx, listQuery(w.db, &rows, vendorID, page), &rows, page)
	if err != nil {
		return nil, false, err
	}
	now := w.now()
	out := make([]*attribution.WebhookEndpoint, len(list))
	for i, r := range list {
		out[i] = r.endpoint(now)
	}
	return out, more, nil
}

// FindWebhookEndpoint returns one of the vendor's endpoints.
func (w *Webhooks) FindWebhookEndpoint(ctx context.Context, vendorID, id string) (*attribution.WebhookEndpoint, error) {
	row, err := findEndpoint(ctx, w.db, vendorID, id)
	if err != nil {
		return nil, err
	}
	return row.endpoint(w.now()), nil
}

// UpdateWebhookEndpoint applies upd and its audit entry; a PATCH that
// changes nothing writes nothing.
func (w *Webhooks) UpdateWebhookEndpoint(ctx context.Context, vendorID, actor, id string, upd attribution.WebhookEndpointUpdate) (*attribution.WebhookEndpoint, error) {
	now := w.now()
	var out *attribution.WebhookEndpoint
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := findEndpoint(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		before := row.endpoint(now)
		e := row.endpoint(now)
		if err := upd.Apply(e, now); err != nil {
			return err
		}
		if upd.URL != nil && e.URL != before.URL {
			if err := w.checkURL(e.URL); err != nil {
				return err
			}
		}
		out = e
		if attribution.ToRawJSON(e) == attribution.ToRawJSON(before) {
			return nil
		}
		row.apply(e)
		row.UpdatedAt, e.UpdatedAt = now, now
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionWebhookEndpointUpdate, attribution.ObjectWebhookEndpoint, row.ID, "", before, e, now)
	})
	if err != nil {
		return nil, err
	}
	w.hooks.forgetClickVendors()
	return out, nil
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and their
// attempts; the events stay for the vendor's other endpoints.
func (w *Webhooks) DeleteWebhookEndpoint(ctx context.Context, vendorID, actor, id string) error {
	now := w.now()
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := findEndpoint(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		// Deleted explicitly: the cascade of the foreign keys is a safety net.
		if _, err := tx.NewDelete().TableExpr("webhook_attempts").
			Where("delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)", row.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().TableExpr("webhook_deliveries").Where("endpoint_id = ?", row.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(row).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionWebhookEndpointDelete, attribution.ObjectWebhookEndpoint, row.ID, "", row.endpoint(now), nil, now)
	})
	if err == nil {
		w.hooks.forgetClickVendors()
	}
	return err
}

// RotateWebhookSecret gives the endpoint a new secret; the current one
// becomes the previous, which still signs for attribution.
// WebhookSecretOverlap (a previous one from an earlier rotation is
// dropped).
func (w *Webhooks) RotateWebhookSecret(ctx context.Context, vendorID, actor, id string) (*attribution.NewWebhookEndpoint, error) {
	now := w.now()
	secret := attribution.NewWebhookSecret()
	var out *attribution.WebhookEndpoint
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row, err := findEndpoint(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		before := row.endpoint(now)
		sealed, err := w.secrets.Seal(secret, secretPlace(row.ID))
		if err != nil {
			return err
		}
		until := now.Add(attribution.WebhookSecretOverlap)
		row.PreviousSecret, row.PreviousExpiresAt, row.Secret, row.UpdatedAt = row.Secret, &until, sealed, now
		if _, err := tx.NewUpdate().Model(row).Column("secret", "previous_secret", "previous_expires_at", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		out = row.endpoint(now)
		return audit(ctx, tx, vendorID, actor, attribution.ActionWebhookEndpointRotate, attribution.ObjectWebhookEndpoint, row.ID, "", before, out, now)
	})
	if err != nil {
		return nil, err
	}
	return &attribution.NewWebhookEndpoint{WebhookEndpoint: out, Secret: secret}, nil
}

// deliveryRow is one event on its way to one endpoint.
type deliveryRow struct {
	bun.BaseModel  `bun:"table:webhook_deliveries"`
	ID             string     `bun:"id,pk"`
	VendorID       string     `bun:"vendor_id"`
	EndpointID     string     `bun:"endpoint_id"`
	EventID        string     `bun:"event_id"`
	EventType      string     `bun:"event_type"`
	Status         string     `bun:"status"`
	Attempts       int        `bun:"attempts"`
	NextAttemptAt  time.Time  `bun:"next_attempt_at"`
	ClaimedUntil   *time.Time `bun:"claimed_until"`
	LastStatusCode int        `bun:"last_status_code"`
	LastError      string     `bun:"last_error"`
	DeliveredAt    *time.Time `bun:"delivered_at"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
}

// attemptRow is one try at a delivery.
type attemptRow struct {
	bun.BaseModel   `bun:"table:webhook_attempts"`
	ID              string    `bun:"id,pk"`
	DeliveryID      string    `bun:"delivery_id"`
	AttemptedAt     time.Time `bun:"attempted_at"`
	StatusCode      int       `bun:"status_code"`
	DurationMS      int64     `bun:"duration_ms"`
	ResponseExcerpt string    `bun:"response_excerpt"`
	Error           string    `bun:"error"`
}

// maxAttemptsShown bounds the attempts listed with a delivery: the
// schedule makes ten, retries by hand add more.
const maxAttemptsShown = 50

func (r *deliveryRow) delivery() *attribution.WebhookDelivery {
	d := &attribution.WebhookDelivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType,
		Status: r.Status, LastStatusCode: r.LastStatusCode, LastError: r.LastError, DeliveredAt: r.DeliveredAt,
		CreatedAt: r.CreatedAt, Attempts: []attribution.WebhookAttempt{}}
	if r.Status == attribution.DeliveryPending {
		next := r.NextAttemptAt
		d.NextAttemptAt = &next
	}
	return d
}

// withAttempts reads the attempts of deliveries, oldest first.
func withAttempts(ctx context.Context, db bun.IDB, rows []*deliveryRow) ([]*attribution.WebhookDelivery, error) {
	out := make([]*attribution.WebhookDelivery, len(rows))
	byID := make(map[string]*attribution.WebhookDelivery, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
		byID[r.ID], ids[i] = out[i], r.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var attempts []attemptRow
	if err := db.NewSelect().Model(&attempts).Where("delivery_id IN (?)", bun.List(ids)).
		OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, err
	}
	for _, a := range attempts {
		d := byID[a.DeliveryID]
		if len(d.Attempts) == maxAttemptsShown {
			d.Attempts = d.Attempts[1:] // the latest are kept
		}
		d.Attempts = append(d.Attempts, attribution.WebhookAttempt{ID: a.ID, AttemptedAt: a.AttemptedAt,
			StatusCode: a.StatusCode, DurationMS: a.DurationMS, ResponseExcerpt: a.ResponseExcerpt, Error: a.Error})
	}
	return out, nil
}

// ListWebhookDeliveries lists an endpoint's deliveries, newest first, each
// with its attempts.
func (w *Webhooks) ListWebhookDeliveries(ctx context.Context, vendorID, endpointID string, f attribution.WebhookDeliveryFilter) ([]*attribution.WebhookDelivery, bool, error) {
	if _, err := findEndpoint(ctx, w.db, vendorID, endpointID); err != nil {
		return nil, false, err
	}
	page := f.Page.Normalize()
	var rows []*deliveryRow
	q := listQuery(w.db, &rows, vendorID, page).Where("endpoint_id = ?", endpointID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	list, more, err := scanPage(ctx, q, &rows, page)
	if err != nil {
		return nil, false, err
	}
	out, err := withAttempts(ctx, w.db, list)
	return out, more, classify(err)
}

// RetryWebhookDelivery makes a delivery due now with a fresh schedule.
func (w *Webhooks) RetryWebhookDelivery(ctx context.Context, vendorID, actor, endpointID, deliveryID, reason string) (*attribution.WebhookDelivery, error) {
	if err := attribution.ValidateOptionalReason(&reason); err != nil {
		return nil, err
	}
	now := w.now()
	var out *attribution.WebhookDelivery
	err := w.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := findEndpoint(ctx, tx, vendorID, endpointID); err != nil {
			return err
		}
		row, err := findByID[deliveryRow](ctx, tx, attribution.PrefixWebhookDelivery, "Delivery", vendorID, deliveryID)
		if err != nil {
			return err
		}
		if row.EndpointID != endpointID {
			return notFound("Delivery")
		}
		before := row.delivery()
		row.Status, row.Attempts, row.NextAttemptAt, row.UpdatedAt = attribution.DeliveryPending, 0, now, now
		if _, err := tx.NewUpdate().Model(row).Column("status", "attempts", "next_attempt_at", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		list, err := withAttempts(ctx, tx, []*deliveryRow{row})
		if err != nil {
			return err
		}
		out = list[0]
		markEmitted(ctx)
		return audit(ctx, tx, vendorID, actor, attribution.ActionWebhookDeliveryRetry, attribution.ObjectWebhookEndpoint, endpointID, reason,
			map[string]any{"delivery_id": row.ID, "status": before.Status}, map[string]any{"delivery_id": row.ID, "status": row.Status}, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eventRow is an event as sent.
type eventRow struct {
	bun.BaseModel `bun:"table:webhook_events"`
	ID            string    `bun:"id,pk"`
	VendorID      string    `bun:"vendor_id"`
	Type          string    `bun:"type"`
	Payload       string    `bun:"payload"`
	CreatedAt     time.Time `bun:"created_at"`
}

// FindWebhookEvent returns one of the vendor's events, its body as sent.
func (w *Webhooks) FindWebhookEvent(ctx context.Context, vendorID, id string) (json.RawMessage, error) {
	if !attribution.ValidID(attribution.PrefixWebhookEvent, id) {
		return nil, notFound("Event")
	}
	var row eventRow
	err := w.db.NewSelect().Model(&row).Where("vendor_id = ? AND id = ?", vendorID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Event")
	}
	if err != nil {
		return nil, classify(err)
	}
	return json.RawMessage(row.Payload), nil
}
