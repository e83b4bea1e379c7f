// Package webhooks receives Stripe webhooks: POST /webhooks/stripe/{vendor_id}.
// It verifies each event with the vendor's signing secret, reduces it to a
// domain attribution.PaymentEvent and hands it to the store, which stores
// it once in the transaction of its effect.
package webhooks

import (
	"cmp"
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

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
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
	Queue  string                  // QueueAuto (default), QueueAlways or QueueNever
	Inline int                     // with QueueAuto, events applied inline at once; default 16
	Tokens *attribution.TokenCodec // verifies click tokens in client_reference_id
}

type handler struct {
	store  Store
	logger *slog.Logger
	queue  string
	inline chan struct{} // one token per event being applied inline
	tokens *attribution.TokenCodec
}

// NewStripeHandler builds the handler of POST /webhooks/stripe/{vendor_id}:
// events are verified with each vendor's signing secret, tokens with
// opts.Tokens, and stored through st.
func NewStripeHandler(st Store, logger *slog.Logger, opts Options) echo.HandlerFunc {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Queue == "" {
		opts.Queue = QueueAuto
	}
	if opts.Inline <= 0 {
		opts.Inline = 16
	}
	h := &handler{store: st, logger: logger, queue: opts.Queue, inline: make(chan struct{}, opts.Inline), tokens: opts.Tokens}
	return h.stripe
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
	if httpx.BodyTooLarge(err) || len(body) > MaxBody {
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
		event.Data.Raw = httpx.ReplaceJSONNUL(event.Data.Raw)
	}
	ev, err := reduce(&event)
	if err != nil {
		return attribution.Errorf(attribution.EINVALID, "The %s event could not be read: %s.", event.Type, err.Error())
	}
	VerifyToken(h.tokens, v, &ev)
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

// VerifyToken checks, before the event reaches the store, whether a
// purchase's client_reference_id is a click token of this deployment (at
// the time of the purchase); the store never holds the codec.
func VerifyToken(codec *attribution.TokenCodec, v *attribution.Vendor, ev *attribution.PaymentEvent) {
	if p := ev.Purchase; p != nil && p.ClientReferenceID != "" && p.Token == nil {
		p.Token = attribution.PaymentToken(attribution.CheckToken(codec, p.ClientReferenceID, v.ID, v.Window(), p.PurchasedAt))
	}
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
				ChargeAmount: ch.Amount, Refunded: ch.AmountRefunded, Currency: strings.ToLower(ch.Currency),
			}
		}
	case "refund.created", "refund.updated", "charge.refund.updated":
		var rf refund
		if err := json.Unmarshal(raw, &rf); err != nil {
			return ev, err
		}
		if rf.ID != "" && (rf.Charge != "" || rf.PaymentIntent != "") {
			ev.Refund = &attribution.PaymentRefund{
				RefundID: rf.ID, RefundStatus: rf.Status, ChargeID: string(rf.Charge),
				PaymentIntentID: string(rf.PaymentIntent), Refunded: rf.Amount, Currency: strings.ToLower(rf.Currency),
			}
		}
	case "invoice_payment.paid":
		var ip invoicePayment
		if err := json.Unmarshal(raw, &ip); err != nil {
			return ev, err
		}
		ev.Payment = paymentLink(ip)
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
	p.PromotionCodes = appendCodes(p.PromotionCodes, s.Discounts...)
	p.Exclude = excludeReason(s.Metadata)
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
	// The subscription's metadata: on the invoice before basil, under
	// parent.subscription_details from basil on.
	metas := []metadata{in.Metadata}
	if in.SubscriptionDetails != nil {
		metas = append(metas, in.SubscriptionDetails.Metadata)
	}
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		metas = append(metas, in.Parent.SubscriptionDetails.Metadata)
	}
	p := &attribution.PaymentPurchase{
		Ref: in.ID, StripeCustomerID: string(in.Customer),
		Email: attribution.NormalizeEmail(in.CustomerEmail), InvoiceID: in.ID,
		PaymentIntentID: string(in.PaymentIntent), ChargeID: string(in.Charge),
		Amount: in.AmountPaid, Currency: strings.ToLower(in.Currency), PurchasedAt: at,
	}
	for _, m := range metas {
		if p.MetadataCustomerID == "" {
			p.MetadataCustomerID = m.get(metadataKey)
		}
		if p.Exclude == "" {
			p.Exclude = excludeReason(m)
		}
	}
	if in.Payments != nil {
		// From basil on, the invoice names its payments here (when the
		// payload includes them), not in charge or payment_intent.
		for _, ip := range in.Payments.Data {
			if l := paymentLink(ip); l != nil && (ip.Status == "" || ip.Status == "paid") {
				p.PaymentIntentID = cmp.Or(p.PaymentIntentID, l.PaymentIntentID)
				p.ChargeID = cmp.Or(p.ChargeID, l.ChargeID)
			}
		}
	}
	if in.Discount != nil {
		p.PromotionCodes = appendCodes(p.PromotionCodes, *in.Discount)
	}
	p.PromotionCodes = appendCodes(p.PromotionCodes, in.Discounts...)
	return p
}

// paymentLink reads which payment intent or charge paid an invoice.
func paymentLink(ip invoicePayment) *attribution.PaymentLink {
	l := &attribution.PaymentLink{
		InvoiceID: string(ip.Invoice), PaymentIntentID: string(ip.Payment.PaymentIntent), ChargeID: string(ip.Payment.Charge),
	}
	if l.PaymentIntentID == "" && l.ChargeID == "" {
		return nil
	}
	return l
}

// appendCodes adds the discounts' promotion codes (id and text) and then
// their coupons, which a vendor may also have given a partner.
func appendCodes(codes []string, ds ...discount) []string {
	for _, d := range ds {
		for _, c := range []string{d.PromotionCode.ID, d.PromotionCode.Code} {
			if c != "" {
				codes = append(codes, c)
			}
		}
	}
	for _, d := range ds {
		if d.Coupon != "" {
			codes = append(codes, d.Coupon)
		}
	}
	return codes
}

// excludeReason reads metadata.tally_exclude: a valid exclusion reason, or "".
func excludeReason(m metadata) string {
	r := strings.ToLower(m.get(excludeKey))
	if !attribution.ValidExclusionReason(r) {
		return ""
	}
	return r
}
