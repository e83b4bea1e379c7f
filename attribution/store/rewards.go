package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Rewards manages rewards and approves them when their hold passes.
type Rewards struct{ core }

var _ attribution.RewardService = (*Rewards)(nil)

// ApproveDueRewardsJob persists Reward.StatusAt for every vendor: it
// approves the live-mode pending rewards whose hold has passed. Reads
// already show them approved (effectiveStatus); the job makes it so in
// the rows. It runs in one transaction holding the JobApproveRewards advisory
// lock (taken without waiting), so when several instances tick at once one
// approves and the others skip (ran == false). Approving is idempotent
// anyway (only pending rewards change), so a skipped tick loses nothing.
func (s *Rewards) ApproveDueRewardsJob(ctx context.Context) (n int, ran bool, err error) {
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ok, err := s.dialect.tryXactLock(ctx, tx, JobApproveRewards)
		if err != nil || !ok {
			return err
		}
		ran = true
		if err := emitApprovals(ctx, tx, s.now()); err != nil {
			return err
		}
		n, err = approveDue(ctx, tx, s.now())
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return n, ran, nil
}

// dueForApproval selects the live-mode pending rewards whose hold has
// passed; its arguments are RewardPending, true and now.
const dueForApproval = "status = ? AND livemode = ? AND hold_until IS NOT NULL AND hold_until <= ?"

func approveDue(ctx context.Context, db bun.IDB, now time.Time) (int, error) {
	res, err := db.NewUpdate().Model((*attribution.Reward)(nil)).
		Set("status = ?", attribution.RewardApproved).Set("approved_at = hold_until").Set("updated_at = ?", now).
		Where(dueForApproval, attribution.RewardPending, true, now).Exec(ctx)
	if err != nil {
		return 0, classify(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListRewards lists the vendor's rewards, newest first, each as it stands now.
func (s *Rewards) ListRewards(ctx context.Context, vendorID string, f attribution.RewardFilter) ([]*attribution.Reward, bool, error) {
	now := s.now()
	page := f.Page.Normalize()
	var out []*attribution.Reward
	q := listQuery(s.db, &out, vendorID, page)
	for col, val := range map[string]string{"partner_id": f.PartnerID, "customer_id": f.CustomerID, "purchase_id": f.PurchaseID, "kind": f.Kind} {
		if val != "" {
			q = q.Where("? = ?", bun.Ident(col), val)
		}
	}
	if f.Status != "" {
		q = q.Where(effectiveStatus("")+" = ?", now, f.Status)
	}
	rows, more, err := scanPage(ctx, q, &out, page)
	for i, r := range rows {
		rows[i] = r.At(now)
	}
	return rows, more, err
}

// effectiveStatus is Reward.StatusAt in SQL, on the rewards table (or its
// alias, "r." say), with one argument: now. Filters and sums use it: a read
// never writes, and never shows a stale pending.
func effectiveStatus(alias string) string {
	return "(CASE WHEN " + alias + "status = 'pending' AND " + alias + "livemode AND " + alias + "hold_until IS NOT NULL AND " +
		alias + "hold_until <= ? THEN 'approved' ELSE " + alias + "status END)"
}

// FindReward returns one reward as it stands now.
func (s *Rewards) FindReward(ctx context.Context, vendorID, id string) (*attribution.Reward, error) {
	r, err := findReward(ctx, s.db, vendorID, id)
	if err != nil {
		return nil, err
	}
	return r.At(s.now()), nil
}

func findReward(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Reward, error) {
	return findByID[attribution.Reward](ctx, db, attribution.PrefixReward, "Reward", vendorID, id)
}

// CreateManualReward creates an approved reward by hand, with its audit entry.
func (s *Rewards) CreateManualReward(ctx context.Context, vendorID, actor string, m attribution.ManualReward) (*attribution.Reward, error) {
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
			Amount: m.Amount, OriginalAmount: m.Amount, Currency: m.Currency, Livemode: true,
			Status: attribution.RewardApproved, Reason: m.Reason, ApprovedAt: &now, CreatedAt: now, UpdatedAt: now,
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		if err := emitEvent(ctx, tx, vendorID, attribution.EventRewardCreated, r, now); err != nil {
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
func (s *Rewards) ChangeReward(ctx context.Context, vendorID, actor, id, action, reason string) (*attribution.Reward, error) {
	if err := attribution.ValidateActionReason(action, &reason); err != nil {
		return nil, err
	}
	now := s.now()
	var out *attribution.Reward
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		stored, err := findReward(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		if err := refuseBatched(ctx, tx, stored.ID); err != nil {
			return err
		}
		storedStatus := stored.Status
		r := stored.At(now)
		before := *r
		auditAction, err := r.Transition(action, reason, now)
		if err != nil {
			return err
		}
		r.UpdatedAt = now
		res, err := tx.NewUpdate().Model(r).WherePK().Where("status = ?", storedStatus).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return attribution.Errorf(attribution.ECONFLICT, "The reward changed meanwhile; read it again.")
		}
		if err := emitEvent(ctx, tx, vendorID, attribution.EventRewardUpdated, r, now); err != nil {
			return err
		}
		out = r
		return audit(ctx, tx, vendorID, actor, auditAction, attribution.ObjectReward, r.ID, reason, &before, r, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rewardPurchase creates the reward a purchase earns (attribution.
// PurchaseReward decides), unless it has its reward already (one per
// purchase: the unique index settles races). c is the purchase's customer
// as the caller holds it (written in this transaction; nil when the
// purchase has none). partner is the purchase's partner when the caller
// holds it, or nil to read it here.
func rewardPurchase(ctx context.Context, db bun.IDB, v *attribution.Vendor, p *attribution.Purchase, c *attribution.Customer, partner *attribution.Partner, now time.Time) (*attribution.Reward, error) {
	if p.PartnerID == "" {
		return nil, nil
	}
	facts := attribution.PurchaseRewardFacts{Vendor: v, Partner: partner, Purchase: p}
	if partner == nil {
		found, err := findPartner(ctx, db, v.ID, p.PartnerID)
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			return nil, nil // a partner gone earns nothing
		} else if err != nil {
			return nil, err
		}
		facts.Partner = found
	}
	if p.CustomerID != "" {
		var fp attribution.Purchase
		err := db.NewSelect().Model(&fp).Column("id", "purchased_at").
			Where("vendor_id = ? AND customer_id = ?", v.ID, p.CustomerID).
			OrderExpr("purchased_at ASC, id ASC").Limit(1).Scan(ctx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		facts.FirstPurchaseID, facts.FirstPurchaseAt = fp.ID, fp.PurchasedAt
		facts.CustomerSelf = c != nil && c.SelfReferral && c.PartnerID == p.PartnerID
	}
	r := attribution.PurchaseReward(facts, now)
	if r == nil {
		return nil, nil
	}
	res, err := db.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	if err := enqueueNewRewardMail(ctx, db, v, facts.Partner, r, now); err != nil {
		return nil, err
	}
	return r, emitEvent(ctx, db, r.VendorID, attribution.EventRewardCreated, r, now)
}

// settleRewards applies the purchase's refunds and exclusion to its reward
// (attribution.SettleReward decides); a paid reward gets an adjustment.
func settleRewards(ctx context.Context, db bun.IDB, p *attribution.Purchase, now time.Time) error {
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
	o := attribution.SettleReward(r, adjusted, p.Amount, p.RefundedAmount, p.Excluded())
	if o.Amount != r.Amount || o.Status != r.Status || o.Reason != r.Reason {
		if o.Status != r.Status && o.Status == attribution.RewardReversed {
			r.ReversedAt = &now
		}
		r.Amount, r.Status, r.Reason, r.UpdatedAt = o.Amount, o.Status, o.Reason, now
		if _, err := db.NewUpdate().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := emitEvent(ctx, db, r.VendorID, attribution.EventRewardUpdated, r, now); err != nil {
			return err
		}
	}
	if o.Adjustment != 0 {
		reason := "refund"
		switch {
		case p.Excluded():
			reason = attribution.ReasonExcluded
		case o.Adjustment > 0:
			reason = "included"
		}
		adj := &attribution.Reward{
			ID: attribution.NewID(attribution.PrefixReward, now), VendorID: r.VendorID, PartnerID: r.PartnerID,
			CustomerID: r.CustomerID, PurchaseID: p.ID, Kind: attribution.RewardKindAdjustment,
			Amount: o.Adjustment, OriginalAmount: o.Adjustment, Currency: r.Currency, Livemode: r.Livemode,
			Status: attribution.RewardApproved, Reason: reason, ApprovedAt: &now, CreatedAt: now, UpdatedAt: now,
		}
		if _, err := db.NewInsert().Model(adj).Exec(ctx); err != nil {
			return err
		}
		if err := emitEvent(ctx, db, adj.VendorID, attribution.EventRewardCreated, adj, now); err != nil {
			return err
		}
	}
	return nil
}
