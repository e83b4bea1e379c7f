package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// InvitePartner replaces the partner's invite links with a new one, audits
// it and enqueues the invite email, in one transaction. The answer carries
// the link, the only time it is known.
func (s *Program) InvitePartner(ctx context.Context, vendorID, actor, partnerID string) (*attribution.PartnerInvite, error) {
	var inv *attribution.PartnerInvite
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := findPartner(ctx, tx, vendorID, partnerID)
		if err != nil {
			return err
		}
		if err := attribution.CanInvite(p); err != nil {
			return err
		}
		v, err := s.vendors.findVendor(ctx, tx, "id = ?", vendorID)
		if err != nil {
			return err
		}
		now := s.now()
		inv = attribution.NewPartnerInvite(p, now)
		inv.URL = s.publicURL + attribution.InvitePath(inv.Token)
		if _, err := tx.NewDelete().Model((*attribution.PartnerInvite)(nil)).
			Where("partner_id = ? AND used_at IS NULL", p.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(inv).Exec(ctx); err != nil {
			return err
		}
		// The audit log keeps when the link dies, never the link.
		after := struct {
			PartnerID string    `json:"partner_id"`
			ExpiresAt time.Time `json:"expires_at"`
		}{p.ID, inv.ExpiresAt}
		if err := audit(ctx, tx, vendorID, actor, attribution.ActionPartnerInvite, attribution.ObjectPartner, p.ID, "", nil, after, now); err != nil {
			return err
		}
		link := attribution.OneTimeLink{URL: inv.URL, Issued: now, Expires: inv.ExpiresAt}
		msg, err := attribution.PartnerInviteMail(attribution.MailProgram{VendorID: v.ID, Name: v.Name}, p.Email, p.Name, link)
		if err != nil {
			return err
		}
		return EnqueueMail(ctx, tx, msg, now)
	})
	if err != nil {
		return nil, err
	}
	s.wakeMailer()
	return inv, nil
}

// Invite returns the invite of token, its partner and its program, while
// it can be accepted.
func (s *Program) Invite(ctx context.Context, token string) (*attribution.PartnerInvite, *attribution.Vendor, error) {
	inv, err := s.findInvite(ctx, s.db, token)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.vendors.findVendor(ctx, s.db, "id = ?", inv.VendorID)
	if err != nil {
		return nil, nil, err
	}
	return inv, v, nil
}

// findInvite reads the invite of token and its partner, and refuses one
// that cannot be accepted now (ENOTFOUND, one message for every reason).
func (s *Program) findInvite(ctx context.Context, db bun.IDB, token string) (*attribution.PartnerInvite, error) {
	if token == "" || len(token) > 200 {
		return nil, attribution.ErrNoSuchLink()
	}
	inv := new(attribution.PartnerInvite)
	err := db.NewSelect().Model(inv).Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !attribution.KeyMatches(token, inv.TokenHash)) {
		return nil, attribution.ErrNoSuchLink()
	} else if err != nil {
		return nil, classify(err)
	}
	p, err := findPartner(ctx, db, inv.VendorID, inv.PartnerID)
	if err != nil {
		return nil, err
	}
	if err := inv.Acceptable(p, s.now()); err != nil {
		return nil, err
	}
	inv.Partner = p
	return inv, nil
}

// AcceptInvite spends the invite (once, whoever races for it), makes the
// partner active, gives them their first link and starts their portal
// session, in one transaction audited as the partner.
func (s *Program) AcceptInvite(ctx context.Context, token string, meta attribution.SessionMeta) (*attribution.PartnerSignedIn, error) {
	var out *attribution.PartnerSignedIn
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inv, err := s.findInvite(ctx, tx, token)
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.NewUpdate().Model((*attribution.PartnerInvite)(nil)).Set("used_at = ?", now).
			Where("token_hash = ? AND used_at IS NULL", inv.TokenHash).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return attribution.Errorf(attribution.ENOTFOUND, "This invite link was already used.")
		}
		p := inv.Partner
		before := *p
		if err := p.Decide(attribution.PartnerApprove); err != nil {
			return err
		}
		p.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
			return err
		}
		actor := attribution.PartnerActor(p.ID)
		if err := audit(ctx, tx, p.VendorID, actor, attribution.ActionPartnerAcceptInvite, attribution.ObjectPartner, p.ID, "", &before, p, now); err != nil {
			return err
		}
		if _, err := giveFirstLink(ctx, tx, p.VendorID, p, actor, now); err != nil {
			return err
		}
		out, err = startPartnerSession(ctx, tx, p, meta, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.links.purge() // the partner's links carry a token from now on
	return out, nil
}
