package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// RotateSecretKey gives the vendor a new secret key and writes the audit
// entry in one transaction; the old key stops working at once.
func (s *Vendors) RotateSecretKey(ctx context.Context, id, actor string) (string, error) {
	secret := attribution.NewSecretKey()
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		res, err := tx.NewUpdate().Model((*attribution.Vendor)(nil)).
			Set("secret_key_hash = ?", attribution.HashKey(secret)).Set("updated_at = ?", now).
			Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notFound("Vendor")
		}
		return audit(ctx, tx, id, actor, attribution.ActionSecretKeyRotate, attribution.ObjectVendor, id, "",
			attribution.SecretKeyState{SecretKey: "set"}, attribution.SecretKeyState{SecretKey: "rotated"}, now)
	})
	if err != nil {
		return "", err
	}
	s.cache.purge()
	return secret, nil
}
