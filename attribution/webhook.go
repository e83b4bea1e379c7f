package attribution

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Outbound webhooks (Standard Webhooks 1.0): a vendor's endpoints receive
// events about its partners, customers, purchases and rewards. The change
// that causes an event writes it, with one delivery per endpoint that
// wants it, in its own transaction (an outbox); a worker on every instance
// delivers them, signed, and retries on failure. This file holds the types
// and the rules: which endpoint wants which event, the retry schedule, and
// what an attempt's answer does to its delivery and endpoint.

// Event types.
const (
	EventPartnerCreated              = "partner.created"
	EventPartnerApplicationSubmitted = "partner.application_submitted"
	EventPartnerUpdated              = "partner.updated"
	EventCustomerCreated             = "customer.created"
	EventCustomerAttributed          = "customer.attributed"
	EventPurchaseCreated             = "purchase.created"
	EventPurchaseRefunded            = "purchase.refunded"
	EventPurchaseExcluded            = "purchase.excluded"
	EventRewardCreated               = "reward.created"
	EventRewardUpdated               = "reward.updated"
	EventPayoutPaid                  = "payout.paid"
	EventLinkClicked                 = "link.clicked"
)

// WebhookEventTypes lists every event type.
var WebhookEventTypes = []string{EventPartnerCreated, EventPartnerApplicationSubmitted, EventPartnerUpdated,
	EventCustomerCreated, EventCustomerAttributed, EventPurchaseCreated, EventPurchaseRefunded,
	EventPurchaseExcluded, EventRewardCreated, EventRewardUpdated, EventPayoutPaid, EventLinkClicked}

// WebhookAllEvents in an endpoint's events stands for every type but
// link.clicked, which is one event per click: an endpoint gets it only by
// naming it.
const WebhookAllEvents = "*"

// Endpoint statuses, and why a disabled endpoint is.
const (
	WebhookEnabled  = "enabled"
	WebhookDisabled = "disabled"

	WebhookDisabledManual  = "manual"  // by the vendor
	WebhookDisabledGone    = "gone"    // the receiver answered 410 Gone
	WebhookDisabledFailing = "failing" // every attempt failed for WebhookFailingLimit
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed" // its last retry failed, or its endpoint was disabled by a failure
)

// ID prefixes of webhook objects.
const (
	PrefixWebhookEndpoint = "whe_"
	PrefixWebhookEvent    = "evt_"
	PrefixWebhookDelivery = "whd_"
	PrefixWebhookAttempt  = "wha_"
)

// The audit log's entries of webhook endpoints.
const (
	ActionWebhookEndpointCreate  = "webhook_endpoint.create"
	ActionWebhookEndpointUpdate  = "webhook_endpoint.update"
	ActionWebhookEndpointDelete  = "webhook_endpoint.delete"
	ActionWebhookEndpointRotate  = "webhook_endpoint.rotate_secret"
	ActionWebhookEndpointDisable = "webhook_endpoint.disable"
	ActionWebhookDeliveryRetry   = "webhook_delivery.retry"
	ObjectWebhookEndpoint        = "webhook_endpoint"
)

// Limits and timings.
const (
	// WebhookSecretOverlap is how long the previous secret still signs
	// after a rotation, so receivers can switch without losing a delivery.
	WebhookSecretOverlap = 24 * time.Hour
	// WebhookFailingLimit: an endpoint whose attempts all failed for this
	// long is disabled and its vendor's admins are emailed.
	WebhookFailingLimit = 5 * 24 * time.Hour
	// WebhookTimeout bounds one attempt, from dial to the answer's excerpt.
	WebhookTimeout = 15 * time.Second
	// WebhookEventsKept: events older than this, with no delivery still
	// pending, are deleted with their deliveries and attempts.
	WebhookEventsKept = 30 * 24 * time.Hour
	// WebhookExcerptLen bounds the answer's body kept with an attempt.
	WebhookExcerptLen = 1024

	maxWebhookURLLen     = 2048
	maxWebhookDescLen    = 500
	maxWebhookEndpoints  = 20 // per vendor
	webhookRetryJitter   = 0.1
	maxWebhookErrorChars = 500
)

// WebhookRetrySchedule is the wait before each retry: the n-th failed
// attempt is followed by the n-th wait; after the last, the delivery fails.
var WebhookRetrySchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// WebhookEndpoint is a vendor's receiver of events. Its secret is never
// part of it: it is shown once (NewWebhookEndpoint) and kept sealed.
type WebhookEndpoint struct {
	ID             string   `json:"id"`
	VendorID       string   `json:"vendor_id"`
	URL            string   `json:"url"`
	Description    string   `json:"description"`
	Events         []string `json:"events"`
	Status         string   `json:"status"`
	DisabledReason string   `json:"disabled_reason"`
	// SecretRotationEndsAt: after a rotation, until when the previous
	// secret still signs (a second signature); null otherwise.
	SecretRotationEndsAt *time.Time `json:"secret_rotation_ends_at"`
	// FailingSince: the first failed attempt since the last success.
	FailingSince *time.Time `json:"failing_since"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// NewWebhookEndpoint is an endpoint with its secret, shown at creation and
// at rotation only.
type NewWebhookEndpoint struct {
	*WebhookEndpoint
	Secret string `json:"secret"`
}

// Wants reports whether the endpoint is sent events of type typ: it is
// enabled and names typ, or names "*" and typ is not link.clicked.
func (e *WebhookEndpoint) Wants(typ string) bool {
	if e.Status != WebhookEnabled {
		return false
	}
	return slices.Contains(e.Events, typ) || (typ != EventLinkClicked && slices.Contains(e.Events, WebhookAllEvents))
}

// WebhookEndpointCreate is the body of POST /v1/webhook_endpoints.
type WebhookEndpointCreate struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
}

// Validate normalizes and checks c (the URL's shape; its destination is
// checked by the store's destination rule). EINVALID.
func (c *WebhookEndpointCreate) Validate() error {
	var err error
	if c.URL, err = validateWebhookURL(c.URL); err != nil {
		return err
	}
	if c.Description, err = validateWebhookDescription(c.Description); err != nil {
		return err
	}
	if c.Events == nil {
		c.Events = []string{WebhookAllEvents}
	}
	c.Events, err = validateWebhookEvents(c.Events)
	return err
}

// WebhookEndpointUpdate holds what a PATCH may change; nil is unchanged.
type WebhookEndpointUpdate struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	Events      *[]string `json:"events"`
	Status      *string   `json:"status"`
}

// Apply validates upd and copies it onto e at now. Enabling clears the
// reason and the failing streak; disabling by hand records "manual".
// EINVALID.
func (upd WebhookEndpointUpdate) Apply(e *WebhookEndpoint, now time.Time) error {
	if upd.URL != nil {
		u, err := validateWebhookURL(*upd.URL)
		if err != nil {
			return err
		}
		e.URL = u
	}
	if upd.Description != nil {
		d, err := validateWebhookDescription(*upd.Description)
		if err != nil {
			return err
		}
		e.Description = d
	}
	if upd.Events != nil {
		ev, err := validateWebhookEvents(*upd.Events)
		if err != nil {
			return err
		}
		e.Events = ev
	}
	if upd.Status != nil && *upd.Status != e.Status {
		switch *upd.Status {
		case WebhookEnabled:
			e.Status, e.DisabledReason, e.FailingSince = WebhookEnabled, "", nil
		case WebhookDisabled:
			e.Status, e.DisabledReason = WebhookDisabled, WebhookDisabledManual
		default:
			return Errorf(EINVALID, "status must be enabled or disabled.")
		}
	}
	return nil
}

func validateWebhookURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(EINVALID, "url is required.")
	}
	if len(s) > maxWebhookURLLen {
		return "", Errorf(EINVALID, "url is longer than %d characters.", maxWebhookURLLen)
	}
	if err := ValidateHTTPURL("url", s); err != nil {
		return "", err
	}
	if u, err := url.Parse(s); err != nil || u.User != nil {
		return "", Errorf(EINVALID, "url must not carry a user name or password.")
	}
	return s, nil
}

func validateWebhookDescription(s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxWebhookDescLen {
		return "", Errorf(EINVALID, "description is longer than %d characters.", maxWebhookDescLen)
	}
	return s, nil
}

// validateWebhookEvents checks each type and removes repeats.
func validateWebhookEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, Errorf(EINVALID, "events must name at least one event type, or \"*\".")
	}
	out := make([]string, 0, len(events))
	for _, ev := range events {
		if ev != WebhookAllEvents && !slices.Contains(WebhookEventTypes, ev) {
			return nil, Errorf(EINVALID, "events: %q is not an event type.", Clip(ev, 64))
		}
		if !slices.Contains(out, ev) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// CheckWebhookEndpointCount refuses a vendor's endpoint beyond the limit.
// ECONFLICT.
func CheckWebhookEndpointCount(existing int) error {
	if existing >= maxWebhookEndpoints {
		return Errorf(ECONFLICT, "A program has at most %d webhook endpoints.", maxWebhookEndpoints)
	}
	return nil
}

// WebhookEvent is the envelope every delivery's body is.
type WebhookEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// NewWebhookPayload returns the body of an event: the envelope around data,
// the object as the API shows it. EINTERNAL for an unknown type (a bug).
func NewWebhookPayload(id, typ string, createdAt time.Time, data any) ([]byte, error) {
	if !slices.Contains(WebhookEventTypes, typ) {
		return nil, Errorf(EINTERNAL, "unknown webhook event type %q", typ)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(WebhookEvent{ID: id, Type: typ, CreatedAt: createdAt.UTC(), Data: raw})
}

// Credited reports whether a decision gave the customer a partner: a
// first one, or another one (customer.attributed).
func (d Decision) Credited() bool {
	return d.Outcome == OutcomeAttributed || d.Outcome == OutcomeReattributed
}

// CustomerEvents returns the events a change of a customer sends, in
// order: customer.created for a new one, customer.attributed when it was
// credited to a partner (by a click, a promotion code or by hand).
func CustomerEvents(created, credited bool) []string {
	var out []string
	if created {
		out = append(out, EventCustomerCreated)
	}
	if credited {
		out = append(out, EventCustomerAttributed)
	}
	return out
}

// WebhookAttempt is one try at a delivery.
type WebhookAttempt struct {
	ID              string    `json:"id"`
	AttemptedAt     time.Time `json:"attempted_at"`
	StatusCode      int       `json:"status_code"` // 0: no answer (see error)
	DurationMS      int64     `json:"duration_ms"`
	ResponseExcerpt string    `json:"response_excerpt"`
	Error           string    `json:"error"`
}

// WebhookDelivery is an event on its way to one endpoint, with its attempts
// (oldest first).
type WebhookDelivery struct {
	ID             string           `json:"id"`
	EndpointID     string           `json:"endpoint_id"`
	EventID        string           `json:"event_id"`
	EventType      string           `json:"event_type"`
	Status         string           `json:"status"`
	NextAttemptAt  *time.Time       `json:"next_attempt_at"` // a pending delivery's
	LastStatusCode int              `json:"last_status_code"`
	LastError      string           `json:"last_error"`
	DeliveredAt    *time.Time       `json:"delivered_at"`
	CreatedAt      time.Time        `json:"created_at"`
	Attempts       []WebhookAttempt `json:"attempts"`
}

// WebhookDeliveryFilter narrows an endpoint's deliveries.
type WebhookDeliveryFilter struct {
	Status string
	Page   Page
}

// DeliveryStatuses lists the accepted status filters.
var DeliveryStatuses = []string{DeliveryPending, DeliverySucceeded, DeliveryFailed}

// WebhookService manages a vendor's endpoints and shows their deliveries.
type WebhookService interface {
	// CreateWebhookEndpoint creates an endpoint and returns its secret once;
	// audited. EINVALID (a bad or refused URL, unknown events), ECONFLICT
	// (too many endpoints).
	CreateWebhookEndpoint(ctx context.Context, vendorID, actor string, c WebhookEndpointCreate) (*NewWebhookEndpoint, error)
	// ListWebhookEndpoints lists the vendor's endpoints, newest first.
	ListWebhookEndpoints(ctx context.Context, vendorID string, page Page) ([]*WebhookEndpoint, bool, error)
	// FindWebhookEndpoint returns one endpoint. ENOTFOUND.
	FindWebhookEndpoint(ctx context.Context, vendorID, id string) (*WebhookEndpoint, error)
	// UpdateWebhookEndpoint applies upd, audited. EINVALID, ENOTFOUND.
	UpdateWebhookEndpoint(ctx context.Context, vendorID, actor, id string, upd WebhookEndpointUpdate) (*WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes an endpoint and its deliveries, audited.
	// ENOTFOUND.
	DeleteWebhookEndpoint(ctx context.Context, vendorID, actor, id string) error
	// RotateWebhookSecret gives the endpoint a new secret, returned once;
	// the previous one still signs for WebhookSecretOverlap. Audited.
	// ENOTFOUND.
	RotateWebhookSecret(ctx context.Context, vendorID, actor, id string) (*NewWebhookEndpoint, error)
	// ListWebhookDeliveries lists an endpoint's deliveries, newest first.
	// ENOTFOUND (the endpoint).
	ListWebhookDeliveries(ctx context.Context, vendorID, endpointID string, f WebhookDeliveryFilter) ([]*WebhookDelivery, bool, error)
	// RetryWebhookDelivery makes a delivery due now with a fresh retry
	// schedule, whatever its status; audited. ENOTFOUND.
	RetryWebhookDelivery(ctx context.Context, vendorID, actor, endpointID, deliveryID, reason string) (*WebhookDelivery, error)
	// FindWebhookEvent returns an event as it was sent. ENOTFOUND.
	FindWebhookEvent(ctx context.Context, vendorID, id string) (json.RawMessage, error)
}

// WebhookRetry returns the wait before the next attempt after failed
// failed attempts, with jitter (in [0, 1)) spreading it by ±10% so that
// a receiver's outage does not end in a stampede; ok is false once the
// schedule is spent.
func WebhookRetry(failed int, jitter float64) (wait time.Duration, ok bool) {
	if failed < 1 || failed > len(WebhookRetrySchedule) {
		return 0, false
	}
	base := WebhookRetrySchedule[failed-1]
	return base + time.Duration(float64(base)*webhookRetryJitter*(2*jitter-1)), true
}

// WebhookAnswer is what an attempt got: an HTTP status, or an error (no
// answer: refused address, timeout, connection failure).
type WebhookAnswer struct {
	StatusCode int
	Err        error
}

// Succeeded reports whether the receiver took the event: only a 2xx.
func (a WebhookAnswer) Succeeded() bool {
	return a.Err == nil && a.StatusCode >= 200 && a.StatusCode < 300
}

// WebhookAttemptOutcome is what follows an attempt.
type WebhookAttemptOutcome struct {
	Delivery      string    // DeliverySucceeded, DeliveryPending (retried at NextAttemptAt) or DeliveryFailed
	NextAttemptAt time.Time // when pending
	// FailingSince is the endpoint's failing streak after the attempt (nil
	// after a success).
	FailingSince *time.Time
	// Disable, when set, is why the endpoint is disabled now.
	Disable string
}

// DecideWebhookAttempt decides what an attempt's answer does: a 2xx
// delivers and ends the endpoint's failing streak; a 410 fails the
// delivery and disables the endpoint; any other answer or error is retried
// by WebhookRetry (failed counts the failures before this one), unless the
// endpoint has failed for WebhookFailingLimit, which disables it.
func DecideWebhookAttempt(a WebhookAnswer, failed int, failingSince *time.Time, now time.Time, jitter float64) WebhookAttemptOutcome {
	if a.Succeeded() {
		return WebhookAttemptOutcome{Delivery: DeliverySucceeded}
	}
	since := now
	if failingSince != nil {
		since = *failingSince
	}
	out := WebhookAttemptOutcome{Delivery: DeliveryFailed, FailingSince: &since}
	switch {
	case a.Err == nil && a.StatusCode == 410:
		out.Disable = WebhookDisabledGone
	case now.Sub(since) >= WebhookFailingLimit:
		out.Disable = WebhookDisabledFailing
	default:
		if wait, ok := WebhookRetry(failed+1, jitter); ok {
			out.Delivery, out.NextAttemptAt = DeliveryPending, now.Add(wait)
		}
	}
	return out
}

// WebhookErrorText is an attempt's error as kept and shown: one bounded line.
func WebhookErrorText(err error) string {
	if err == nil {
		return ""
	}
	return Clip(strings.Join(strings.Fields(err.Error()), " "), maxWebhookErrorChars)
}

// WebhookSigningSecrets returns the secrets that sign a delivery at now:
// the current one, and the previous one during its overlap.
func WebhookSigningSecrets(current, previous string, previousUntil *time.Time, now time.Time) []string {
	if previous != "" && previousUntil != nil && now.Before(*previousUntil) {
		return []string{current, previous}
	}
	return []string{current}
}
