package store

import "github.com/tally-dev/tally/internal/secretbox"

// Secrets encrypts the secrets the store keeps (the Stripe signing
// secrets), each bound to where it is stored; *secretbox.Box is the one
// used. Open returns a value that was never sealed (a legacy clear value)
// as it is.
type Secrets interface {
	Seal(plain, where string) (string, error)
	Open(stored, where string) (string, error)
}

// noSecrets writes secrets in clear and opens no sealed value: a store
// opened by tools and tests without a key.
var noSecrets Secrets = (*secretbox.Box)(nil)

// SetSecrets sets what encrypts stored secrets. Call it before serving;
// without it, secrets are written in clear.
func (s *Vendors) SetSecrets(b Secrets) { s.secrets = b }

// stripeSecretPlace binds a vendor's encrypted signing secret to its row.
func stripeSecretPlace(vendorID string) string {
	return "vendors.stripe_webhook_secret:" + vendorID
}
