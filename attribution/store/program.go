package store

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Program is the public program page, applications and partner invites.
type Program struct {
	core
	vendors *Vendors
	links   *linkCache // a partner made active may get a first link
}

var _ attribution.ProgramService = (*Program)(nil)

// ProgramBySlug returns the vendor whose program page is slug, when on.
func (s *Program) ProgramBySlug(ctx context.Context, slug string) (*attribution.Vendor, error) {
	slug = strings.ToLower(slug)
	if !attribution.ValidProgramSlug(slug) {
		return nil, errNoProgram()
	}
	v, err := s.vendors.findVendor(ctx, s.db, "program_page_slug = ?", slug)
	if attribution.ErrorCode(err) == attribution.ENOTFOUND || (err == nil && !v.ProgramPage.Enabled) {
		return nil, errNoProgram()
	}
	return v, err
}

func errNoProgram() error {
	return attribution.Errorf(attribution.ENOTFOUND, "There is no partner program at this address.")
}

// Apply records an application: a pending partner, its audit entry and
// the emails to the applicant and to the vendor's admins, in one
// transaction. An email the program knows already creates nothing and
// answers the same, so the page tells no one who is a partner.
func (s *Program) Apply(ctx context.Context, slug string, a attribution.Application) error {
	if err := a.Validate(); err != nil {
		return err
	}
	v, err := s.ProgramBySlug(ctx, slug)
	if err != nil {
		return err
	}
	now := s.now()
	p := &attribution.Partner{
		ID: attribution.NewID(attribution.PrefixPartner, now), VendorID: v.ID,
		Name: a.Name, Email: a.Email, Website: a.Website, Status: attribution.PartnerPending,
		TokenHash: attribution.HashKey(attribution.NewPartnerToken()), CreatedAt: now, UpdatedAt: now,
	}
	created := false
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		known, err := tx.NewSelect().Model((*attribution.Partner)(nil)).Where("vendor_id = ? AND email = ?", v.ID, a.Email).Exists(ctx)
		if err != nil || known {
			return err
		}
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		if err := audit(ctx, tx, v.ID, attribution.ActorApplicant, attribution.ActionPartnerApply, attribution.ObjectPartner, p.ID, "", nil, p, now); err != nil {
			return err
		}
		if err := emitEvent(ctx, tx, v.ID, attribution.EventPartnerApplicationSubmitted, p, now); err != nil {
			return err
		}
		created = true
		return s.enqueueApplicationMails(ctx, tx, v, p, now)
	})
	if attribution.ErrorCode(err) == attribution.ECONFLICT {
		return nil // the same email applied at the same moment: one partner, the same answer
	}
	if err != nil {
		return err
	}
	if created {
		s.wakeMailer()
	}
	return nil
}

// enqueueApplicationMails writes "application received" to the applicant
// and "new application" to each of the vendor's admins.
func (s *Program) enqueueApplicationMails(ctx context.Context, tx bun.Tx, v *attribution.Vendor, p *attribution.Partner, now time.Time) error {
	program := attribution.MailProgram{VendorID: v.ID, Name: v.Name}
	msg, err := attribution.ApplicationReceivedMail(program, p.Email, p.Name)
	if err != nil {
		return err
	}
	if err := EnqueueMail(ctx, tx, msg, now); err != nil {
		return err
	}
	var admins []string
	err = tx.NewSelect().Table("users").Column("email").Where("vendor_id = ? AND role = ?", v.ID, attribution.RoleAdmin).
		OrderExpr("created_at, id").Scan(ctx, &admins)
	if err != nil {
		return err
	}
	review := s.publicURL + "/dashboard/partners/" + p.ID
	for _, to := range admins {
		msg, err := attribution.NewApplicationMail(program, to, p.Name, p.Email, review)
		if err != nil {
			return err
		}
		if err := EnqueueMail(ctx, tx, msg, now); err != nil {
			return err
		}
	}
	return nil
}
