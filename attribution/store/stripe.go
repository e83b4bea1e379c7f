package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Payments applies Stripe's payment events, inline or through the webhook
// queue (stripequeue.go).
type Payments struct {
	core
	vendors *Vendors      // the queue's worker reads each event's vendor
	queued  chan struct{} // wakes the queue's worker; see stripequeue.go
	// verifyLegacy verifies the token of an event queued unverified by an
	// older version; see stripepayload.go.
	verifyLegacy func(*attribution.Vendor, *attribution.PaymentEvent)
	// maxAttempts and observe: see stripequeue.go.
	maxAttempts int
	observe     EventObserver
}

var _ attribution.PaymentService = (*Payments)(nil)

// stripeEvent is a stored Stripe event. A refund whose purchase has not
// arrived keeps its keys, and is applied when the purchase arrives.
type stripeEvent struct {
	bun.BaseModel `bun:"table:stripe_events"`

	VendorID              string    `bun:"vendor_id,pk"`
	ID                    string    `bun:"id,pk"`
	Type                  string    `bun:"type"`
	APIVersion            string    `bun:"api_version"`
	Livemode              bool      `bun:"livemode"`
	Outcome               string    `bun:"outcome"`
	StripeChargeID        string    `bun:"stripe_charge_id"`
	StripePaymentIntentID string    `bun:"stripe_payment_intent_id"`
	StripeInvoiceID       string    `bun:"stripe_invoice_id"`
	RefundedAmount        int64     `bun:"refunded_amount"`
	Currency              string    `bun:"currency"` // an orphan refund's currency
	Payload               string    `bun:"payload"`  // a queued event's PaymentEvent (JSON); empty once applied
	ReceivedAt            time.Time `bun:"received_at"`
	// The queue's failed tries (stripequeue.go).
	Attempts      int        `bun:"attempts"`
	LastError     string     `bun:"last_error"`
	NextAttemptAt *time.Time `bun:"next_attempt_at"`
}

func newStripeEvent(vendorID string, ev attribution.PaymentEvent, now time.Time) *stripeEvent {
	return &stripeEvent{VendorID: vendorID, ID: ev.ID, Type: ev.Type, APIVersion: ev.APIVersion, Livemode: ev.Livemode, ReceivedAt: now}
}

// ApplyPaymentEvent stores the event once and applies it, in one transaction.
func (s *Payments) ApplyPaymentEvent(ctx context.Context, v *attribution.Vendor, ev attribution.PaymentEvent) (string, error) {
	// A racing signup or event may create the same customer or purchase.
	outcome, err := retryConflicts(4, func() (string, error) { return s.applyPaymentEvent(ctx, v, ev) })
	if err == nil {
		s.observed(ev.Type, outcome)
	}
	return outcome, err
}

// retryConflicts runs fn, up to tries times, while it fails with ECONFLICT:
// a racing transaction inserted the same row, and the next run finds it.
func retryConflicts[T any](tries int, fn func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		out, err := fn()
		if attribution.ErrorCode(err) != attribution.ECONFLICT || attempt >= tries {
			return out, err
		}
	}
}

func (s *Payments) applyPaymentEvent(ctx context.Context, v *attribution.Vendor, ev attribution.PaymentEvent) (string, error) {
	now := s.now()
	var outcome string
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := newStripeEvent(v.ID, ev, now)
		res, err := tx.NewInsert().Model(row).On("CONFLICT DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			outcome = attribution.OutcomeDuplicate
			return nil
		}
		outcome, err = s.applyEffects(ctx, tx, v, ev, row, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return outcome, nil
}

// applyEffects applies a stored event inside its transaction and records
// the outcome on its row.
func (s *Payments) applyEffects(ctx context.Context, tx bun.Tx, v *attribution.Vendor, ev attribution.PaymentEvent, row *stripeEvent, now time.Time) (string, error) {
	if err := s.lockStripeCustomer(ctx, tx, v.ID, ev); err != nil {
		return "", err
	}
	var outcome string
	var err error
	switch {
	case ev.Purchase != nil:
		outcome, err = stripePurchase(ctx, tx, v, ev.Purchase, ev.Livemode, now)
	case ev.Refund != nil:
		outcome, err = applyRefund(ctx, tx, v, ev.Refund, row, now)
	case ev.Customer != nil:
		outcome, err = stripeCustomer(ctx, tx, v, ev.Customer, now)
	case ev.Payment != nil:
		outcome, err = stripePaymentLink(ctx, tx, v, ev.Payment, row, now)
	default:
		outcome = attribution.OutcomeIgnored
	}
	if err != nil {
		return "", err
	}
	row.Outcome = outcome
	_, err = tx.NewUpdate().Model(row).WherePK().Exec(ctx)
	return outcome, err
}

// lockStripeCustomer serializes, on PostgreSQL, the events of one Stripe
// customer: an invoice.paid and the customer.created that links its customer,
// applied at the same moment, would otherwise each miss the other's
// uncommitted rows and leave the purchase unattributed (found by the webhook
// storm of issue 6). The lock is held until the transaction ends; each event
// takes at most one, so they cannot deadlock on each other.
func (s *Payments) lockStripeCustomer(ctx context.Context, tx bun.Tx, vendorID string, ev attribution.PaymentEvent) error {
	var cus string
	switch {
	case ev.Purchase != nil:
		cus = ev.Purchase.StripeCustomerID
	case ev.Customer != nil:
		cus = ev.Customer.StripeCustomerID
	}
	if cus == "" {
		return nil
	}
	return s.dialect.xactLockName(ctx, tx, "stripe_customer:"+vendorID+":"+cus)
}

// stripePurchase records a paid checkout session or invoice.
func stripePurchase(ctx context.Context, tx bun.Tx, v *attribution.Vendor, pp *attribution.PaymentPurchase, livemode bool, now time.Time) (string, error) {
	if !pp.LinkOnly && !attribution.ValidAmount(pp.Amount) {
		return attribution.OutcomeAmountOutOfRange, nil
	}
	c, tokenReason, err := matchCustomer(ctx, tx, v, pp, now)
	if err != nil {
		return "", err
	}
	if c != nil && pp.StripeCustomerID != "" {
		if err := linkStripeCustomer(ctx, tx, v, c, pp.StripeCustomerID, now); err != nil {
			return "", err
		}
	}
	if pp.LinkOnly {
		if c == nil {
			return attribution.OutcomeCustomerUnmatched, nil
		}
		return attribution.OutcomeCustomerLinked, nil
	}
	if p, err := findKnownPurchase(ctx, tx, v.ID, pp); err != nil {
		return "", err
	} else if p != nil {
		// The same money seen again (a payment-mode session with its invoice):
		// complete the ids, attribute it if it was not, count it once.
		fillIDs(p, pp)
		if p.CustomerID == "" && c != nil {
			if err := attributePurchase(ctx, tx, v, p, c, nil, now); err != nil {
				return "", err
			}
		} else {
			p.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
				return "", err
			}
		}
		if err := applyPendingPayments(ctx, tx, v, p, now); err != nil {
			return "", err
		}
		return attribution.OutcomePurchaseKnown, nil
	}
	p := &attribution.Purchase{
		ID: attribution.NewID(attribution.PrefixPurchase, now), VendorID: v.ID,
		Source: attribution.PurchaseSourceStripe, Amount: pp.Amount, Currency: pp.Currency,
		Status: attribution.PurchaseSucceeded, Livemode: livemode, Email: pp.Email, StripeRef: pp.Ref,
		StripeCustomerID: pp.StripeCustomerID, PurchasedAt: pp.PurchasedAt, CreatedAt: now, UpdatedAt: now,
	}
	fillIDs(p, pp)
	if pp.Exclude != "" {
		p.Exclude(attribution.Exclusion{Reason: pp.Exclude, Note: "metadata.tally_exclude"})
	}
	if c != nil {
		p.AttributeTo(c)
	} else {
		p.Reason = tokenReason
		if p.Reason == "" || p.Reason == attribution.ReasonNoToken {
			p.Reason = attribution.ReasonNoCustomer
		}
	}
	var partner *attribution.Partner // the code's partner, when one credits
	if attribution.CodeCredits(p) && len(pp.PromotionCodes) > 0 {
		var code string
		partner, code, err = partnerByCodes(ctx, tx, v.ID, pp.PromotionCodes)
		if err != nil {
			return "", err
		}
		if partner != nil {
			if c, err = attributeByCode(ctx, tx, v, c, partner, pp, now); err != nil {
				return "", err
			}
			p.PromotionCode = code
			if c != nil {
				p.AttributeTo(c)
			} else {
				p.PartnerID, p.AttributedBy, p.Reason = partner.ID, attribution.AttributedByCode, ""
			}
		}
	}
	if p.PromotionCode == "" && len(pp.PromotionCodes) > 0 {
		p.PromotionCode = pp.PromotionCodes[0]
	}
	if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
		return "", err
	}
	if err := emitPurchaseCreated(ctx, tx, p, now); err != nil {
		return "", err
	}
	if _, err := rewardPurchase(ctx, tx, v, p, c, partner, now); err != nil {
		return "", err
	}
	if err := applyPendingPayments(ctx, tx, v, p, now); err != nil {
		return "", err
	}
	if p.CustomerID == "" && p.PartnerID == "" {
		return attribution.OutcomePurchaseUnmatched, nil
	}
	return attribution.OutcomePurchase, nil
}

// applyPendingPayments completes a purchase with the payment intent and
// charge of its invoice from invoice_payment events that came first, then
// applies the refunds that were waiting for it.
func applyPendingPayments(ctx context.Context, db bun.IDB, v *attribution.Vendor, p *attribution.Purchase, now time.Time) error {
	if p.StripeInvoiceID != "" {
		var links []*stripeEvent
		err := db.NewSelect().Model(&links).
			Where("vendor_id = ? AND outcome = ? AND stripe_invoice_id = ?", v.ID, attribution.OutcomePaymentUnlinked, p.StripeInvoiceID).
			OrderExpr("received_at ASC").Scan(ctx)
		if err != nil {
			return err
		}
		if len(links) > 0 {
			ids := make([]string, 0, len(links))
			for _, l := range links {
				fillPaymentIDs(p, l.StripePaymentIntentID, l.StripeChargeID)
				ids = append(ids, l.ID)
			}
			p.UpdatedAt = now
			if _, err := db.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
				return err
			}
			if _, err := db.NewUpdate().Model((*stripeEvent)(nil)).Set("outcome = ?", attribution.OutcomePaymentLinked).
				Where("vendor_id = ? AND id IN (?)", v.ID, bun.List(ids)).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return applyOrphanRefunds(ctx, db, p, now)
}

// stripePaymentLink records on an invoice's purchase the payment intent and
// charge that paid it (invoice_payment.paid), so its refunds find it; when
// the purchase has not arrived, the event keeps the ids for it.
func stripePaymentLink(ctx context.Context, db bun.IDB, v *attribution.Vendor, pl *attribution.PaymentLink, row *stripeEvent, now time.Time) (string, error) {
	if pl.InvoiceID == "" || (pl.PaymentIntentID == "" && pl.ChargeID == "") {
		return attribution.OutcomeIgnored, nil
	}
	p, err := purchaseByKeys(ctx, db, v.ID, [][2]string{{"stripe_invoice_id", pl.InvoiceID}})
	if err != nil {
		return "", err
	}
	if p == nil {
		row.StripeInvoiceID, row.StripePaymentIntentID, row.StripeChargeID = pl.InvoiceID, pl.PaymentIntentID, pl.ChargeID
		return attribution.OutcomePaymentUnlinked, nil
	}
	fillPaymentIDs(p, pl.PaymentIntentID, pl.ChargeID)
	p.UpdatedAt = now
	if _, err := db.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
		return "", err
	}
	if err := applyOrphanRefunds(ctx, db, p, now); err != nil {
		return "", err
	}
	return attribution.OutcomePaymentLinked, nil
}

func fillPaymentIDs(p *attribution.Purchase, paymentIntentID, chargeID string) {
	if p.StripePaymentIntentID == "" {
		p.StripePaymentIntentID = paymentIntentID
	}
	if p.StripeChargeID == "" {
		p.StripeChargeID = chargeID
	}
}

func fillIDs(p *attribution.Purchase, pp *attribution.PaymentPurchase) {
	if p.StripeInvoiceID == "" {
		p.StripeInvoiceID = pp.InvoiceID
	}
	fillPaymentIDs(p, pp.PaymentIntentID, pp.ChargeID)
	if p.StripeCustomerID == "" {
		p.StripeCustomerID = pp.StripeCustomerID
	}
	if p.Email == "" {
		p.Email = pp.Email
	}
}

// findKnownPurchase finds the purchase of the same object, or of the same
// payment (a payment-mode session and the invoice it created).
func findKnownPurchase(ctx context.Context, db bun.IDB, vendorID string, pp *attribution.PaymentPurchase) (*attribution.Purchase, error) {
	return purchaseByKeys(ctx, db, vendorID, [][2]string{
		{"stripe_ref", pp.Ref}, {"stripe_invoice_id", pp.InvoiceID}, {"stripe_payment_intent_id", pp.PaymentIntentID},
	})
}

// purchaseByKeys finds, in one query, the vendor's purchase matching the
// first of keys (column, value; empty values are skipped) that one
// matches, or nil.
func purchaseByKeys(ctx context.Context, db bun.IDB, vendorID string, keys [][2]string) (*attribution.Purchase, error) {
	var conds []string
	var args, rankArgs []any
	rank := "CASE"
	for i, k := range keys {
		if k[1] == "" {
			continue
		}
		conds = append(conds, "? = ?")
		args = append(args, bun.Ident(k[0]), k[1])
		rank += " WHEN ? = ? THEN ?"
		rankArgs = append(rankArgs, bun.Ident(k[0]), k[1], i)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	p := new(attribution.Purchase)
	err := db.NewSelect().Model(p).
		Where("vendor_id = ?", vendorID).
		Where("("+strings.Join(conds, " OR ")+")", args...).
		OrderExpr(rank+" END", rankArgs...).
		Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return p, nil
}

// matchCustomer finds the purchase's customer by the keys of
// attribution.PurchaseMatchOrder. A valid click token in
// client_reference_id also attributes by last click, and with no customer
// creates one. It returns the token's reason when the token attributed
// nothing.
func matchCustomer(ctx context.Context, db bun.IDB, v *attribution.Vendor, pp *attribution.PaymentPurchase, now time.Time) (*attribution.Customer, string, error) {
	c, err := customerByKeys(ctx, db, v.ID, attribution.PurchaseMatchOrder(pp))
	if err != nil || pp.Token == nil {
		return c, "", err
	}
	winner, reason, partnerEmail, err := lastClick(ctx, db, v.ID, []attribution.TokenCheck{*pp.Token})
	if err != nil {
		return nil, "", err
	}
	created := false
	if c == nil {
		if winner == nil {
			return nil, reason, nil
		}
		c = attribution.NewCustomer(v.ID, "", pp.Email, "", now)
		created = true
	}
	d := attribution.Decide(c, winner, reason, partnerEmail, now)
	c.UpdatedAt = now
	if err := saveCustomer(ctx, db, c, created); err != nil {
		return nil, "", err
	}
	if err := emitCustomer(ctx, db, c, created, d.Credited(), now); err != nil {
		return nil, "", err
	}
	return c, reason, nil
}

// customerByKeys finds the customer of the first key that finds one.
func customerByKeys(ctx context.Context, db bun.IDB, vendorID string, keys []attribution.CustomerKey) (*attribution.Customer, error) {
	for _, k := range keys {
		var c *attribution.Customer
		var err error
		switch k.By {
		case attribution.MatchTallyID:
			c, err = customerByTallyID(ctx, db, vendorID, k.Value)
		case attribution.MatchEmail:
			c, err = customerByEmail(ctx, db, vendorID, k.Value)
		default:
			c, err = customerBy(ctx, db, vendorID, k.By, k.Value)
		}
		if err != nil || c != nil {
			return c, err
		}
	}
	return nil, nil
}

// attributeByCode credits a promotion code's partner: the matched but
// unattributed customer, or a new customer for the purchase (so the
// customer's later purchases follow). Without an email or Stripe customer
// there is no one to create, and nil is returned.
func attributeByCode(ctx context.Context, db bun.IDB, v *attribution.Vendor, c *attribution.Customer, partner *attribution.Partner, pp *attribution.PaymentPurchase, now time.Time) (*attribution.Customer, error) {
	created := false
	if c == nil {
		if pp.Email == "" && pp.StripeCustomerID == "" {
			return nil, nil
		}
		c = attribution.NewCustomer(v.ID, "", pp.Email, "", now)
		c.StripeCustomerID = pp.StripeCustomerID
		created = true
	}
	attribution.CreditPartner(c, partner, attribution.AttributedByCode, now)
	if err := saveCustomer(ctx, db, c, created); err != nil {
		return nil, err
	}
	return c, emitCustomer(ctx, db, c, created, true, now)
}

// linkStripeCustomer records c's Stripe customer id (the first one stays)
// and gives c the unmatched purchases of that Stripe customer.
func linkStripeCustomer(ctx context.Context, db bun.IDB, v *attribution.Vendor, c *attribution.Customer, stripeID string, now time.Time) error {
	if c.StripeCustomerID == "" {
		c.StripeCustomerID, c.UpdatedAt = stripeID, now
		if _, err := db.NewUpdate().Model(c).Column("stripe_customer_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
	}
	return attachOrphans(ctx, db, v, c, nil, stripeID, now)
}

// stripeCustomer links a Stripe customer to a Tally customer by
// metadata.tally_customer_id or email, then attributes the purchases of
// that Stripe customer that arrived first.
func stripeCustomer(ctx context.Context, db bun.IDB, v *attribution.Vendor, pc *attribution.PaymentCustomer, now time.Time) (string, error) {
	if pc.StripeCustomerID == "" {
		return attribution.OutcomeIgnored, nil
	}
	c, err := customerByKeys(ctx, db, v.ID, attribution.CustomerLinkOrder(pc))
	if err != nil {
		return "", err
	}
	if c == nil {
		return attribution.OutcomeCustomerUnmatched, nil
	}
	if err := linkStripeCustomer(ctx, db, v, c, pc.StripeCustomerID, now); err != nil {
		return "", err
	}
	return attribution.OutcomeCustomerLinked, nil
}

// applyRefund records a charge's cumulative refund on its purchase and
// settles the reward; a refund whose purchase has not arrived (or is not
// yet linked to its payment) is kept on the event row for later. A refund
// object (refund.created, refund.updated) is added to the charge's other
// refunds first.
func applyRefund(ctx context.Context, db bun.IDB, v *attribution.Vendor, r *attribution.PaymentRefund, row *stripeEvent, now time.Time) (string, error) {
	refunded := r.Refunded
	if r.RefundID != "" {
		total, err := recordRefund(ctx, db, v.ID, r, now)
		if err != nil {
			return "", err
		}
		refunded = total
	}
	p, err := purchaseByKeys(ctx, db, v.ID, [][2]string{
		{"stripe_charge_id", r.ChargeID}, {"stripe_payment_intent_id", r.PaymentIntentID}, {"stripe_invoice_id", r.InvoiceID},
	})
	if err != nil {
		return "", err
	}
	if p == nil {
		row.StripeChargeID, row.StripePaymentIntentID, row.StripeInvoiceID = r.ChargeID, r.PaymentIntentID, r.InvoiceID
		row.RefundedAmount, row.Currency = refunded, r.Currency
		return attribution.OutcomeOrphanRefund, nil
	}
	if r.Currency != "" && r.Currency != p.Currency {
		return attribution.OutcomeCurrencyMismatch, nil // another currency's money is not this purchase's
	}
	if r.ChargeAmount > 0 && r.ChargeAmount != p.Amount {
		refunded = attribution.MulDiv(refunded, p.Amount, r.ChargeAmount) // the charge paid more or less than the purchase
	}
	fillPaymentIDs(p, r.PaymentIntentID, r.ChargeID)
	if err := setRefunded(ctx, db, p, refunded, now); err != nil {
		return "", err
	}
	return attribution.OutcomeRefund, nil
}

func setRefunded(ctx context.Context, db bun.IDB, p *attribution.Purchase, refunded int64, now time.Time) error {
	before := p.RefundedAmount
	p.SetRefunded(refunded)
	p.UpdatedAt = now
	if _, err := db.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
		return err
	}
	if err := emitRefund(ctx, db, p, before, now); err != nil {
		return err
	}
	return settleRewards(ctx, db, p, now)
}

// applyOrphanRefunds applies refunds that arrived before their purchase.
func applyOrphanRefunds(ctx context.Context, db bun.IDB, p *attribution.Purchase, now time.Time) error {
	var rows []*stripeEvent
	q := db.NewSelect().Model(&rows).Where("vendor_id = ? AND outcome = ?", p.VendorID, attribution.OutcomeOrphanRefund)
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("1 = 0")
		for _, k := range [][2]string{
			{"stripe_charge_id", p.StripeChargeID}, {"stripe_payment_intent_id", p.StripePaymentIntentID}, {"stripe_invoice_id", p.StripeInvoiceID},
		} {
			if k[1] != "" {
				q = q.WhereOr("? = ?", bun.Ident(k[0]), k[1])
			}
		}
		return q
	})
	if err := q.Scan(ctx); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	var refunded int64
	var ids, mismatched []string
	for _, r := range rows {
		if r.Currency != "" && r.Currency != p.Currency {
			mismatched = append(mismatched, r.ID)
			continue
		}
		refunded = max(refunded, r.RefundedAmount)
		ids = append(ids, r.ID)
	}
	for outcome, ids := range map[string][]string{attribution.OutcomeRefund: ids, attribution.OutcomeCurrencyMismatch: mismatched} {
		if len(ids) == 0 {
			continue
		}
		if _, err := db.NewUpdate().Model((*stripeEvent)(nil)).Set("outcome = ?", outcome).
			Where("vendor_id = ? AND id IN (?)", p.VendorID, bun.List(ids)).Exec(ctx); err != nil {
			return err
		}
	}
	if refunded == 0 {
		return nil
	}
	return setRefunded(ctx, db, p, refunded, now)
}

func customerBy(ctx context.Context, db bun.IDB, vendorID, column, value string) (*attribution.Customer, error) {
	c := new(attribution.Customer)
	err := db.NewSelect().Model(c).Where("vendor_id = ? AND ? = ?", vendorID, bun.Ident(column), value).OrderExpr("id ASC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// customerByTallyID reads metadata.tally_customer_id: a Tally customer id,
// or else the vendor's external id.
func customerByTallyID(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Customer, error) {
	if attribution.ValidID(attribution.PrefixCustomer, id) {
		c, err := findCustomerByID(ctx, db, vendorID, id)
		if err == nil {
			return c, nil
		} else if attribution.ErrorCode(err) != attribution.ENOTFOUND {
			return nil, err
		}
	}
	return customerBy(ctx, db, vendorID, "external_id", id)
}
