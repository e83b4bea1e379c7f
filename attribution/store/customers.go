package store

import (
	"context"
	"errors"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Customers records signups (signups.go), reads customers and applies the
// manual attribution overrides.
type Customers struct{ core }

var (
	_ attribution.CustomerService = (*Customers)(nil)
	_ attribution.SignupService   = (*Customers)(nil)
)

// FindCustomer returns one of the vendor's customers.
func (s *Customers) FindCustomer(ctx context.Context, vendorID, id string) (*attribution.Customer, error) {
	return findCustomerByID(ctx, s.db, vendorID, id)
}

func findCustomerByID(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Customer, error) {
	return findByID[attribution.Customer](ctx, db, attribution.PrefixCustomer, "Customer", vendorID, id)
}

// saveCustomer inserts c when the caller created it, else updates it.
func saveCustomer(ctx context.Context, db bun.IDB, c *attribution.Customer, created bool) error {
	var err error
	if created {
		_, err = db.NewInsert().Model(c).Exec(ctx)
	} else {
		_, err = db.NewUpdate().Model(c).WherePK().Exec(ctx)
	}
	return err
}

// customerByEmail finds the newest customer with the email, or nil.
func customerByEmail(ctx context.Context, db bun.IDB, vendorID, email string) (*attribution.Customer, error) {
	c, err := findCustomer(ctx, db, vendorID, "", email)
	if attribution.ErrorCode(err) == attribution.ENOTFOUND {
		return nil, nil
	}
	return c, err
}

// ListCustomers lists the vendor's customers, newest first.
func (s *Customers) ListCustomers(ctx context.Context, vendorID string, f attribution.CustomerFilter) ([]*attribution.Customer, bool, error) {
	page := f.Page.Normalize()
	var out []*attribution.Customer
	q := listQuery(s.db, &out, vendorID, page)
	if f.Email != "" {
		q = q.Where("email = ?", attribution.NormalizeEmail(f.Email))
	}
	if f.ExternalID != "" {
		q = q.Where("external_id = ?", f.ExternalID)
	}
	if f.PartnerID != "" {
		q = q.Where("partner_id = ?", f.PartnerID)
	}
	switch f.Status {
	case "attributed":
		q = q.Where("partner_id <> ''")
	case "unattributed":
		q = q.Where("partner_id = ''")
	}
	if f.Reason != "" {
		q = q.Where("reason = ?", f.Reason)
	}
	return scanPage(ctx, q, &out, page)
}

// CreateCustomer creates a customer attributed to a partner by hand, gives
// it the unmatched purchases with its email, and writes the audit entry.
func (s *Customers) CreateCustomer(ctx context.Context, v *attribution.Vendor, actor string, cc attribution.CustomerCreate) (*attribution.Customer, error) {
	if err := cc.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	var out *attribution.Customer
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		partner, err := findPartner(ctx, tx, v.ID, cc.PartnerID)
		if err != nil {
			return err
		}
		existing, err := findCustomer(ctx, tx, v.ID, cc.ExternalID, cc.Email)
		if err == nil {
			return attribution.Errorf(attribution.ECONFLICT, "Customer %s exists already; credit it with POST /v1/customers/%s/attribution.", existing.ID, existing.ID)
		} else if attribution.ErrorCode(err) != attribution.ENOTFOUND {
			return err
		}
		if cc.StripeCustomerID != "" {
			linked, err := customerBy(ctx, tx, v.ID, "stripe_customer_id", cc.StripeCustomerID)
			if err != nil {
				return err
			}
			if linked != nil {
				return attribution.Errorf(attribution.ECONFLICT, "Stripe customer %s is linked to customer %s already.", cc.StripeCustomerID, linked.ID)
			}
		}
		c := attribution.NewCustomer(v.ID, cc.ExternalID, cc.Email, cc.Name, now)
		c.StripeCustomerID = cc.StripeCustomerID
		attribution.CreditPartner(c, partner, attribution.AttributedByManual, now)
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		if err := emitCustomer(ctx, tx, c, true, true, now); err != nil {
			return err
		}
		if err := attachOrphans(ctx, tx, v, c, partner, c.StripeCustomerID, now); err != nil {
			return err
		}
		out = c
		return audit(ctx, tx, v.ID, actor, attribution.ActionCustomerCreate, attribution.ObjectCustomer, c.ID, cc.Reason, nil, c, now)
	})
	if errors.Is(err, errAlreadyExists) {
		return nil, attribution.Errorf(attribution.ECONFLICT, "A customer with this email or external_id exists already.")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReassignCustomer credits a customer to another partner by hand.
func (s *Customers) ReassignCustomer(ctx context.Context, vendorID, actor, customerID string, r attribution.Reassignment) (*attribution.ReassignResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	out := &attribution.ReassignResult{MovedRewards: []string{}}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := findCustomerByID(ctx, tx, vendorID, customerID)
		if err != nil {
			return err
		}
		partner, err := findPartner(ctx, tx, vendorID, r.PartnerID)
		if err != nil {
			return err
		}
		if partner.Status != attribution.PartnerActive {
			return attribution.Errorf(attribution.EINVALID, "Partner %s is disabled.", partner.ID)
		}
		before := *c
		attribution.CreditPartner(c, partner, attribution.AttributedByManual, now)
		if _, err := tx.NewUpdate().Model(c).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := emitCustomer(ctx, tx, c, false, true, now); err != nil {
			return err
		}
		if r.MoveRewards {
			var moved []*attribution.Reward
			err := tx.NewSelect().Model(&moved).
				Where("vendor_id = ? AND customer_id = ? AND kind = ?", vendorID, c.ID, attribution.RewardKindPurchase).
				Where("status IN (?)", bun.List([]string{attribution.RewardPending, attribution.RewardApproved})).
				Where("partner_id <> ?", partner.ID).OrderExpr("id ASC").Scan(ctx)
			if err != nil {
				return err
			}
			purchaseIDs := make([]string, 0, len(moved))
			for _, rw := range moved {
				out.MovedRewards = append(out.MovedRewards, rw.ID)
				purchaseIDs = append(purchaseIDs, rw.PurchaseID)
			}
			if len(moved) > 0 {
				if _, err := tx.NewUpdate().Model((*attribution.Reward)(nil)).
					Set("partner_id = ?", partner.ID).Set("updated_at = ?", now).
					Where("vendor_id = ? AND id IN (?)", vendorID, bun.List(out.MovedRewards)).Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.NewUpdate().Model((*attribution.Purchase)(nil)).
					Set("partner_id = ?", partner.ID).Set("link_id = ''").Set("click_id = ''").
					Set("attributed_by = ?", attribution.AttributedByManual).Set("updated_at = ?", now).
					Where("vendor_id = ? AND id IN (?)", vendorID, bun.List(purchaseIDs)).Exec(ctx); err != nil {
					return err
				}
			}
			for _, rw := range moved {
				rw.PartnerID, rw.UpdatedAt = partner.ID, now
				if err := emitEvent(ctx, tx, vendorID, attribution.EventRewardUpdated, rw, now); err != nil {
					return err
				}
			}
		}
		out.Customer = c
		after := map[string]any{"customer": c, "moved_rewards": out.MovedRewards}
		return audit(ctx, tx, vendorID, actor, attribution.ActionCustomerReassign, attribution.ObjectCustomer, c.ID, r.Reason, &before, after, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
