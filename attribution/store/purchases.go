package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Purchases records purchases by hand, reads them, and excludes or
// includes them (exclusions.go); Stripe's purchases come through Payments.
type Purchases struct{ core }

var _ attribution.PurchaseService = (*Purchases)(nil)

// RecordManualPurchase records a purchase by hand, its reward by the rule
// and the audit entry, in one transaction.
func (s *Purchases) RecordManualPurchase(ctx context.Context, v *attribution.Vendor, actor string, m attribution.ManualPurchase) (*attribution.PurchaseDetail, error) {
	now := s.now()
	if err := m.Validate(now); err != nil {
		return nil, err
	}
	at := now
	if m.PurchasedAt != nil {
		at = *m.PurchasedAt
	}
	var out *attribution.PurchaseDetail
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := findCustomerByID(ctx, tx, v.ID, m.CustomerID)
		if err != nil {
			return err
		}
		p := &attribution.Purchase{
			ID: attribution.NewID(attribution.PrefixPurchase, now), VendorID: v.ID,
			Source: attribution.PurchaseSourceManual, Amount: m.Amount, Currency: m.Currency,
			Status: attribution.PurchaseSucceeded, Livemode: true, Note: m.Reason, PurchasedAt: at, CreatedAt: now, UpdatedAt: now,
		}
		p.AttributeTo(c)
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		if err := emitPurchaseCreated(ctx, tx, p, now); err != nil {
			return err
		}
		r, err := rewardPurchase(ctx, tx, v, p, c, nil, now)
		if err != nil {
			return err
		}
		out = &attribution.PurchaseDetail{Purchase: p, Rewards: rewardList(r)}
		return audit(ctx, tx, v.ID, actor, attribution.ActionPurchaseCreate, attribution.ObjectPurchase, p.ID, m.Reason, nil, out, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func rewardList(r *attribution.Reward) []*attribution.Reward {
	if r == nil {
		return []*attribution.Reward{}
	}
	return []*attribution.Reward{r}
}

// FindPurchase returns a purchase with its rewards.
func (s *Purchases) FindPurchase(ctx context.Context, vendorID, id string) (*attribution.PurchaseDetail, error) {
	p, err := findPurchase(ctx, s.db, vendorID, id)
	if err != nil {
		return nil, err
	}
	d := &attribution.PurchaseDetail{Purchase: p, Rewards: []*attribution.Reward{}}
	if err := s.db.NewSelect().Model(&d.Rewards).Where("vendor_id = ? AND purchase_id = ?", vendorID, p.ID).OrderExpr("id ASC").Scan(ctx); err != nil {
		return nil, classify(err)
	}
	now := s.now()
	for i, r := range d.Rewards {
		d.Rewards[i] = r.At(now)
	}
	return d, nil
}

func findPurchase(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Purchase, error) {
	return findByID[attribution.Purchase](ctx, db, attribution.PrefixPurchase, "Purchase", vendorID, id)
}

// ListPurchases lists the vendor's purchases, newest first.
func (s *Purchases) ListPurchases(ctx context.Context, vendorID string, f attribution.PurchaseFilter) ([]*attribution.Purchase, bool, error) {
	page := f.Page.Normalize()
	var out []*attribution.Purchase
	q := listQuery(s.db, &out, vendorID, page)
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.PartnerID != "" {
		q = q.Where("partner_id = ?", f.PartnerID)
	}
	switch f.Status {
	case "":
	case "attributed":
		q = q.Where("partner_id <> ''")
	case "unattributed":
		q = q.Where("partner_id = ''")
	default:
		q = q.Where("status = ?", f.Status)
	}
	if f.Reason != "" {
		q = q.Where("reason = ?", f.Reason)
	}
	return scanPage(ctx, q, &out, page)
}

// attachOrphans gives customer c the unmatched purchases of a Stripe
// customer id linked to it (and those without a Stripe customer that carry
// its email), attributes them and creates their rewards. partner is c's
// partner when the caller holds it, or nil to read it here.
func attachOrphans(ctx context.Context, db bun.IDB, v *attribution.Vendor, c *attribution.Customer, partner *attribution.Partner, stripeCustomerID string, now time.Time) error {
	if stripeCustomerID == "" && c.Email == "" {
		return nil
	}
	var orphans []*attribution.Purchase
	q := db.NewSelect().Model(&orphans).Where("vendor_id = ? AND customer_id = ''", v.ID)
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if stripeCustomerID != "" {
			q = q.WhereOr("stripe_customer_id = ?", stripeCustomerID)
		}
		if c.Email != "" {
			q = q.WhereOr("(stripe_customer_id = '' AND email = ?)", c.Email)
		}
		return q
	})
	if err := q.OrderExpr("purchased_at ASC, id ASC").Scan(ctx); err != nil {
		return err
	}
	if len(orphans) > 0 && partner == nil && c.Attributed() {
		// Every orphan gets c's partner: read it once, not per purchase. A
		// partner gone stays nil, and rewardPurchase finds it gone too.
		found, err := findPartner(ctx, db, v.ID, c.PartnerID)
		if err == nil {
			partner = found
		} else if attribution.ErrorCode(err) != attribution.ENOTFOUND {
			return err
		}
	}
	for _, p := range orphans {
		if err := attributePurchase(ctx, db, v, p, c, partner, now); err != nil {
			return err
		}
	}
	return nil
}

// attributePurchase gives a stored purchase to customer c, and its reward.
// partner is c's partner when the caller holds it, or nil.
func attributePurchase(ctx context.Context, db bun.IDB, v *attribution.Vendor, p *attribution.Purchase, c *attribution.Customer, partner *attribution.Partner, now time.Time) error {
	p.AttributeTo(c)
	p.UpdatedAt = now
	if _, err := db.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
		return err
	}
	_, err := rewardPurchase(ctx, db, v, p, c, partner, now)
	return err
}
