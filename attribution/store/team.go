package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.TeamService = (*Accounts)(nil)

// ListUsers lists the vendor's users, oldest first.
func (a *Accounts) ListUsers(ctx context.Context, vendorID string) ([]*attribution.User, error) {
	out := []*attribution.User{}
	err := a.db.NewSelect().Model(&out).Where("vendor_id = ?", vendorID).OrderExpr("created_at, id").Scan(ctx)
	return out, classify(err)
}

// InviteUser creates the user, its invite link, the audit entry and the
// invite email in one transaction. An email that already names a user of
// this vendor invites that user again: a new link to choose a password
// (their role stays), emailed to them. The link is returned to show the
// admin only while the account has no password yet: a teammate's working
// account is never opened by a link an admin holds.
func (a *Accounts) InviteUser(ctx context.Context, vendorID, actor, email, role string) (*attribution.Invitation, error) {
	if err := attribution.ValidateUserEmail(&email); err != nil {
		return nil, err
	}
	if err := attribution.ValidateRole(&role); err != nil {
		return nil, err
	}
	now := a.now()
	var u *attribution.User
	var token string
	err := a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		v, err := findVendorRow(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		u, err = findUser(ctx, tx, "email = ?", email)
		switch {
		case attribution.ErrorCode(err) == attribution.ENOTFOUND:
			u = &attribution.User{ID: attribution.NewID(attribution.PrefixUser, now), VendorID: vendorID, Email: email,
				Role: role, CreatedAt: now, UpdatedAt: now}
			if err := insertUser(ctx, tx, u); err != nil {
				return err
			}
		case err != nil:
			return err
		case u.VendorID != vendorID:
			return errEmailTaken()
		}
		var l *attribution.AccountLink
		l, token = attribution.NewAccountLink(attribution.LinkInvite, vendorID, u.ID, now)
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return err
		}
		if err := audit(ctx, tx, vendorID, actor, attribution.ActionUserInvite, attribution.ObjectUser, u.ID, "", nil, u, now); err != nil {
			return err
		}
		return a.enqueueLinkMail(ctx, tx, v, u.Email, l, attribution.SetupPath(token),
			func(p attribution.MailProgram, to string, link attribution.OneTimeLink) (*attribution.Message, error) {
				return attribution.InviteLinkMail(p, to, actor, link)
			})
	})
	if err != nil {
		return nil, err
	}
	a.wakeMailer()
	if u.PasswordHash != "" {
		token = "" // emailed only
	}
	return &attribution.Invitation{User: u, Token: token}, nil
}

// ListSessions lists the user's live sessions, the last used first.
func (a *Accounts) ListSessions(ctx context.Context, vendorID, userID string) ([]*attribution.Session, error) {
	var all []*attribution.Session
	err := a.db.NewSelect().Model(&all).Where("vendor_id = ? AND user_id = ?", vendorID, userID).
		OrderExpr("last_seen_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, classify(err)
	}
	return liveSessions(all, a.now()), nil
}

// liveSessions keeps the sessions, a user's or a partner's, still live at
// now (never nil: a list with none is empty).
func liveSessions[S interface{ Expired(time.Time) bool }](all []S, now time.Time) []S {
	out := make([]S, 0, len(all))
	for _, s := range all {
		if !s.Expired(now) {
			out = append(out, s)
		}
	}
	return out
}

// RevokeSession deletes one of the user's sessions and writes the audit
// entry, in one transaction.
func (a *Accounts) RevokeSession(ctx context.Context, vendorID, userID, actor, sessionID string) error {
	return a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		s := new(attribution.Session)
		err := tx.NewSelect().Model(s).Where("vendor_id = ? AND user_id = ? AND id = ?", vendorID, userID, sessionID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("Session")
		} else if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(s).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionSessionRevoke, attribution.ObjectSession, s.ID, "", s.View(), nil, a.now())
	})
}
