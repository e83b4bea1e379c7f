// Package webhooks receives Stripe webhooks: POST /webhooks/stripe/{vendor_id}.
// It verifies each event with the vendor's signing secret, reduces it to a
// domain attribution.PaymentEvent and hands it to the store, which stores
// it once in the transaction of its effect.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/api"
	"github.com/tally-dev/tally/attribution"
)

// MaxBody is the largest event accepted.
const MaxBody = 1 << 20

// Tolerance is how old a signature may be (Stripe's default).
const Tolerance = 300 * time.Second

// Store is what the webhook needs.
type Store interface {
	FindVendorCached(ctx context.Context, id string) (*attribution.Vendor, error)
	attribution.PaymentService
}

// Queue modes: when a verified event is applied while Stripe waits, and when
// it is stored for the background worker (attribution.OutcomeQueued).
const (
	QueueAuto   = "auto"   // inline while fewer than Options.Inline events are being applied; queued beyond
	QueueAlways = "always" // every event queued: the answer costs one insert
	QueueNever  = "never"  // every event applied inline, however long Stripe waits
)

// Options tune the webhook.
type Options struct {
	Queue  string // QueueAuto (default), QueueAlways or QueueNever
	Inline int    // with QueueAuto, events applied inline at once; default 16
}

type handler struct {
	store  Store
	logger *slog.Logger
	queue  string
	inline chan struct{} // one token per event being applied inline
}

// Mount adds POST /webhooks/stripe/:vendor_id to the server.
func Mount(s *api.Server, st Store, logger *slog.Logger, opts Options) {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Queue == "" {
		opts.Queue = QueueAuto
	}
	if opts.Inline <= 0 {
		opts.Inline = 16
	}
	h := &handler{store: st, logger: logger, queue: opts.Queue, inline: make(chan struct{}, opts.Inline)}
	s.Echo.POST("/webhooks/stripe/:vendor_id", h.stripe)
}

// apply applies ev while Stripe waits, or queues it when the instance is
// already applying as many events as it should (a storm, a slow database):
// then the answer costs one insert instead of a dozen statements, Stripe
// is never left waiting into its timeout, and the background worker
// applies the event moments later. Either way it is committed before the 2xx.
func (h *handler) apply(ctx context.Context, v *attribution.Vendor, ev attribution.PaymentEvent) (string, error) {
	switch h.queue {
	case QueueAlways:
		return h.store.QueuePaymentEvent(ctx, v, ev)
	case QueueNever:
		return h.store.ApplyPaymentEvent(ctx, v, ev)
	}
	select {
	case h.inline <- struct{}{}:
		defer func() { <-h.inline }()
		return h.store.ApplyPaymentEvent(ctx, v, ev)
	default:
		return h.store.QueuePaymentEvent(ctx, v, ev)
	}
}

// Answer is the body of a 2xx answer.
type Answer struct {
	Received bool   `json:"received"`
	Outcome  string `json:"outcome"`
}

func (h *handler) stripe(c echo.Context) error {
	ctx := c.Request().Context()
	vendorID := c.Param("vendor_id")
	if !attribution.ValidID(attribution.PrefixVendor, vendorID) {
		return attribution.Errorf(attribution.ENOTFOUND, "Unknown vendor.")
	}
	v, err := h.store.FindVendorCached(ctx, vendorID)
	if attribution.ErrorCode(err) == attribution.ENOTFOUND {
		return attribution.Errorf(attribution.ENOTFOUND, "Unknown vendor.")
	} else if err != nil {
		return unavailable(err)
	}
	if v.StripeWebhookSecret == "" {
		return attribution.Errorf(attribution.EINVALID, "This vendor has no Stripe signing secret: set stripe_webhook_secret with PATCH /v1/vendor.")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > MaxBody {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	} else if err != nil {
		return attribution.Errorf(attribution.EINVALID, "The body could not be read.")
	}
	event, err := webhook.ConstructEventWithOptions(body, c.Request().Header.Get("Stripe-Signature"), v.StripeWebhookSecret,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return attribution.Errorf(attribution.EINVALID, "%s", signatureMessage(err))
	}
	if event.ID == "" || event.Type == "" {
		return attribution.Errorf(attribution.EINVALID, "The event has no id or type.")
	}
	if strings.ContainsRune(event.ID, 0) || strings.ContainsRune(string(event.Type), 0) || strings.ContainsRune(event.APIVersion, 0) {
		return attribution.Errorf(attribution.EINVALID, "The event's id, type or api_version holds a NUL character.")
	}
	if event.Data != nil {
		// The database cannot store a NUL: keep the event, with U+FFFD instead.
		event.Data.Raw = api.ReplaceJSONNUL(event.Data.Raw)
	}
	ev, err := reduce(&event)
	if err != nil {
		return attribution.Errorf(attribution.EINVALID, "The %s event could not be read: %s.", event.Type, err.Error())
	}
	outcome, err := h.apply(ctx, v, ev)
	if err != nil {
		// Stripe retries anything but 2xx; a 5xx says "try again".
		return unavailable(err)
	}
	h.logger.Debug("stripe event", "vendor", v.ID, "event", event.ID, "type", event.Type, "outcome", outcome)
	return c.JSON(http.StatusOK, Answer{Received: true, Outcome: outcome})
}

func unavailable(err error) error {
	if attribution.ErrorCode(err) == attribution.EUNAVAILABLE {
		return err
	}
	return &wrapped{err}
}

// wrapped answers 503 for any store failure, keeping the cause for the log.
type wrapped struct{ cause error }

func (w *wrapped) Error() string { return "webhook store failure: " + w.cause.Error() }
func (w *wrapped) Unwrap() error { return w.cause }
func (w *wrapped) As(target any) bool {
	if t, ok := target.(**attribution.Error); ok {
		*t = &attribution.Error{Code: attribution.EUNAVAILABLE, Message: "The event could not be stored; Stripe will retry."}
		return true
	}
	return false
}

func signatureMessage(err error) string {
	switch {
	case errors.Is(err, webhook.ErrTooOld):
		return "The signature's timestamp is too old (more than 300 s)."
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader):
		return "The Stripe-Signature header is missing or malformed."
	case errors.Is(err, webhook.ErrNoValidSignature):
		return "No valid signature: check the vendor's stripe_webhook_secret."
	}
	return "The event could not be verified or parsed."
}

// maxUnix is 9999-12-31T23:59:59Z: a later time cannot be stored (PostgreSQL
// refuses it), so an event claiming one gets the receipt time instead.
const maxUnix = 253402300799

// reduce turns a verified event into the domain event.
func reduce(e *stripe.Event) (attribution.PaymentEvent, error) {
	ev := attribution.PaymentEvent{ID: e.ID, Type: string(e.Type), APIVersion: e.APIVersion, Livemode: e.Livemode}
	if e.Data == nil || len(e.Data.Raw) == 0 {
		return ev, nil
	}
	created := time.Unix(e.Created, 0).UTC()
	if e.Created <= 0 || e.Created > maxUnix {
		created = time.Now().UTC().Truncate(time.Second)
	}
	raw := e.Data.Raw
	switch e.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		var s checkoutSession
		if err := json.Unmarshal(raw, &s); err != nil {
			return ev, err
		}
		ev.Purchase = fromSession(&s, created)
	case "invoice.paid":
		var in invoice
		if err := json.Unmarshal(raw, &in); err != nil {
			return ev, err
		}
		ev.Purchase = fromInvoice(&in, created)
	case "charge.refunded":
		var ch charge
		if err := json.Unmarshal(raw, &ch); err != nil {
			return ev, err
		}
		if ch.ID != "" {
			ev.Refund = &attribution.PaymentRefund{
				ChargeID: ch.ID, PaymentIntentID: string(ch.PaymentIntent), InvoiceID: string(ch.Invoice),
				ChargeAmount: ch.Amount, Refunded: ch.AmountRefunded,
			}
		}
	case "customer.created", "customer.updated":
		var cu customer
		if err := json.Unmarshal(raw, &cu); err != nil {
			return ev, err
		}
		if cu.ID != "" && !cu.Deleted {
			ev.Customer = &attribution.PaymentCustomer{
				StripeCustomerID: cu.ID, MetadataCustomerID: cu.Metadata.get(metadataKey),
				Email: attribution.NormalizeEmail(cu.Email),
			}
		}
	}
	return ev, nil
}

// fromSession: payment-mode sessions that are paid and not free are
// purchases; subscription-mode sessions only link the customer (their money
// arrives as invoices, so nothing is counted twice); others are ignored.
func fromSession(s *checkoutSession, created time.Time) *attribution.PaymentPurchase {
	email := s.CustomerEmail
	if s.CustomerDetails != nil && s.CustomerDetails.Email != "" {
		email = s.CustomerDetails.Email
	}
	p := &attribution.PaymentPurchase{
		Ref: s.ID, ClientReferenceID: strings.TrimSpace(s.ClientReferenceID),
		MetadataCustomerID: s.Metadata.get(metadataKey), StripeCustomerID: string(s.Customer),
		Email: attribution.NormalizeEmail(email), InvoiceID: string(s.Invoice),
		PaymentIntentID: string(s.PaymentIntent), Amount: s.AmountTotal,
		Currency: strings.ToLower(s.Currency), PurchasedAt: created,
	}
	for _, d := range s.Discounts {
		p.PromotionCodes = appendCode(p.PromotionCodes, d.PromotionCode)
	}
	switch {
	case s.ID == "":
		return nil
	case s.Mode == "subscription", s.Mode == "setup":
		p.LinkOnly = true
		return p
	case s.Mode != "" && s.Mode != "payment", s.PaymentStatus != "paid", s.AmountTotal <= 0, p.Currency == "":
		return nil
	}
	return p
}

// fromInvoice: a paid invoice with a positive amount is a purchase
// (subscriptions, including the first invoice).
func fromInvoice(in *invoice, created time.Time) *attribution.PaymentPurchase {
	if in.ID == "" || in.AmountPaid <= 0 || in.Currency == "" {
		return nil
	}
	at := created
	if in.StatusTransitions != nil && in.StatusTransitions.PaidAt > 0 && in.StatusTransitions.PaidAt <= maxUnix {
		at = time.Unix(in.StatusTransitions.PaidAt, 0).UTC()
	}
	meta := in.Metadata.get(metadataKey)
	if meta == "" && in.SubscriptionDetails != nil {
		meta = in.SubscriptionDetails.Metadata.get(metadataKey)
	}
	if meta == "" && in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		meta = in.Parent.SubscriptionDetails.Metadata.get(metadataKey)
	}
	p := &attribution.PaymentPurchase{
		Ref: in.ID, MetadataCustomerID: meta, StripeCustomerID: string(in.Customer),
		Email: attribution.NormalizeEmail(in.CustomerEmail), InvoiceID: in.ID,
		PaymentIntentID: string(in.PaymentIntent), ChargeID: string(in.Charge),
		Amount: in.AmountPaid, Currency: strings.ToLower(in.Currency), PurchasedAt: at,
	}
	if in.Discount != nil {
		p.PromotionCodes = appendCode(p.PromotionCodes, in.Discount.PromotionCode)
	}
	for _, d := range in.Discounts {
		p.PromotionCodes = appendCode(p.PromotionCodes, d.PromotionCode)
	}
	return p
}

func appendCode(codes []string, p promoRef) []string {
	if p.ID != "" {
		codes = append(codes, p.ID)
	}
	if p.Code != "" {
		codes = append(codes, p.Code)
	}
	return codes
}
