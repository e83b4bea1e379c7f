package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Vendors manages vendors and authenticates their keys.
type Vendors struct {
	core
	links   *linkCache // purged when a vendor's redirect settings change
	cache   *vendorCache
	secrets Secrets // encrypts the Stripe signing secrets at rest
}

var _ attribution.VendorService = (*Vendors)(nil)

// CreateVendor creates a vendor with fresh keys; the secret key is returned once.
func (s *Vendors) CreateVendor(ctx context.Context, name, domain string) (*attribution.NewVendor, error) {
	now := s.now()
	v := &attribution.Vendor{AttributionWindowDays: attribution.DefaultWindowDays, AllowedOrigins: []string{}, TimeZone: attribution.DefaultTimeZone}
	if err := (attribution.VendorUpdate{Name: &name, Domain: &domain}).Apply(v); err != nil {
		return nil, err
	}
	secret := attribution.NewSecretKey()
	v.ID = attribution.NewID(attribution.PrefixVendor, now)
	v.PublicKey = attribution.NewPublicKey()
	v.SecretKeyHash = attribution.HashKey(secret)
	v.CreatedAt, v.UpdatedAt = now, now
	if _, err := s.db.NewInsert().Model(v).Exec(ctx); err != nil {
		return nil, classify(err)
	}
	return &attribution.NewVendor{Vendor: v, SecretKey: secret}, nil
}

// FindVendor returns a vendor by id.
func (s *Vendors) FindVendor(ctx context.Context, id string) (*attribution.Vendor, error) {
	return s.findVendor(ctx, s.db, "id = ?", id)
}

// VendorBySecretKey authenticates a secret key by its hash.
func (s *Vendors) VendorBySecretKey(ctx context.Context, key string) (*attribution.Vendor, error) {
	if !strings.HasPrefix(key, attribution.PrefixSecretKey) || len(key) > 200 {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "Invalid secret key.")
	}
	hash := attribution.HashKey(key)
	v, err := s.findVendor(ctx, s.db, "secret_key_hash = ?", hash)
	if attribution.ErrorCode(err) == attribution.ENOTFOUND || (err == nil && !attribution.KeyMatches(key, v.SecretKeyHash)) {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "Invalid secret key.")
	}
	return v, err
}

// VendorByPublicKey finds the vendor a snippet belongs to.
func (s *Vendors) VendorByPublicKey(ctx context.Context, key string) (*attribution.Vendor, error) {
	if !strings.HasPrefix(key, attribution.PrefixPublicKey) || len(key) > 200 {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "Invalid public key.")
	}
	v, err := s.findVendor(ctx, s.db, "public_key = ?", key)
	if attribution.ErrorCode(err) == attribution.ENOTFOUND {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "Unknown public key.")
	}
	return v, err
}

// UpdateVendor applies upd and its audit entry in one transaction; a PATCH
// that changes nothing is not audited.
func (s *Vendors) UpdateVendor(ctx context.Context, id, actor string, upd attribution.VendorUpdate) (*attribution.Vendor, error) {
	if err := attribution.ValidateOptionalReason(&upd.Reason); err != nil {
		return nil, err
	}
	var out *attribution.Vendor
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		v, err := s.findVendor(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		before, oldSecret, oldPage := attribution.ToRawJSON(v.Settings()), v.StripeWebhookSecret, v.ProgramPage
		if err := upd.Apply(v); err != nil {
			return err
		}
		if err := settleProgramSlug(ctx, tx, v, oldPage); err != nil {
			return err
		}
		after := attribution.ToRawJSON(v.Settings())
		now := s.now()
		v.UpdatedAt = now
		// The signing secret is written encrypted (a legacy clear value is
		// encrypted on this write); v keeps the clear value for the caller.
		row := *v
		if row.StripeWebhookSecret, err = s.secrets.Seal(v.StripeWebhookSecret, stripeSecretPlace(v.ID)); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return err
		}
		out = v
		if after == before && v.StripeWebhookSecret == oldSecret { // a new secret reads "set" both times
			return nil // nothing changed: nothing to audit
		}
		return audit(ctx, tx, v.ID, actor, attribution.ActionVendorUpdate, attribution.ObjectVendor, v.ID, upd.Reason, before, after, now)
	})
	if err != nil {
		return nil, err
	}
	out.HasStripeSecret = out.StripeWebhookSecret != ""
	s.links.purge() // cookie domain, window or fallback may have changed
	s.cache.purge()
	return out, nil
}

func (s *Vendors) findVendor(ctx context.Context, db bun.IDB, where string, arg any) (*attribution.Vendor, error) {
	v := new(attribution.Vendor)
	err := db.NewSelect().Model(v).Where(where, arg).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Vendor")
	} else if err != nil {
		return nil, classify(err)
	}
	if v.AllowedOrigins == nil {
		v.AllowedOrigins = []string{}
	}
	v.HasStripeSecret = v.StripeWebhookSecret != ""
	if plain, err := s.secrets.Open(v.StripeWebhookSecret, stripeSecretPlace(v.ID)); err == nil {
		v.StripeWebhookSecret = plain
	} else {
		// Encrypted with a key this server does not have: webhooks cannot
		// be verified until the vendor sets the secret again (or the old
		// key is given back in TALLY_SECRET_KEY); never use the ciphertext.
		v.StripeWebhookSecret = ""
	}
	return v, nil
}
