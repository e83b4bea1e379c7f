package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// RecordSignup finds or creates the customer, applies last click and stores
// the signup event, in one transaction.
func (s *Customers) RecordSignup(ctx context.Context, v *attribution.Vendor, r attribution.SignupRequest) (*attribution.SignupResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	// A racing signup of the same customer may win the insert.
	return retryConflicts(3, func() (*attribution.SignupResult, error) { return s.recordSignup(ctx, v, r) })
}

func (s *Customers) recordSignup(ctx context.Context, v *attribution.Vendor, r attribution.SignupRequest) (*attribution.SignupResult, error) {
	now := s.now()
	checks := r.Checks
	res := &attribution.SignupResult{}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		winner, reason, partnerEmail, err := lastClick(ctx, tx, v.ID, checks)
		if err != nil {
			return err
		}
		c, err := findCustomer(ctx, tx, v.ID, r.ExternalID, r.Email)
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			c = attribution.NewCustomer(v.ID, r.ExternalID, r.Email, r.Name, now)
			res.Created = true
		} else if err != nil {
			return err
		}
		var d attribution.Decision
		if res.Created || attribution.SignupMayChange(r.Source) {
			if !res.Created {
				fillCustomer(c, r)
			}
			d = attribution.Decide(c, winner, reason, partnerEmail, now)
			c.UpdatedAt = now
			if err := saveCustomer(ctx, tx, c, res.Created); err != nil {
				return err
			}
			if err := emitCustomer(ctx, tx, c, res.Created, d.Credited(), now); err != nil {
				return err
			}
		} else {
			// The public snippet never changes an existing customer: the
			// signup is kept as an attempt, for the diagnosis.
			d = attribution.Decision{Outcome: attribution.OutcomeAttempt, Reason: reason}
		}
		sg := &attribution.Signup{
			ID: attribution.NewID("sig_", now), VendorID: v.ID, CustomerID: c.ID, Source: r.Source,
			TokenPresent: len(checks) > 0, Outcome: d.Outcome, Reason: d.Reason,
			IPTrunc: r.IPTrunc, VisitorHash: r.VisitorHash, Browser: r.Browser, OS: r.OS, CreatedAt: now,
		}
		if winner != nil && d.Outcome != attribution.OutcomeAttempt {
			sg.ClickID, sg.PartnerID = winner.ClickID, winner.PartnerID
		}
		res.TokenValid = winner != nil
		if _, err := tx.NewInsert().Model(sg).Exec(ctx); err != nil {
			return err
		}
		if err := insertSignupTokens(ctx, tx, sg, checks, winner); err != nil {
			return err
		}
		res.Customer, res.Signup = c, sg
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// lastClick loads the status of every token's partner and link, then lets
// the engine choose. It returns the winning partner's email for the
// self-referral check.
func lastClick(ctx context.Context, db bun.IDB, vendorID string, checks []attribution.TokenCheck) (*attribution.ClickToken, string, string, error) {
	type state struct{ reason, email string }
	states := map[string]state{}
	for _, c := range checks {
		if c.Reason != "" {
			continue
		}
		var row struct {
			Status     string `bun:"status"`
			Email      string `bun:"email"`
			LinkStatus string `bun:"link_status"`
		}
		err := db.NewSelect().TableExpr("partners AS p").
			ColumnExpr("p.status, p.email, COALESCE(l.status, '') AS link_status").
			Join("LEFT JOIN links AS l ON l.id = ? AND l.vendor_id = p.vendor_id", c.Token.LinkID).
			Where("p.vendor_id = ? AND p.id = ?", vendorID, c.Token.PartnerID).
			Scan(ctx, &row)
		found := !errors.Is(err, sql.ErrNoRows)
		if found && err != nil {
			return nil, "", "", err
		}
		states[c.Token.ClickID] = state{email: row.Email, reason: attribution.Creditability(found, row.Status, row.LinkStatus)}
	}
	winner, reason := attribution.LastClick(checks, func(t attribution.ClickToken) string { return states[t.ClickID].reason })
	if winner == nil {
		return nil, reason, "", nil
	}
	return winner, "", states[winner.ClickID].email, nil
}

// findCustomer finds a customer by external id, then by email.
func findCustomer(ctx context.Context, db bun.IDB, vendorID, externalID, email string) (*attribution.Customer, error) {
	if externalID != "" {
		// The external id is unique per vendor: at most one row.
		c, err := customerBy(ctx, db, vendorID, "external_id", externalID)
		if err != nil {
			return nil, err
		}
		if c != nil {
			return c, nil
		}
	}
	if email != "" {
		c := new(attribution.Customer)
		q := db.NewSelect().Model(c).Where("vendor_id = ? AND email = ?", vendorID, email).OrderExpr("id DESC").Limit(1)
		if externalID != "" {
			// Another external id with this email is another customer.
			q = q.Where("external_id = ''")
		}
		err := q.Scan(ctx)
		if err == nil {
			return c, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	return nil, notFound("Customer")
}

// fillCustomer completes an existing customer with what a signup adds.
func fillCustomer(c *attribution.Customer, r attribution.SignupRequest) {
	if c.ExternalID == "" && r.ExternalID != "" {
		c.ExternalID = r.ExternalID
	}
	if c.Email == "" && r.Email != "" {
		c.Email = r.Email
	}
	if r.Name != "" {
		c.Name = r.Name
	}
}
