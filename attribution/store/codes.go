package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// AddPromotionCode gives one of the vendor's partners a Stripe promotion
// code, with its audit entry.
func (s *Partners) AddPromotionCode(ctx context.Context, vendorID, actor, partnerID, code string) (*attribution.PromotionCode, error) {
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
		if _, err := tx.NewInsert().Model(pc).Exec(ctx); err != nil {
			return err
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionPromotionCodeCreate, attribution.ObjectPromotionCode, pc.ID, "", nil, pc, now)
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
func (s *Partners) ListPromotionCodes(ctx context.Context, vendorID, partnerID string) ([]*attribution.PromotionCode, error) {
	if _, err := findPartner(ctx, s.db, vendorID, partnerID); err != nil {
		return nil, err
	}
	out := []*attribution.PromotionCode{}
	err := s.db.NewSelect().Model(&out).Where("vendor_id = ? AND partner_id = ?", vendorID, partnerID).OrderExpr("id ASC").Scan(ctx)
	return out, classify(err)
}

// codePartner is a partner read with one of its promotion codes.
type codePartner struct {
	attribution.Partner `bun:",extend"`
	Code                string `bun:"code"`
}

// partnerByCodes returns the partner a purchase's promotion codes credit
// and the code (attribution.CreditingCode decides), or nil. Promo ids are
// taken as they are, code texts upper-cased. One query reads the owners of
// all the codes (a code's partner always exists: the foreign key, and
// AddPromotionCode checks the vendor).
func partnerByCodes(ctx context.Context, db bun.IDB, vendorID string, codes []string) (*attribution.Partner, string, error) {
	var norms []string
	for _, code := range codes {
		if norm, err := attribution.NormalizePromotionCode(code); err == nil {
			norms = append(norms, norm)
		}
	}
	if len(norms) == 0 {
		return nil, "", nil
	}
	var rows []codePartner
	err := db.NewSelect().Model(&rows).ColumnExpr("partner.*, pc.code").
		Join("JOIN promotion_codes AS pc ON pc.partner_id = partner.id AND pc.vendor_id = partner.vendor_id").
		Where("pc.vendor_id = ? AND pc.code IN (?)", vendorID, bun.List(norms)).
		Scan(ctx)
	if err != nil {
		return nil, "", err
	}
	owners := make(map[string]*attribution.Partner, len(rows))
	for i := range rows {
		owners[rows[i].Code] = &rows[i].Partner
	}
	p, code := attribution.CreditingCode(norms, owners)
	return p, code, nil
}
