package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.CustomerService = (*Store)(nil)

// FindCustomer returns one of the vendor's customers.
func (s *Store) FindCustomer(ctx context.Context, vendorID, id string) (*attribution.Customer, error) {
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
