package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Optional emails and their unsubscribe links (attribution.Unsubscription).

// mailBaseKey carries, in the context of a store transaction (core.tx),
// the public URL that emails' links start with: helpers deep inside a
// transaction (rewardPurchase) enqueue mail without the core.
type mailBaseKey struct{}

// withMailBase returns ctx carrying the public URL of emails' links.
func withMailBase(ctx context.Context, publicURL string) context.Context {
	return context.WithValue(ctx, mailBaseKey{}, publicURL)
}

// mailBase is the public URL carried by ctx; "" outside a store
// transaction or without a public URL: then no optional email is enqueued.
func mailBase(ctx context.Context) string {
	s, _ := ctx.Value(mailBaseKey{}).(string)
	return s
}

// unsubscribeURL stores, through db, the unsubscribe link of an optional
// email of kind to a partner or a user, and returns its URL.
func unsubscribeURL(ctx context.Context, db bun.IDB, base, vendorID, partnerID, userID, kind string, now time.Time) (string, error) {
	u, token, err := attribution.NewUnsubscription(vendorID, partnerID, userID, kind, now)
	if err != nil {
		return "", err
	}
	if _, err := db.NewInsert().Model(u).ModelTableExpr("unsubscribe_links").Exec(ctx); err != nil {
		return "", err
	}
	return base + u.UnsubscribePath(token), nil
}

// enqueueNewRewardMail tells the partner about a new live reward, in the
// transaction that creates it, unless they turned that email off.
func enqueueNewRewardMail(ctx context.Context, db bun.IDB, v *attribution.Vendor, p *attribution.Partner, r *attribution.Reward, now time.Time) error {
	base := mailBase(ctx)
	if base == "" || !r.Livemode {
		return nil
	}
	settings, err := partnerSettings(ctx, db, v.ID, p.ID)
	if err != nil {
		return err
	}
	if !settings.Notifications.Wants(attribution.MailNewReward) || !attribution.ValidEmail(p.Email) {
		return nil
	}
	unsubscribe, err := unsubscribeURL(ctx, db, base, v.ID, p.ID, "", attribution.MailNewReward, now)
	if err != nil {
		return err
	}
	msg, err := attribution.NewRewardMail(attribution.MailProgram{VendorID: v.ID, Name: v.Name}, p.Email, p.Name,
		r.Amount, r.Currency, base+"/partner/rewards", unsubscribe)
	if err != nil {
		return err
	}
	return EnqueueMail(ctx, db, msg, now)
}

// Unsubscribes turns optional emails off through their links.
type Unsubscribes struct{ core }

var _ attribution.UnsubscribeService = (*Unsubscribes)(nil)

func (s *Unsubscribes) find(ctx context.Context, token string) (*attribution.Unsubscription, error) {
	none := attribution.Errorf(attribution.ENOTFOUND, "This unsubscribe link is not valid. Check that you copied all of it.")
	if token == "" || len(token) > 200 {
		return nil, none
	}
	u := new(attribution.Unsubscription)
	err := s.db.NewSelect().Model(u).ModelTableExpr("unsubscribe_links AS unsubscription").
		Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, none
	}
	return u, classify(err)
}

// info describes u for its page.
func (s *Unsubscribes) info(ctx context.Context, u *attribution.Unsubscription) (*attribution.UnsubscribeInfo, error) {
	v, err := findVendorRow(ctx, s.db, u.VendorID)
	if err != nil {
		return nil, classify(err)
	}
	out := &attribution.UnsubscribeInfo{Program: v.Name, Kind: u.Kind}
	if u.PartnerID != "" {
		p, err := findPartner(ctx, s.db, u.VendorID, u.PartnerID)
		if err != nil {
			return nil, err
		}
		settings, err := partnerSettings(ctx, s.db, u.VendorID, u.PartnerID)
		if err != nil {
			return nil, err
		}
		out.Email, out.Off, out.Partner = p.Email, !settings.Notifications.Wants(u.Kind), true
		return out, nil
	}
	usr, err := findUser(ctx, s.db, "id = ?", u.UserID)
	if err != nil {
		return nil, err
	}
	off, err := userOptedOut(ctx, s.db, u.UserID, u.Kind)
	if err != nil {
		return nil, err
	}
	out.Email, out.Off = usr.Email, off
	return out, nil
}

// Unsubscription describes the link of token.
func (s *Unsubscribes) Unsubscription(ctx context.Context, token string) (*attribution.UnsubscribeInfo, error) {
	u, err := s.find(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.info(ctx, u)
}

// Unsubscribe turns the link's kind off: a partner's through their
// settings (audited as the partner, as PATCH /v1/partner/me is), a user's
// in user_mail_opt_outs.
func (s *Unsubscribes) Unsubscribe(ctx context.Context, token string) (*attribution.UnsubscribeInfo, error) {
	u, err := s.find(ctx, token)
	if err != nil {
		return nil, err
	}
	if u.PartnerID != "" {
		upd := attribution.PartnerSettingsUpdate{Notifications: map[string]bool{u.Kind: false}}
		if _, err := (&Payouts{s.core}).UpdatePartnerSettings(ctx, u.VendorID, u.PartnerID, "partner:"+u.PartnerID, upd); err != nil {
			return nil, err
		}
	} else {
		_, err := s.db.NewRaw(`INSERT INTO user_mail_opt_outs (user_id, kind, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, kind) DO NOTHING`, u.UserID, u.Kind, s.now()).Exec(ctx)
		if err != nil {
			return nil, classify(err)
		}
	}
	return s.info(ctx, u)
}

// userOptedOut reports whether the user turned emails of kind off.
func userOptedOut(ctx context.Context, db bun.IDB, userID, kind string) (bool, error) {
	n, err := db.NewSelect().TableExpr("user_mail_opt_outs").Where("user_id = ? AND kind = ?", userID, kind).Count(ctx)
	return n > 0, classify(err)
}
