package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// RequestPasswordReset counts the request (whether or not the email has a
// user), refuses it when throttled, and otherwise makes a reset link for
// the user with this email and enqueues its email, in one transaction.
func (a *Accounts) RequestPasswordReset(ctx context.Context, email string, meta attribution.SessionMeta) error {
	email = attribution.NormalizeEmail(email)
	if !attribution.ValidEmail(email) {
		return attribution.Errorf(attribution.EINVALID, "Email must be an address such as ada@example.com.")
	}
	now := a.now()
	emailKey, ipKey := attribution.PasswordResetKeys(email, meta.IP)
	keys := []string{emailKey, ipKey}
	sent := false
	err := a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sent = false
		counts, err := recentAttempts(ctx, tx, keys, now)
		if err != nil {
			return err
		}
		if attribution.SignInRequestThrottled(counts[emailKey], counts[ipKey]) {
			return attribution.ErrPasswordResetThrottled()
		}
		if err := recordAttempt(ctx, tx, keys, now); err != nil {
			return err
		}
		u, err := findUser(ctx, tx, "email = ?", email)
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			return nil // the same answer: nothing tells the email is unknown
		} else if err != nil {
			return err
		}
		v, err := findVendorRow(ctx, tx, u.VendorID)
		if err != nil {
			return err
		}
		l, token := attribution.NewAccountLink(attribution.LinkReset, u.VendorID, u.ID, now)
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return err
		}
		sent = true
		return a.enqueueLinkMail(ctx, tx, v, u.Email, l, attribution.PasswordResetPath(token), attribution.ResetLinkMail)
	})
	if err != nil {
		return err
	}
	if sent {
		a.wakeMailer()
	}
	return nil
}

// CompletePasswordReset spends a reset link (see setPasswordByLink).
func (a *Accounts) CompletePasswordReset(ctx context.Context, token, pw string, meta attribution.SessionMeta) (*attribution.SignedIn, error) {
	return a.setPasswordByLink(ctx, token, pw, meta, true)
}

// passwordWasReset ends, inside tx, the user's other reset links (an older
// email must not reset the new password) and audits the reset as the
// user, with the number of sessions ended (ended, the result of deleting
// them).
func (a *Accounts) passwordWasReset(ctx context.Context, tx bun.Tx, u *attribution.User, ended sql.Result, now time.Time) error {
	if _, err := tx.NewUpdate().Model((*attribution.AccountLink)(nil)).Set("used_at = ?", now).
		Where("user_id = ? AND kind = ? AND used_at IS NULL", u.ID, attribution.LinkReset).Exec(ctx); err != nil {
		return err
	}
	n, _ := ended.RowsAffected()
	after := struct {
		SessionsEnded int64 `json:"sessions_ended"`
	}{n}
	return audit(ctx, tx, u.VendorID, u.Email, attribution.ActionUserPasswordReset, attribution.ObjectUser, u.ID, "", nil, after, now)
}
