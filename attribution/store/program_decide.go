package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// decided does, inside the transaction of an application decision, what
// follows it: an approved partner gets their first link and the "approved"
// email with the portal's sign-in address; a rejected applicant gets the
// "rejected" email, with the reason when one was given.
func (s *Partners) decided(ctx context.Context, tx bun.Tx, p *attribution.Partner, decision, actor, reason string, now time.Time) error {
	var name string
	if err := tx.NewSelect().Table("vendors").Column("name").Where("id = ?", p.VendorID).Scan(ctx, &name); err != nil {
		return err
	}
	program := attribution.MailProgram{VendorID: p.VendorID, Name: name}
	var msg *attribution.Message
	var err error
	if decision == attribution.PartnerApprove {
		if _, err := giveFirstLink(ctx, tx, p.VendorID, p, actor, now); err != nil {
			return err
		}
		msg, err = attribution.ApplicationApprovedMail(program, p.Email, p.Name, s.publicURL+attribution.PortalSignInPath)
	} else {
		msg, err = attribution.ApplicationRejectedMail(program, p.Email, p.Name, reason)
	}
	if err != nil {
		return err
	}
	return EnqueueMail(ctx, tx, msg, now)
}
