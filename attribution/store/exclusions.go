package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// ExcludePurchase takes a purchase out of sales and settles its reward, with
// the audit entry, in one transaction.
func (s *Purchases) ExcludePurchase(ctx context.Context, v *attribution.Vendor, actor, id string, e attribution.Exclusion) (*attribution.PurchaseDetail, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return s.changeExclusion(ctx, v, actor, id, e, attribution.ActionPurchaseExclude, e.Note)
}

// IncludePurchase counts an excluded purchase again.
func (s *Purchases) IncludePurchase(ctx context.Context, v *attribution.Vendor, actor, id, reason string) (*attribution.PurchaseDetail, error) {
	if err := attribution.ValidateOptionalReason(&reason); err != nil {
		return nil, err
	}
	return s.changeExclusion(ctx, v, actor, id, attribution.Exclusion{}, attribution.ActionPurchaseInclude, reason)
}

func (s *Purchases) changeExclusion(ctx context.Context, v *attribution.Vendor, actor, id string, e attribution.Exclusion, action, reason string) (*attribution.PurchaseDetail, error) {
	now := s.now()
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := findPurchase(ctx, tx, v.ID, id)
		if err != nil {
			return err
		}
		if e.Reason == "" && !p.Excluded() {
			return attribution.Errorf(attribution.ECONFLICT, "Purchase %s is not excluded.", p.ID)
		}
		before := *p
		p.Exclude(e)
		p.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := emitExclusion(ctx, tx, p, now); err != nil {
			return err
		}
		if err := settleRewards(ctx, tx, p, now); err != nil {
			return err
		}
		if !p.Excluded() && p.CustomerID != "" {
			// Excluded from the start (metadata.tally_exclude), it has no
			// reward yet: it earns one now, as any purchase would have.
			c, err := findCustomerByID(ctx, tx, v.ID, p.CustomerID)
			if err != nil {
				return err
			}
			if _, err := rewardPurchase(ctx, tx, v, p, c, nil, now); err != nil {
				return err
			}
		}
		return audit(ctx, tx, v.ID, actor, action, attribution.ObjectPurchase, p.ID, reason, &before, p, now)
	})
	if err != nil {
		return nil, err
	}
	return s.FindPurchase(ctx, v.ID, id)
}
