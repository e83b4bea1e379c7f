package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// partnerSettingsRow is a partner's own settings (attribution.PartnerSettings).
type partnerSettingsRow struct {
	bun.BaseModel `bun:"table:partner_settings"`
	PartnerID     string                    `bun:"partner_id,pk"`
	VendorID      string                    `bun:"vendor_id"`
	PayoutMethod  *attribution.PayoutMethod `bun:"payout_method"`
	Notifications attribution.Notifications `bun:"notifications"`
	UpdatedAt     time.Time                 `bun:"updated_at"`
}

// PartnerSettings returns one of the vendor's partners' own settings.
func (s *Payouts) PartnerSettings(ctx context.Context, vendorID, partnerID string) (*attribution.PartnerSettings, error) {
	if _, err := findPartner(ctx, s.db, vendorID, partnerID); err != nil {
		return nil, err
	}
	return partnerSettings(ctx, s.db, vendorID, partnerID)
}

func partnerSettings(ctx context.Context, db bun.IDB, vendorID, partnerID string) (*attribution.PartnerSettings, error) {
	row := new(partnerSettingsRow)
	err := db.NewSelect().Model(row).Where("vendor_id = ? AND partner_id = ?", vendorID, partnerID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return &attribution.PartnerSettings{Notifications: attribution.Notifications{}}, nil
	} else if err != nil {
		return nil, classify(err)
	}
	if row.Notifications == nil {
		row.Notifications = attribution.Notifications{}
	}
	return &attribution.PartnerSettings{PayoutMethod: row.PayoutMethod, Notifications: row.Notifications, UpdatedAt: &row.UpdatedAt}, nil
}

// UpdatePartnerSettings applies a partner's change of its own settings and
// its audit entry (the IBAN masked) in one transaction; a change of
// nothing writes nothing.
func (s *Payouts) UpdatePartnerSettings(ctx context.Context, vendorID, partnerID, actor string, upd attribution.PartnerSettingsUpdate) (*attribution.PartnerSettings, error) {
	var out *attribution.PartnerSettings
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := findPartner(ctx, tx, vendorID, partnerID); err != nil {
			return err
		}
		cur, err := partnerSettings(ctx, tx, vendorID, partnerID)
		if err != nil {
			return err
		}
		before := attribution.ToRawJSON(cur)
		audited := cur.Audited()
		if err := upd.Apply(cur); err != nil {
			return err
		}
		out = cur
		if attribution.ToRawJSON(cur) == before {
			return nil
		}
		now := s.now()
		row := &partnerSettingsRow{PartnerID: partnerID, VendorID: vendorID, PayoutMethod: cur.PayoutMethod, Notifications: cur.Notifications, UpdatedAt: now}
		_, err = tx.NewInsert().Model(row).
			On("CONFLICT (partner_id) DO UPDATE").
			Set("payout_method = EXCLUDED.payout_method, notifications = EXCLUDED.notifications, updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		if err != nil {
			return err
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionPartnerSettings, attribution.ObjectPartner, partnerID, "", audited, cur.Audited(), now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
