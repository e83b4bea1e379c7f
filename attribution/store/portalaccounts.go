package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// PartnerAccounts signs partners in to the portal: one-time links emailed
// through the outbox, partner sessions, and the throttling of requests.
type PartnerAccounts struct{ core }

var _ attribution.PartnerAccountService = (*PartnerAccounts)(nil)

// signInRequest is one request of a sign-in link, counted by an email or
// IP hash.
type signInRequest struct {
	bun.BaseModel `bun:"table:partner_sign_in_requests"`
	KeyHash       string    `bun:"key_hash"`
	RequestedAt   time.Time `bun:"requested_at"`
}

// RequestSignIn counts the request (whether or not the email is known),
// refuses it when throttled (attribution.SignInRequestThrottled), and
// otherwise makes a link for each partner with this email who may sign in,
// enqueueing its email in the same transaction.
func (s *PartnerAccounts) RequestSignIn(ctx context.Context, email string, meta attribution.SessionMeta) ([]attribution.SignInLinkSent, error) {
	email = attribution.NormalizeEmail(email)
	if !attribution.ValidEmail(email) {
		return nil, attribution.Errorf(attribution.EINVALID, "Email must be an address such as ada@example.com.")
	}
	now := s.now()
	emailKey, ipKey := attribution.SignInRequestKeys(email, meta.IP)
	var sent []attribution.SignInLinkSent
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sent = nil
		var counts []struct {
			Key string `bun:"key_hash"`
			N   int    `bun:"n"`
		}
		err := tx.NewSelect().Model((*signInRequest)(nil)).ColumnExpr("key_hash, COUNT(*) AS n").
			Where("key_hash IN (?) AND requested_at > ?", bun.List([]string{emailKey, ipKey}), now.Add(-attribution.SignInFailureWindow)).
			GroupExpr("key_hash").Scan(ctx, &counts)
		if err != nil {
			return err
		}
		byEmail, byIP := 0, 0
		for _, c := range counts {
			if c.Key == emailKey {
				byEmail = c.N
			} else {
				byIP = c.N
			}
		}
		if attribution.SignInRequestThrottled(byEmail, byIP) {
			return attribution.ErrSignInRequestThrottled()
		}
		if _, err := tx.NewDelete().Model((*signInRequest)(nil)).
			Where("key_hash IN (?) AND requested_at <= ?", bun.List([]string{emailKey, ipKey}), now.Add(-attribution.SignInFailureWindow)).
			Exec(ctx); err != nil {
			return err
		}
		reqs := []signInRequest{{KeyHash: emailKey, RequestedAt: now}, {KeyHash: ipKey, RequestedAt: now}}
		if _, err := tx.NewInsert().Model(&reqs).Exec(ctx); err != nil {
			return err
		}
		var partners []*attribution.Partner
		err = tx.NewSelect().Model(&partners).Where("email = ? AND status = ?", email, attribution.PartnerActive).
			OrderExpr("vendor_id, id").Limit(attribution.MaxSignInPrograms).Scan(ctx)
		if err != nil {
			return err
		}
		for _, p := range partners {
			if !attribution.PartnerMaySignIn(p.Status) {
				continue
			}
			v, err := findVendorRow(ctx, tx, p.VendorID)
			if err != nil {
				return err
			}
			l, token := attribution.NewPartnerSignInLink(v.ID, p.ID, now)
			if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
				return err
			}
			link := attribution.OneTimeLink{URL: s.publicURL + "/partner/sign-in/" + token, Issued: l.CreatedAt, Expires: l.ExpiresAt}
			msg, err := attribution.PartnerSignInMail(attribution.MailProgram{VendorID: v.ID, Name: v.Name}, p.Email, link)
			if err != nil {
				return err
			}
			if err := EnqueueMail(ctx, tx, msg, now); err != nil {
				return err
			}
			sent = append(sent, attribution.SignInLinkSent{Program: v.Name, URL: link.URL})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(sent) > 0 {
		s.wakeMailer()
	}
	return sent, nil
}

// findVendorRow reads a vendor's name and id inside a transaction.
func findVendorRow(ctx context.Context, db bun.IDB, id string) (*attribution.Vendor, error) {
	v := new(attribution.Vendor)
	err := db.NewSelect().Model(v).Column("id", "name").Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Vendor")
	}
	return v, err
}

func errNoSignInLink() error {
	return attribution.Errorf(attribution.ENOTFOUND, "This sign-in link is not valid. Check that you copied all of it, or ask for a new one.")
}

func findSignInLink(ctx context.Context, db bun.IDB, token string) (*attribution.PartnerSignInLink, error) {
	if token == "" || len(token) > 200 {
		return nil, errNoSignInLink()
	}
	l := new(attribution.PartnerSignInLink)
	err := db.NewSelect().Model(l).
		Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSignInLink()
	}
	return l, classify(err)
}

// SignInLink returns the link of token while it is usable; it spends nothing.
func (s *PartnerAccounts) SignInLink(ctx context.Context, token string) (*attribution.PartnerSignInLink, error) {
	l, err := findSignInLink(ctx, s.db, token)
	if err != nil {
		return nil, err
	}
	if err := l.Usable(s.now()); err != nil {
		return nil, err
	}
	return l, nil
}

// SpendSignInLink marks the link used (once: of two requests spending it at
// the same time, one gets ENOTFOUND) and starts the partner's session, in
// one transaction.
func (s *PartnerAccounts) SpendSignInLink(ctx context.Context, token string, meta attribution.SessionMeta) (*attribution.PartnerSignedIn, error) {
	now := s.now()
	var out *attribution.PartnerSignedIn
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := findSignInLink(ctx, tx, token)
		if err != nil {
			return err
		}
		if err := l.Usable(now); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model(l).Set("used_at = ?", now).
			Where("token_hash = ? AND used_at IS NULL", l.TokenHash).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return attribution.Errorf(attribution.ENOTFOUND, "This sign-in link was already used. Ask for a new one.")
		}
		p, err := findPartner(ctx, tx, l.VendorID, l.PartnerID)
		if err != nil {
			return err
		}
		if !attribution.PartnerMaySignIn(p.Status) {
			return attribution.Errorf(attribution.EFORBIDDEN, "This partner account is %s: it cannot sign in.", p.Status)
		}
		out, err = startPartnerSession(ctx, tx, p, meta, now)
		return err
	})
	return out, err
}

// startPartnerSession starts, through db, a portal session of partner p,
// who may sign in (attribution.PartnerMaySignIn): spending a sign-in link
// and accepting an invite both end here.
func startPartnerSession(ctx context.Context, db bun.IDB, p *attribution.Partner, meta attribution.SessionMeta, now time.Time) (*attribution.PartnerSignedIn, error) {
	token := attribution.NewSessionToken()
	ps := &attribution.PartnerSession{ID: attribution.NewID(attribution.PrefixPartnerSession, now),
		TokenHash: attribution.HashKey(token), VendorID: p.VendorID, PartnerID: p.ID,
		UserAgent: attribution.SessionUserAgent(meta.UserAgent), CreatedAt: now, LastSeenAt: now}
	if _, err := db.NewInsert().Model(ps).Exec(ctx); err != nil {
		return nil, err
	}
	return &attribution.PartnerSignedIn{Partner: p, Token: token}, nil
}

// PartnerSession returns the live session of token and its partner,
// recording the use at most every attribution.SessionTouchEvery. An
// expired session, or one whose partner may no longer sign in, is deleted.
func (s *PartnerAccounts) PartnerSession(ctx context.Context, token string) (*attribution.PartnerSession, *attribution.Partner, error) {
	none := attribution.Errorf(attribution.EUNAUTHORIZED, "Sign in to continue.")
	if token == "" || len(token) > 200 {
		return nil, nil, none
	}
	ps := new(attribution.PartnerSession)
	err := s.db.NewSelect().Model(ps).
		Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, none
	} else if err != nil {
		return nil, nil, classify(err)
	}
	now := s.now()
	p, err := findPartner(ctx, s.db, ps.VendorID, ps.PartnerID)
	if err != nil && attribution.ErrorCode(err) != attribution.ENOTFOUND {
		return nil, nil, err
	}
	if err != nil || ps.Expired(now) || !attribution.PartnerMaySignIn(p.Status) {
		if _, err := s.db.NewDelete().TableExpr("partner_sessions").Where("id = ?", ps.ID).Exec(ctx); err != nil {
			return nil, nil, classify(err)
		}
		return nil, nil, none
	}
	if ps.NeedsTouch(now) {
		ps.LastSeenAt = now
		if _, err := s.db.NewUpdate().TableExpr("partner_sessions").Set("last_seen_at = ?", now).Where("id = ?", ps.ID).Exec(ctx); err != nil {
			return nil, nil, classify(err)
		}
	}
	return ps, p, nil
}

// ListPartnerSessions lists the partner's live sessions, the last used
// first.
func (s *PartnerAccounts) ListPartnerSessions(ctx context.Context, vendorID, partnerID string) ([]*attribution.PartnerSession, error) {
	var all []*attribution.PartnerSession
	err := s.db.NewSelect().Model(&all).Where("vendor_id = ? AND partner_id = ?", vendorID, partnerID).
		OrderExpr("last_seen_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, classify(err)
	}
	return liveSessions(all, s.now()), nil
}

// RevokePartnerSession deletes one of the partner's sessions.
func (s *PartnerAccounts) RevokePartnerSession(ctx context.Context, vendorID, partnerID, sessionID string) error {
	res, err := s.db.NewDelete().TableExpr("partner_sessions").
		Where("vendor_id = ? AND partner_id = ? AND id = ?", vendorID, partnerID, sessionID).Exec(ctx)
	if err != nil {
		return classify(err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return notFound("Session")
	}
	return nil
}

// SignOut deletes the session of token.
func (s *PartnerAccounts) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	_, err := s.db.NewDelete().TableExpr("partner_sessions").Where("token_hash = ?", attribution.HashKey(token)).Exec(ctx)
	return classify(err)
}
