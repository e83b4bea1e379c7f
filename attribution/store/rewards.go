package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.RewardService = (*Store)(nil)

// ApproveDueRewards approves the pending rewards whose hold has passed.
func (s *Store) ApproveDueRewards(ctx context.Context, vendorID string) (int, error) {
	return approveDue(ctx, s.db, vendorID, s.now())
}

// ApproveDueRewardsJob is the background job's ApproveDueRewards, for every
// vendor: it runs in one transaction holding the JobApproveRewards advisory
// lock (taken without waiting), so when several instances tick at once one
// approves and the others skip (ran == false). Approving is idempotent
// anyway (only pending rewards change), so a skipped tick loses nothing.
func (s *Store) ApproveDueRewardsJob(ctx context.Context) (n int, ran bool, err error) {
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := s.tryXactLock(ctx, tx, JobApproveRewards)
		if err != nil || !ok {
			return err
		}
		ran = true
		n, err = approveDue(ctx, tx, "", s.now())
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return n, ran, nil
}

func approveDue(ctx context.Context, db bun.IDB, vendorID string, now time.Time) (int, error) {
	q := db.NewUpdate().Model((*attribution.Reward)(nil)).
		Set("status = ?", attribution.RewardApproved).Set("approved_at = ?", now).Set("updated_at = ?", now).
		Where("status = ?", attribution.RewardPending).Where("hold_until IS NOT NULL AND hold_until <= ?", now)
	if vendorID != "" {
		q = q.Where("vendor_id = ?", vendorID)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, classify(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListRewards lists the vendor's rewards, newest first, after approving due ones.
func (s *Store) ListRewards(ctx context.Context, vendorID string, f attribution.RewardFilter) ([]*attribution.Reward, bool, error) {
	if _, err := s.ApproveDueRewards(ctx, vendorID); err != nil {
		return nil, false, err
	}
	page := f.Page.Normalize()
	var out []*attribution.Reward
	q := listQuery(s.db, &out, vendorID, page)
	for col, val := range map[string]string{"partner_id": f.PartnerID, "customer_id": f.CustomerID, "purchase_id": f.PurchaseID, "status": f.Status, "kind": f.Kind} {
		if val != "" {
			q = q.Where("? = ?", bun.Ident(col), val)
		}
	}
	return scanPage(ctx, q, &out, page)
}

// FindReward returns one reward, after approving due ones.
func (s *Store) FindReward(ctx context.Context, vendorID, id string) (*attribution.Reward, error) {
	if _, err := s.ApproveDueRewards(ctx, vendorID); err != nil {
		return nil, err
	}
	return findReward(ctx, s.db, vendorID, id)
}

func findReward(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Reward, error) {
	return findByID[attribution.Reward](ctx, db, attribution.PrefixReward, "Reward", vendorID, id)
}

// CreateManualReward creates an approved reward by hand, with its audit entry.
func (s *Store) CreateManualReward(ctx context.Context, vendorID, actor string, m attribution.ManualReward) (*attribution.Reward, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	var out *attribution.Reward
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := findPartner(ctx, tx, vendorID, m.PartnerID); err != nil {
			return err
		}
		if m.PurchaseID != "" {
			p, err := findPurchase(ctx, tx, vendorID, m.PurchaseID)
			if err != nil {
				return err
			}
			if m.CustomerID == "" {
				m.CustomerID = p.CustomerID
			}
		}
		if m.CustomerID != "" {
			if _, err := findCustomerByID(ctx, tx, vendorID, m.CustomerID); err != nil {
				return err
			}
		}
		r := &attribution.Reward{
			ID: attribution.NewID(attribution.PrefixReward, now), VendorID: vendorID, PartnerID: m.PartnerID,
			CustomerID: m.CustomerID, PurchaseID: m.PurchaseID, Kind: attribution.RewardKindManual,
			Amount: m.Amount, OriginalAmount: m.Amount, Currency: m.Currency,
			Status: attribution.RewardApproved, Reason: m.Reason, ApprovedAt: &now, CreatedAt: now, UpdatedAt: now,
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		out = r
		return audit(ctx, tx, vendorID, actor, attribution.ActionRewardCreate, attribution.ObjectReward, r.ID, m.Reason, nil, r, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ChangeReward approves, declines or marks paid one reward, with its audit entry.
func (s *Store) ChangeReward(ctx context.Context, vendorID, actor, id, action, reason string) (*attribution.Reward, error) {
	if err := attribution.ValidateRewardActionReason(action, &reason); err != nil {
		return nil, err
	}
	if _, err := s.ApproveDueRewards(ctx, vendorID); err != nil {
		return nil, err
	}
	now := s.now()
	var out *attribution.Reward
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := findReward(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		before := *r
		auditAction, err := r.Transition(action, reason, now)
		if err != nil {
			return err
		}
		r.UpdatedAt = now
		res, err := tx.NewUpdate().Model(r).WherePK().Where("status = ?", before.Status).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return attribution.Errorf(attribution.ECONFLICT, "The reward changed meanwhile; read it again.")
		}
		out = r
		return audit(ctx, tx, vendorID, actor, auditAction, attribution.ObjectReward, r.ID, reason, &before, r, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rewardPurchase creates the reward a purchase earns by the rule, unless it
// has no partner, earns nothing, or has its reward already (one per
// purchase: the unique index settles races). A purchase refunded before
// it was attributed gets its reward already reduced. c is the purchase's
// customer as the caller holds it (written in this transaction; nil when
// the purchase has none). partner is the purchase's partner when the caller
// holds it, or nil to read it here.
func (s *Store) rewardPurchase(ctx context.Context, db bun.IDB, v *attribution.Vendor, p *attribution.Purchase, c *attribution.Customer, partner *attribution.Partner, now time.Time) (*attribution.Reward, error) {
	if p.PartnerID == "" {
		return nil, nil
	}
	if partner == nil {
		var err error
		partner, err = findPartner(ctx, db, v.ID, p.PartnerID)
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			return nil, nil // a partner gone earns nothing
		} else if err != nil {
			return nil, err
		}
	}
	rule := attribution.RuleFor(v, partner)
	if rule == nil {
		return nil, nil
	}
	first, isFirst := p.PurchasedAt, true
	self := p.Email != "" && attribution.NormalizeEmail(p.Email) == attribution.NormalizeEmail(partner.Email)
	if p.CustomerID != "" {
		var fp attribution.Purchase
		err := db.NewSelect().Model(&fp).Column("id", "purchased_at").
			Where("vendor_id = ? AND customer_id = ?", v.ID, p.CustomerID).
			OrderExpr("purchased_at ASC, id ASC").Limit(1).Scan(ctx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if err == nil && fp.ID != p.ID {
			isFirst = false
			if fp.PurchasedAt.Before(first) {
				first = fp.PurchasedAt
			}
		}
		if c != nil && c.SelfReferral && c.PartnerID == p.PartnerID {
			self = true
		}
	}
	if rule.DurationMonths != nil && *rule.DurationMonths == 0 && !isFirst {
		return nil, nil // same instant as the first purchase, but not it
	}
	dec := attribution.DecideReward(rule, p.Amount, p.Currency, p.PurchasedAt, first, self)
	if !dec.Earns || dec.Amount <= 0 {
		return nil, nil
	}
	hold := dec.HoldUntil
	r := &attribution.Reward{
		ID: attribution.NewID(attribution.PrefixReward, now), VendorID: v.ID, PartnerID: p.PartnerID,
		CustomerID: p.CustomerID, PurchaseID: p.ID, Kind: attribution.RewardKindPurchase,
		Amount: dec.Amount, OriginalAmount: dec.Amount, Currency: dec.Currency,
		Status: dec.Status, Reason: dec.Reason, HoldUntil: &hold, CreatedAt: now, UpdatedAt: now,
	}
	if r.Status == attribution.RewardPending && partner.Status != attribution.PartnerActive {
		r.Status, r.Reason = attribution.RewardDeclined, attribution.ReasonPartnerDisabled
	}
	switch {
	case r.Status == attribution.RewardDeclined:
		r.DeclinedAt = &now
	case !hold.After(now):
		r.Status, r.ApprovedAt = attribution.RewardApproved, &now
	}
	if p.RefundedAmount > 0 {
		o := attribution.ApplyRefund(r.Status, r.Amount, r.OriginalAmount, 0, p.Amount, p.RefundedAmount)
		r.Amount, r.Status = o.Amount, o.Status
		if r.Status == attribution.RewardReversed {
			r.ReversedAt = &now
		}
	}
	res, err := db.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	return r, nil
}

// refundRewards reverses the purchase's reward in proportion to its
// cumulative refunded amount; a paid reward gets a negative adjustment.
func refundRewards(ctx context.Context, db bun.IDB, p *attribution.Purchase, now time.Time) error {
	r := new(attribution.Reward)
	err := db.NewSelect().Model(r).Where("purchase_id = ? AND kind = ?", p.ID, attribution.RewardKindPurchase).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	var adjusted int64
	err = db.NewSelect().Model((*attribution.Reward)(nil)).ColumnExpr("COALESCE(SUM(amount), 0)").
		Where("purchase_id = ? AND kind = ?", p.ID, attribution.RewardKindAdjustment).Scan(ctx, &adjusted)
	if err != nil {
		return err
	}
	o := attribution.ApplyRefund(r.Status, r.Amount, r.OriginalAmount, adjusted, p.Amount, p.RefundedAmount)
	if o.Amount != r.Amount || o.Status != r.Status {
		r.Amount, r.UpdatedAt = o.Amount, now
		if o.Status != r.Status && o.Status == attribution.RewardReversed {
			r.ReversedAt = &now
		}
		r.Status = o.Status
		if _, err := db.NewUpdate().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
	}
	if o.Adjustment < 0 {
		adj := &attribution.Reward{
			ID: attribution.NewID(attribution.PrefixReward, now), VendorID: r.VendorID, PartnerID: r.PartnerID,
			CustomerID: r.CustomerID, PurchaseID: p.ID, Kind: attribution.RewardKindAdjustment,
			Amount: o.Adjustment, OriginalAmount: o.Adjustment, Currency: r.Currency,
			Status: attribution.RewardApproved, Reason: "refund", ApprovedAt: &now, CreatedAt: now, UpdatedAt: now,
		}
		if _, err := db.NewInsert().Model(adj).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
