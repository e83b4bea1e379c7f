package attribution

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Purchase sources.
const (
	PurchaseSourceStripe = "stripe"
	PurchaseSourceManual = "manual"
)

// Purchase statuses, from refunds.
const (
	PurchaseSucceeded         = "succeeded"
	PurchasePartiallyRefunded = "partially_refunded"
	PurchaseRefunded          = "refunded"
	PurchaseExcluded          = "excluded" // not a sale: earns nothing, out of every sales figure
)

// Reasons a purchase is excluded from sales (POST /v1/purchases/{id}/exclude
// or metadata.tally_exclude): resold or transferred goods are not a
// purchase of the referred customer.
const (
	ExcludeTransfer = "transfer"
	ExcludeResale   = "resale"
	ExcludeFraud    = "fraud"
	ExcludeTest     = "test"
	ExcludeOther    = "other"
)

// ExclusionReasons lists every exclusion reason.
var ExclusionReasons = []string{ExcludeTransfer, ExcludeResale, ExcludeFraud, ExcludeTest, ExcludeOther}

// ValidExclusionReason reports whether r is one of ExclusionReasons.
func ValidExclusionReason(r string) bool { return slices.Contains(ExclusionReasons, r) }

// Audit actions of exclusions.
const (
	ActionPurchaseExclude = "purchase.exclude"
	ActionPurchaseInclude = "purchase.include"
)

// Exclusion takes a purchase out of sales, with a reason and a note.
type Exclusion struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// Validate normalizes and checks e.
func (e *Exclusion) Validate() error {
	e.Reason = strings.TrimSpace(e.Reason)
	e.Note = strings.TrimSpace(e.Note)
	if !ValidExclusionReason(e.Reason) {
		return Errorf(EINVALID, "reason must be one of %s.", strings.Join(ExclusionReasons, ", "))
	}
	if utf8.RuneCountInString(e.Note) > 1000 {
		return Errorf(EINVALID, "note is longer than 1000 characters.")
	}
	return nil
}

// Reasons a purchase has no partner, besides the customer's own reason.
const (
	ReasonNoCustomer = "no_customer" // no Tally customer matched the Stripe purchase (yet)
	ReasonNoPartner  = "no_partner"  // the customer is not attributed
)

// MaxAmount bounds amounts in minor units (sanity, not policy).
const MaxAmount = 1_000_000_000_000

// Purchase is one paid purchase. CustomerID is "" while a Stripe purchase
// matches no customer; it is kept and attributed when the customer link
// arrives. PartnerID, LinkID, ClickID and AttributedBy copy the customer's
// attribution at the time the purchase was attributed.
type Purchase struct {
	ID                    string    `json:"id" bun:"id,pk"`
	VendorID              string    `json:"vendor_id" bun:"vendor_id"`
	CustomerID            string    `json:"customer_id" bun:"customer_id"`
	PartnerID             string    `json:"partner_id" bun:"partner_id"`
	LinkID                string    `json:"link_id" bun:"link_id"`
	ClickID               string    `json:"click_id" bun:"click_id"`
	AttributedBy          string    `json:"attributed_by" bun:"attributed_by"`
	Reason                string    `json:"reason" bun:"reason"`
	Source                string    `json:"source" bun:"source"`
	Amount                int64     `json:"amount" bun:"amount"`
	Currency              string    `json:"currency" bun:"currency"`
	RefundedAmount        int64     `json:"refunded_amount" bun:"refunded_amount"`
	Status                string    `json:"status" bun:"status"`
	Livemode              bool      `json:"livemode" bun:"livemode"`
	ExcludedReason        string    `json:"excluded_reason" bun:"excluded_reason"`
	ExcludedNote          string    `json:"excluded_note" bun:"excluded_note"`
	Email                 string    `json:"email" bun:"email"`
	StripeRef             string    `json:"stripe_ref" bun:"stripe_ref"`
	StripeCustomerID      string    `json:"stripe_customer_id" bun:"stripe_customer_id"`
	StripeInvoiceID       string    `json:"stripe_invoice_id" bun:"stripe_invoice_id"`
	StripePaymentIntentID string    `json:"stripe_payment_intent_id" bun:"stripe_payment_intent_id"`
	StripeChargeID        string    `json:"stripe_charge_id" bun:"stripe_charge_id"`
	PromotionCode         string    `json:"promotion_code" bun:"promotion_code"`
	Note                  string    `json:"note" bun:"note"`
	PurchasedAt           time.Time `json:"purchased_at" bun:"purchased_at"`
	CreatedAt             time.Time `json:"created_at" bun:"created_at"`
	UpdatedAt             time.Time `json:"updated_at" bun:"updated_at"`
}

// AttributeTo gives the purchase to customer c and, when c is attributed,
// to c's partner.
func (p *Purchase) AttributeTo(c *Customer) {
	p.CustomerID = c.ID
	if p.Email == "" {
		p.Email = c.Email
	}
	if c.Attributed() {
		p.PartnerID, p.LinkID, p.ClickID, p.AttributedBy, p.Reason = c.PartnerID, c.LinkID, c.ClickID, c.AttributedBy, ""
		return
	}
	p.PartnerID, p.LinkID, p.ClickID, p.AttributedBy = "", "", "", ""
	p.Reason = c.Reason
	if p.Reason == "" {
		p.Reason = ReasonNoPartner
	}
}

// SetRefunded records the purchase's cumulative refunded amount (refunds
// only grow: an older event never lowers it) and its status.
func (p *Purchase) SetRefunded(total int64) {
	if total > p.Amount {
		total = p.Amount
	}
	if total > p.RefundedAmount {
		p.RefundedAmount = total
	}
	p.setStatus()
}

// Excluded reports whether the purchase is out of sales.
func (p *Purchase) Excluded() bool { return p.ExcludedReason != "" }

// Exclude takes the purchase out of sales (reason "" includes it again).
func (p *Purchase) Exclude(e Exclusion) {
	p.ExcludedReason, p.ExcludedNote = e.Reason, e.Note
	p.setStatus()
}

// setStatus derives the status from the exclusion and the refunds.
func (p *Purchase) setStatus() {
	switch {
	case p.Excluded():
		p.Status = PurchaseExcluded
	case p.RefundedAmount <= 0:
		p.Status = PurchaseSucceeded
	case p.RefundedAmount >= p.Amount:
		p.Status = PurchaseRefunded
	default:
		p.Status = PurchasePartiallyRefunded
	}
}

// PurchaseDetail is a purchase with its rewards.
type PurchaseDetail struct {
	*Purchase
	Rewards []*Reward `json:"rewards"`
}

// ManualPurchase is a purchase recorded by hand (POST /v1/purchases).
type ManualPurchase struct {
	CustomerID  string     `json:"customer_id"`
	Amount      int64      `json:"amount"`
	Currency    string     `json:"currency"`
	PurchasedAt *time.Time `json:"purchased_at"`
	Reason      string     `json:"reason"`
}

// Validate normalizes and checks m against now.
func (m *ManualPurchase) Validate(now time.Time) error {
	m.Currency = strings.ToLower(strings.TrimSpace(m.Currency))
	if m.CustomerID == "" {
		return Errorf(EINVALID, "customer_id is required.")
	}
	if err := validateAmount(m.Amount); err != nil {
		return err
	}
	if !ValidCurrency(m.Currency) {
		return Errorf(EINVALID, "currency must be an ISO 4217 code such as usd.")
	}
	if m.PurchasedAt != nil {
		t := m.PurchasedAt.UTC().Truncate(time.Microsecond)
		if t.After(now.Add(maxClockSkew)) {
			return Errorf(EINVALID, "purchased_at is in the future.")
		}
		m.PurchasedAt = &t
	}
	return ValidateReason(&m.Reason)
}

func validateAmount(a int64) error {
	if !ValidAmount(a) {
		return Errorf(EINVALID, "amount must be a positive whole number of minor units (cents).")
	}
	return nil
}

// PurchaseFilter narrows a purchase list. Status is a purchase status, or
// "attributed" / "unattributed".
type PurchaseFilter struct {
	CustomerID string
	PartnerID  string
	Status     string
	Reason     string // why an unattributed purchase has no partner
	Page       Page
}

// CustomerCreate is a customer created by hand, attributed to a partner.
type CustomerCreate struct {
	Email      string `json:"email"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	PartnerID  string `json:"partner_id"`
	Reason     string `json:"reason"`
	// StripeCustomerID links the customer to a Stripe customer, so the
	// unmatched purchases of that Stripe customer become its own.
	StripeCustomerID string `json:"stripe_customer_id"`
}

// Validate normalizes and checks c.
func (c *CustomerCreate) Validate() error {
	if err := validateCustomerIdentity(&c.Email, &c.ExternalID, &c.Name); err != nil {
		return err
	}
	if c.PartnerID == "" {
		return Errorf(EINVALID, "partner_id is required.")
	}
	if c.StripeCustomerID = strings.TrimSpace(c.StripeCustomerID); c.StripeCustomerID != "" && !ValidStripeCustomerID(c.StripeCustomerID) {
		return Errorf(EINVALID, "stripe_customer_id must be a Stripe customer id (cus_…).")
	}
	return ValidateReason(&c.Reason)
}

// Reassignment moves a customer to another partner. Future rewards follow;
// existing pending and approved ones only when MoveRewards.
type Reassignment struct {
	PartnerID   string `json:"partner_id"`
	Reason      string `json:"reason"`
	MoveRewards bool   `json:"move_rewards"`
}

// Validate checks r.
func (r *Reassignment) Validate() error {
	if r.PartnerID == "" {
		return Errorf(EINVALID, "partner_id is required.")
	}
	return ValidateReason(&r.Reason)
}

// ReassignResult is a reassigned customer and the rewards that moved.
type ReassignResult struct {
	Customer     *Customer `json:"customer"`
	MovedRewards []string  `json:"moved_rewards"`
}

// PromotionCode is a Stripe promotion code given to a partner: a promo_… id
// or the code customers type (upper-case; Stripe compares codes
// case-insensitively).
type PromotionCode struct {
	ID        string    `json:"id" bun:"id,pk"`
	VendorID  string    `json:"vendor_id" bun:"vendor_id"`
	PartnerID string    `json:"partner_id" bun:"partner_id"`
	Code      string    `json:"code" bun:"code"`
	CreatedAt time.Time `json:"created_at" bun:"created_at"`
}

// NormalizePromotionCode returns the stored form of a promotion code, or
// EINVALID.
func NormalizePromotionCode(code string) (string, error) {
	code = strings.TrimSpace(code)
	if strings.HasPrefix(code, "promo_") {
		if len(code) > 100 {
			return "", Errorf(EINVALID, "code is too long.")
		}
		return code, nil
	}
	if code == "" || len(code) > 100 {
		return "", Errorf(EINVALID, "code must be a Stripe promotion code id (promo_…) or the code customers enter.")
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", Errorf(EINVALID, "code may hold letters, digits, - and _ only.")
		}
	}
	return strings.ToUpper(code), nil
}

// PurchaseService records and reads purchases and their exclusions. Every
// method is scoped to the vendor; another vendor's objects are ENOTFOUND
// and nothing is written. Each change writes its audit entry in its own
// transaction.
type PurchaseService interface {
	// RecordManualPurchase records a purchase by hand and its reward by the
	// rule. EINVALID, ENOTFOUND (customer).
	RecordManualPurchase(ctx context.Context, v *Vendor, actor string, m ManualPurchase) (*PurchaseDetail, error)
	// FindPurchase returns a purchase with its rewards. ENOTFOUND.
	FindPurchase(ctx context.Context, vendorID, id string) (*PurchaseDetail, error)
	// ExcludePurchase takes a purchase out of sales: its reward is reversed
	// (or a negative adjustment added when it was paid). EINVALID, ENOTFOUND.
	ExcludePurchase(ctx context.Context, v *Vendor, actor, id string, e Exclusion) (*PurchaseDetail, error)
	// IncludePurchase undoes ExcludePurchase. EINVALID, ENOTFOUND, ECONFLICT (not excluded).
	IncludePurchase(ctx context.Context, v *Vendor, actor, id, reason string) (*PurchaseDetail, error)
	// ListPurchases lists purchases newest first.
	ListPurchases(ctx context.Context, vendorID string, f PurchaseFilter) ([]*Purchase, bool, error)
}

// PurchaseExportRow is one line of GET /v1/purchases.csv. UTM fields come
// from the attributing click row when it exists.
type PurchaseExportRow struct {
	PurchaseID         string    `bun:"purchase_id"`
	PurchasedAt        time.Time `bun:"purchased_at"`
	Source             string    `bun:"source"`
	CustomerID         string    `bun:"customer_id"`
	CustomerExternalID string    `bun:"customer_external_id"`
	CustomerEmail      string    `bun:"customer_email"`
	PartnerID          string    `bun:"partner_id"`
	PartnerName        string    `bun:"partner_name"`
	LinkKey            string    `bun:"link_key"`
	UTMSource          string    `bun:"utm_source"`
	UTMMedium          string    `bun:"utm_medium"`
	UTMCampaign        string    `bun:"utm_campaign"`
	Amount             int64     `bun:"amount"`
	Currency           string    `bun:"currency"`
	RefundedAmount     int64     `bun:"refunded_amount"`
	Status             string    `bun:"status"`
	RewardID           string    `bun:"reward_id"`
	RewardAmount       int64     `bun:"reward_amount"`
	RewardCurrency     string    `bun:"reward_currency"`
	RewardStatus       string    `bun:"reward_status"`
	AttributedBy       string    `bun:"attributed_by"`
	Reason             string    `bun:"reason"`
	PromotionCode      string    `bun:"promotion_code"`
}

// RewardExportRow is one line of GET /v1/rewards.csv, for payouts.
type RewardExportRow struct {
	RewardID     string     `bun:"reward_id"`
	CreatedAt    time.Time  `bun:"created_at"`
	PartnerID    string     `bun:"partner_id"`
	PartnerName  string     `bun:"partner_name"`
	PartnerEmail string     `bun:"partner_email"`
	Kind         string     `bun:"kind"`
	Status       string     `bun:"status"`
	Amount       int64      `bun:"amount"`
	Currency     string     `bun:"currency"`
	PurchaseID   string     `bun:"purchase_id"`
	CustomerID   string     `bun:"customer_id"`
	Reason       string     `bun:"reason"`
	ApprovedAt   *time.Time `bun:"approved_at"`
	PaidAt       *time.Time `bun:"paid_at"`
}

// ExportFilter bounds an export: [Start, End) on the purchase time (or the
// reward's creation time); zero times are open ends.
type ExportFilter struct {
	Start, End time.Time
	PartnerID  string
	Status     string
}

// ExportService streams exports row by row from a database cursor; fn's
// error stops the export.
type ExportService interface {
	ExportPurchases(ctx context.Context, vendorID string, f ExportFilter, fn func(*PurchaseExportRow) error) error
	ExportRewards(ctx context.Context, vendorID string, f ExportFilter, fn func(*RewardExportRow) error) error
}

// Outcomes of a payment event, stored with it.
const (
	OutcomeDuplicate         = "duplicate"
	OutcomeIgnored           = "ignored"
	OutcomePurchase          = "purchase"
	OutcomePurchaseUnmatched = "purchase_unmatched"
	OutcomePurchaseKnown     = "purchase_known" // the session's invoice or the invoice's session, counted once
	OutcomeRefund            = "refund"
	OutcomeOrphanRefund      = "orphan_refund" // its purchase has not arrived yet
	OutcomeCustomerLinked    = "customer_linked"
	OutcomeCustomerUnmatched = "customer_unmatched"
	OutcomePaymentLinked     = "payment_linked"      // an invoice's payment intent and charge recorded on its purchase
	OutcomePaymentUnlinked   = "payment_unlinked"    // its invoice's purchase has not arrived yet: kept, applied when it does
	OutcomeCurrencyMismatch  = "currency_mismatch"   // a refund in another currency than its purchase: not applied
	OutcomeAmountOutOfRange  = "amount_out_of_range" // an amount Tally does not accept: stored, nothing counted
	// OutcomeQueued: stored and acknowledged while the instance was busy;
	// the background worker applies it moments later, with one of the
	// outcomes above.
	OutcomeQueued = "queued"
)

// PaymentEvent is a verified payment-provider (Stripe) event, reduced to
// what Tally needs; the webhooks package builds it, so provider types never
// reach the domain. At most one of Purchase, Refund, Customer, Payment is
// set; none means the event is stored and ignored. The JSON names are the
// webhook queue's stored form: renaming a Go field must not change them.
type PaymentEvent struct {
	ID         string           `json:"id"`
	Type       string           `json:"type"`
	APIVersion string           `json:"api_version"`
	Livemode   bool             `json:"livemode"`
	Purchase   *PaymentPurchase `json:"purchase,omitempty"`
	Refund     *PaymentRefund   `json:"refund,omitempty"`
	Customer   *PaymentCustomer `json:"customer,omitempty"`
	Payment    *PaymentLink     `json:"payment,omitempty"`
}

// PaymentPurchase is a paid checkout session or invoice. LinkOnly (a
// subscription-mode session, whose money arrives as invoices) links the
// customer and records no purchase. Token is client_reference_id verified
// as a click token before the event reaches the store (nil when it is not
// one: then it is the vendor's external id for the customer).
type PaymentPurchase struct {
	Ref                string      `json:"ref"` // cs_… or in_…: one purchase per object
	LinkOnly           bool        `json:"link_only,omitempty"`
	ClientReferenceID  string      `json:"client_reference_id,omitempty"`
	Token              *TokenCheck `json:"token,omitempty"`
	MetadataCustomerID string      `json:"metadata_customer_id,omitempty"`
	StripeCustomerID   string      `json:"stripe_customer_id,omitempty"`
	Email              string      `json:"email,omitempty"`
	PromotionCodes     []string    `json:"promotion_codes,omitempty"`
	InvoiceID          string      `json:"invoice_id,omitempty"`
	PaymentIntentID    string      `json:"payment_intent_id,omitempty"`
	ChargeID           string      `json:"charge_id,omitempty"`
	Amount             int64       `json:"amount"`
	Currency           string      `json:"currency"`
	Exclude            string      `json:"exclude,omitempty"` // metadata.tally_exclude, a valid exclusion reason
	PurchasedAt        time.Time   `json:"purchased_at"`
}

// PaymentRefund is a refund of a charge: the charge's cumulative refunded
// amount (charge.refunded), or one refund object (refund.created,
// refund.updated; RefundID set), which the store adds up per charge.
type PaymentRefund struct {
	ChargeID        string `json:"charge_id,omitempty"`
	PaymentIntentID string `json:"payment_intent_id,omitempty"`
	InvoiceID       string `json:"invoice_id,omitempty"`
	ChargeAmount    int64  `json:"charge_amount,omitempty"`
	Refunded        int64  `json:"refunded"`
	Currency        string `json:"currency,omitempty"`
	RefundID        string `json:"refund_id,omitempty"`
	RefundStatus    string `json:"refund_status,omitempty"`
}

// RefundCounts reports whether a refund object's status takes money back
// (pending refunds count, as in a charge's amount_refunded; failed and
// canceled ones do not).
func RefundCounts(status string) bool {
	return status == "succeeded" || status == "pending" || status == ""
}

// PaymentLink ties an invoice to the payment intent and charge that paid
// it (from API version 2025-03-31 an invoice no longer names them:
// invoice_payment.paid does), so that refunds find the purchase.
type PaymentLink struct {
	InvoiceID       string `json:"invoice_id"`
	PaymentIntentID string `json:"payment_intent_id,omitempty"`
	ChargeID        string `json:"charge_id,omitempty"`
}

// PaymentCustomer is a provider customer to link to a Tally customer.
type PaymentCustomer struct {
	StripeCustomerID   string `json:"stripe_customer_id"`
	MetadataCustomerID string `json:"metadata_customer_id,omitempty"`
	Email              string `json:"email,omitempty"`
}

// PaymentService applies verified payment events: each is stored once by
// its id in the transaction of its effect; a redelivery changes nothing
// and answers OutcomeDuplicate. EUNAVAILABLE when the database fails.
type PaymentService interface {
	ApplyPaymentEvent(ctx context.Context, v *Vendor, ev PaymentEvent) (string, error)
	// QueuePaymentEvent stores ev to be applied later (OutcomeQueued), or
	// answers OutcomeDuplicate for an event already stored.
	QueuePaymentEvent(ctx context.Context, v *Vendor, ev PaymentEvent) (string, error)
}
