package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// AddPromotionCode gives one of the vendor's partners a Stripe promotion code.
func (s *Store) AddPromotionCode(ctx context.Context, vendorID, partnerID, code string) (*attribution.PromotionCode, error) {
	norm, err := attribution.NormalizePromotionCode(code)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pc := &attribution.PromotionCode{
		ID: attribution.NewID("pcd_", now), VendorID: vendorID, PartnerID: partnerID, Code: norm, CreatedAt: now,
	}
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := findPartner(ctx, tx, vendorID, partnerID); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(pc).Exec(ctx)
		return err
	})
	if attribution.ErrorCode(err) == attribution.ECONFLICT {
		return nil, attribution.Errorf(attribution.ECONFLICT, "Promotion code %s is given to a partner already.", norm)
	}
	if err != nil {
		return nil, err
	}
	return pc, nil
}

// ListPromotionCodes lists a partner's promotion codes.
func (s *Store) ListPromotionCodes(ctx context.Context, vendorID, partnerID string) ([]*attribution.PromotionCode, error) {
	if _, err := findPartner(ctx, s.db, vendorID, partnerID); err != nil {
		return nil, err
	}
	out := []*attribution.PromotionCode{}
	err := s.db.NewSelect().Model(&out).Where("vendor_id = ? AND partner_id = ?", vendorID, partnerID).OrderExpr("id ASC").Scan(ctx)
	return out, classify(err)
}

// partnerByCodes returns the active partner owning the first of codes (promo
// ids as they are, code texts upper-cased), or "" when none does.
func partnerByCodes(ctx context.Context, db bun.IDB, vendorID string, codes []string) (*attribution.Partner, string, error) {
	for _, code := range codes {
		norm, err := attribution.NormalizePromotionCode(code)
		if err != nil {
			continue
		}
		var pc attribution.PromotionCode
		err = db.NewSelect().Model(&pc).Where("vendor_id = ? AND code = ?", vendorID, norm).Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, "", err
		}
		p, err := findPartner(ctx, db, vendorID, pc.PartnerID)
		if err != nil {
			return nil, "", err
		}
		if p.Status == attribution.PartnerActive {
			return p, norm, nil
		}
	}
	return nil, "", nil
}
