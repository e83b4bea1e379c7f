package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.CustomerService = (*Store)(nil)

// FindCustomer returns one of the vendor's customers.
func (s *Store) FindCustomer(ctx context.Context, vendorID, id string) (*attribution.Customer, error) {
	c := new(attribution.Customer)
	err := s.db.NewSelect().Model(c).Where("vendor_id = ? AND id = ?", vendorID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Customer")
	}
	return c, classify(err)
}

// ListCustomers lists the vendor's customers, newest first.
func (s *Store) ListCustomers(ctx context.Context, vendorID string, f attribution.CustomerFilter) ([]*attribution.Customer, bool, error) {
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
	return scanPage(ctx, q, &out, page)
}
