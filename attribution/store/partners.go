package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Partners manages the vendors' partners and their promotion codes (codes.go).
type Partners struct {
	core
	links *linkCache // a partner's status decides whether its links' clicks carry a token
}

var _ attribution.PartnerService = (*Partners)(nil)

// CreatePartner creates a partner and its audit entry, and returns its
// portal token once.
func (s *Partners) CreatePartner(ctx context.Context, vendorID, actor string, c attribution.PartnerCreate) (*attribution.NewPartner, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	token := attribution.NewPartnerToken()
	p := &attribution.Partner{
		ID: attribution.NewID(attribution.PrefixPartner, now), VendorID: vendorID,
		Name: c.Name, Email: c.Email, Status: c.Status,
		TokenHash: attribution.HashKey(token), CreatedAt: now, UpdatedAt: now,
	}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		if err := emitEvent(ctx, tx, vendorID, attribution.EventPartnerCreated, p, now); err != nil {
			return err
		}
		if err := audit(ctx, tx, vendorID, actor, attribution.ActionPartnerCreate, attribution.ObjectPartner, p.ID, "", nil, p, now); err != nil {
			return err
		}
		_, err := giveFirstLink(ctx, tx, vendorID, p, actor, now)
		return err
	})
	if attribution.ErrorCode(err) == attribution.ECONFLICT {
		return nil, attribution.Errorf(attribution.ECONFLICT, "A partner with email %s exists already.", c.Email)
	}
	if err != nil {
		return nil, err
	}
	s.links.purge() // a cached "unknown key" answer may name its first link's key
	return &attribution.NewPartner{Partner: p, Token: token}, nil
}

// FindPartner returns one of the vendor's partners.
func (s *Partners) FindPartner(ctx context.Context, vendorID, id string) (*attribution.Partner, error) {
	return findPartner(ctx, s.db, vendorID, id)
}

func findPartner(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Partner, error) {
	return findByID[attribution.Partner](ctx, db, attribution.PrefixPartner, "Partner", vendorID, id)
}

// ListPartners lists the vendor's partners, newest first.
func (s *Partners) ListPartners(ctx context.Context, vendorID string, f attribution.PartnerFilter) ([]*attribution.Partner, bool, error) {
	page := f.Page.Normalize()
	var out []*attribution.Partner
	q := listQuery(s.db, &out, vendorID, page)
	if f.Email != "" {
		q = q.Where("email = ?", attribution.NormalizeEmail(f.Email))
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	return scanPage(ctx, q, &out, page)
}

// UpdatePartner applies upd and its audit entry in one transaction; a PATCH
// that changes nothing writes nothing.
func (s *Partners) UpdatePartner(ctx context.Context, vendorID, actor, id string, upd attribution.PartnerUpdate) (*attribution.Partner, error) {
	if err := attribution.ValidateOptionalReason(&upd.Reason); err != nil {
		return nil, err
	}
	var out *attribution.Partner
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := findPartner(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		before := *p
		if err := upd.Apply(p); err != nil {
			return err
		}
		out = p
		if attribution.ToRawJSON(p) == attribution.ToRawJSON(&before) {
			return nil
		}
		now := s.now()
		p.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := emitEvent(ctx, tx, vendorID, attribution.EventPartnerUpdated, p, now); err != nil {
			return err
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionPartnerUpdate, attribution.ObjectPartner, p.ID, upd.Reason, &before, p, now)
	})
	if out != nil && err == nil {
		s.links.purge()
	}
	if attribution.ErrorCode(err) == attribution.ECONFLICT {
		return nil, attribution.Errorf(attribution.ECONFLICT, "Another partner has this email.")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PartnerByToken authenticates a partner token by its hash.
func (s *Partners) PartnerByToken(ctx context.Context, token string) (*attribution.Partner, error) {
	if !strings.HasPrefix(token, attribution.PrefixPartnerToken) || len(token) > 200 {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "Invalid partner token.")
	}
	p := new(attribution.Partner)
	err := s.db.NewSelect().Model(p).Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !attribution.KeyMatches(token, p.TokenHash)) {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "Invalid partner token.")
	}
	if err != nil {
		return nil, classify(err)
	}
	if p.Status != attribution.PartnerActive {
		return nil, attribution.Errorf(attribution.EFORBIDDEN, "This partner account is disabled.")
	}
	return p, nil
}

// DecideApplication approves or rejects a partner's application
// (Partner.Decide) with its audit entry, in one transaction.
func (s *Partners) DecideApplication(ctx context.Context, vendorID, actor, id, decision, reason string) (*attribution.Partner, error) {
	if err := attribution.ValidateOptionalReason(&reason); err != nil {
		return nil, err
	}
	action := attribution.ActionPartnerApprove
	if decision == attribution.PartnerReject {
		action = attribution.ActionPartnerReject
	}
	var out *attribution.Partner
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := findPartner(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		before := *p
		if err := p.Decide(decision); err != nil {
			return err
		}
		now := s.now()
		p.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = p
		if err := audit(ctx, tx, vendorID, actor, action, attribution.ObjectPartner, p.ID, reason, &before, p, now); err != nil {
			return err
		}
		return s.decided(ctx, tx, p, decision, actor, reason, now)
	})
	if err != nil {
		return nil, err
	}
	s.wakeMailer()
	s.links.purge() // the partner's links carry a token from now on, or not
	return out, nil
}
