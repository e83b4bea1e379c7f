package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/password"
)

// Accounts is the bun implementation of attribution.AccountService: users,
// sessions, one-time links and sign-in throttling.
type Accounts struct {
	db      *bun.DB
	now     attribution.Clock
	vendors attribution.VendorService // the first run creates its vendor through it
	mail    *Mail                     // emails the links when set (SetMail)
}

var _ attribution.AccountService = (*Accounts)(nil)

// NewAccounts returns the account service on db; vendors creates the
// vendor of the first run, as the admin API does.
func NewAccounts(db *bun.DB, clock attribution.Clock, vendors attribution.VendorService) *Accounts {
	if clock == nil {
		clock = attribution.SystemClock
	}
	return &Accounts{db: db, now: clock, vendors: vendors}
}

// SetMail makes the account service email the one-time links it creates,
// through the outbox m, besides returning them.
func (a *Accounts) SetMail(m *Mail) { a.mail = m }

// enqueueLinkMail stores, inside tx, the email that carries the one-time
// link l (token, at path) to email, built by build; without SetMail it
// does nothing.
func (a *Accounts) enqueueLinkMail(ctx context.Context, tx bun.IDB, v *attribution.Vendor, email string, l *attribution.AccountLink,
	path string, build func(attribution.MailProgram, string, attribution.OneTimeLink) (*attribution.Message, error)) error {
	if a.mail == nil || a.mail.publicURL == "" {
		return nil
	}
	link := attribution.OneTimeLink{URL: a.mail.publicURL + path, Issued: l.CreatedAt, Expires: l.ExpiresAt}
	msg, err := build(attribution.MailProgram{VendorID: v.ID, Name: v.Name}, email, link)
	if err != nil {
		return err
	}
	return EnqueueMail(ctx, tx, msg, l.CreatedAt)
}

// wakeMailer tells the mail worker that an email was committed.
func (a *Accounts) wakeMailer() {
	if a.mail != nil {
		a.mail.Wake()
	}
}

func (a *Accounts) tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return classify(a.db.RunInTx(ctx, nil, fn))
}

// FirstRunLink makes a first-run link while the database has no vendor.
// Each start makes a new one; any of them works until a vendor exists.
func (a *Accounts) FirstRunLink(ctx context.Context) (string, error) {
	if err := firstRunOpen(ctx, a.db); err != nil {
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			return "", nil
		}
		return "", err
	}
	l, token := attribution.NewAccountLink(attribution.LinkFirstRun, "", "", a.now())
	if _, err := a.db.NewInsert().Model(l).Exec(ctx); err != nil {
		return "", classify(err)
	}
	return token, nil
}

// CheckNewUser reports whether email is free for a new user.
func (a *Accounts) CheckNewUser(ctx context.Context, email string) error {
	if err := attribution.ValidateUserEmail(&email); err != nil {
		return err
	}
	return emailFree(ctx, a.db, email)
}

func emailFree(ctx context.Context, db bun.IDB, email string) error {
	n, err := db.NewSelect().Model((*attribution.User)(nil)).Where("email = ?", email).Count(ctx)
	if err != nil {
		return classify(err)
	}
	if n > 0 {
		return errEmailTaken()
	}
	return nil
}

func errEmailTaken() error {
	return attribution.Errorf(attribution.ECONFLICT, "A user with this email exists already.")
}

// CreateUser creates a user without a password and its setup link.
func (a *Accounts) CreateUser(ctx context.Context, vendorID, email, role string) (*attribution.User, string, error) {
	if err := attribution.ValidateUserEmail(&email); err != nil {
		return nil, "", err
	}
	if err := attribution.ValidateRole(&role); err != nil {
		return nil, "", err
	}
	v, err := a.vendors.FindVendor(ctx, vendorID)
	if err != nil {
		return nil, "", err
	}
	now := a.now()
	u := &attribution.User{ID: attribution.NewID(attribution.PrefixUser, now), VendorID: vendorID, Email: email,
		Role: role, CreatedAt: now, UpdatedAt: now}
	l, token := attribution.NewAccountLink(attribution.LinkSetup, vendorID, u.ID, now)
	err = a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return err
		}
		return a.enqueueLinkMail(ctx, tx, v, email, l, attribution.SetupPath(token), attribution.SetupLinkMail)
	})
	if err != nil {
		return nil, "", err
	}
	a.wakeMailer()
	return u, token, nil
}

func insertUser(ctx context.Context, db bun.IDB, u *attribution.User) error {
	if err := emailFree(ctx, db, u.Email); err != nil {
		return err
	}
	_, err := db.NewInsert().Model(u).Exec(ctx)
	if err != nil && isUniqueViolation(err) { // a concurrent insert of the same email
		return errEmailTaken()
	}
	return err
}

// Link returns a usable one-time link and its user.
func (a *Accounts) Link(ctx context.Context, token string) (*attribution.AccountLink, *attribution.User, error) {
	l, err := findAccountLink(ctx, a.db, token)
	if err != nil {
		return nil, nil, err
	}
	if err := l.Usable(a.now()); err != nil {
		return nil, nil, err
	}
	if l.Kind == attribution.LinkFirstRun {
		if err := firstRunOpen(ctx, a.db); err != nil {
			return nil, nil, err
		}
		return l, nil, nil
	}
	u, err := findUser(ctx, a.db, "id = ?", l.UserID)
	if err != nil {
		return nil, nil, err
	}
	return l, u, nil
}

// firstRunOpen refuses a first-run link once a vendor exists: the links
// printed by earlier starts die with the first program. ENOTFOUND.
func firstRunOpen(ctx context.Context, db bun.IDB) error {
	n, err := db.NewSelect().TableExpr("vendors").Limit(1).Count(ctx)
	if err != nil {
		return classify(err)
	}
	if n > 0 {
		return attribution.Errorf(attribution.ENOTFOUND, "Tally is set up already: sign in instead.")
	}
	return nil
}

func findAccountLink(ctx context.Context, db bun.IDB, token string) (*attribution.AccountLink, error) {
	if token == "" || len(token) > 200 {
		return nil, attribution.ErrNoSuchLink()
	}
	l := new(attribution.AccountLink)
	err := db.NewSelect().Model(l).Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, attribution.ErrNoSuchLink()
	}
	return l, classify(err)
}

func findUser(ctx context.Context, db bun.IDB, where string, arg any) (*attribution.User, error) {
	u := new(attribution.User)
	err := db.NewSelect().Model(u).Where(where, arg).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("User")
	}
	return u, classify(err)
}

// spendLink marks the link of token used, once: of two requests spending
// it at the same time, one gets ENOTFOUND.
func spendLink(ctx context.Context, db bun.IDB, token, kind string, now time.Time) (*attribution.AccountLink, error) {
	l, err := findAccountLink(ctx, db, token)
	if err != nil {
		return nil, err
	}
	if l.Kind != kind {
		return nil, attribution.ErrNoSuchLink()
	}
	if err := l.Usable(now); err != nil {
		return nil, err
	}
	res, err := db.NewUpdate().Model(l).Set("used_at = ?", now).
		Where("token_hash = ? AND used_at IS NULL", l.TokenHash).Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, attribution.Errorf(attribution.ENOTFOUND, "This link was already used. Sign in, or ask an admin for a new link.")
	}
	l.UsedAt = &now
	return l, nil
}

// CompleteFirstRun validates the form first (a typo never spends the
// link), then spends the link, creates the vendor through the vendor
// service and, in one transaction, its admin and their session. The link is
// spent before the vendor exists: if creating it fails, the next start
// still finds no vendor and prints a new link.
func (a *Accounts) CompleteFirstRun(ctx context.Context, token string, f attribution.FirstRun, meta attribution.SessionMeta) (*attribution.SignedIn, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := emailFree(ctx, a.db, f.Email); err != nil {
		return nil, err
	}
	hash, err := password.Hash(f.Password)
	if err != nil {
		return nil, err
	}
	if err := firstRunOpen(ctx, a.db); err != nil {
		return nil, err
	}
	if _, err := spendLink(ctx, a.db, token, attribution.LinkFirstRun, a.now()); err != nil {
		return nil, classify(err)
	}
	nv, err := a.vendors.CreateVendor(ctx, f.ProgramName, f.Domain)
	if err != nil {
		return nil, err
	}
	now := a.now()
	u := &attribution.User{ID: attribution.NewID(attribution.PrefixUser, now), VendorID: nv.Vendor.ID, Email: f.Email,
		Role: attribution.RoleAdmin, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var out *attribution.SignedIn
	err = a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		out, err = startSession(ctx, tx, u, meta, now)
		return err
	})
	return out, err
}

// CompleteSetup spends a setup or invite link, sets the password and
// signs in, in one transaction.
func (a *Accounts) CompleteSetup(ctx context.Context, token, pw string, meta attribution.SessionMeta) (*attribution.SignedIn, error) {
	return a.setPasswordByLink(ctx, token, pw, meta, false)
}

// setPasswordByLink spends a link that lets its user choose a password
// (a reset link when reset, else a setup or invite link), sets the
// password, ends the user's sessions and signs them in, in one
// transaction. A reset also ends the user's other reset links and is
// audited as the user.
func (a *Accounts) setPasswordByLink(ctx context.Context, token, pw string, meta attribution.SessionMeta, reset bool) (*attribution.SignedIn, error) {
	l, u, err := a.Link(ctx, token)
	if err != nil {
		return nil, err
	}
	if u == nil || l.Kind == attribution.LinkFirstRun || (l.Kind == attribution.LinkReset) != reset {
		return nil, attribution.ErrNoSuchLink()
	}
	if err := attribution.ValidatePassword(pw, u.Email); err != nil {
		return nil, err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return nil, err
	}
	now := a.now()
	var out *attribution.SignedIn
	err = a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := spendLink(ctx, tx, token, l.Kind, now); err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now
		if _, err := tx.NewUpdate().Model(u).Column("password_hash", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		// Whoever knew the old password is signed out everywhere.
		res, err := tx.NewDelete().Model((*attribution.Session)(nil)).Where("user_id = ?", u.ID).Exec(ctx)
		if err != nil {
			return err
		}
		if reset {
			if err := a.passwordWasReset(ctx, tx, u, res, now); err != nil {
				return err
			}
		}
		out, err = startSession(ctx, tx, u, meta, now)
		return err
	})
	return out, err
}

// SignIn counts the recent failures of the account and of the IP, refuses
// when either reached the limit (attribution.SignInThrottled), and
// otherwise checks the password. An unknown email costs the time of a
// password check and fails like a wrong password.
func (a *Accounts) SignIn(ctx context.Context, email, pw string, meta attribution.SessionMeta) (*attribution.SignedIn, error) {
	email = attribution.NormalizeEmail(email)
	now := a.now()
	keys := attribution.ThrottleKeys(email, meta.IP)
	counts, err := recentAttempts(ctx, a.db, keys, now)
	if err != nil {
		return nil, classify(err)
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	if attribution.SignInThrottled(most) {
		return nil, attribution.ErrSignInThrottled()
	}
	u, err := findUser(ctx, a.db, "email = ?", email)
	switch {
	case attribution.ErrorCode(err) == attribution.ENOTFOUND:
		password.Waste(pw)
	case err != nil:
		return nil, err
	case password.Verify(u.PasswordHash, pw):
		return a.signedIn(ctx, u, pw, keys[0], meta, now)
	}
	if err := a.recordFailure(ctx, keys, now); err != nil {
		return nil, err
	}
	return nil, attribution.ErrWrongCredentials()
}

// signedIn clears the account's failures, upgrades an old password hash and
// starts the session.
func (a *Accounts) signedIn(ctx context.Context, u *attribution.User, pw, accountKey string, meta attribution.SessionMeta, now time.Time) (*attribution.SignedIn, error) {
	var rehash string
	if password.NeedsRehash(u.PasswordHash) {
		rehash, _ = password.Hash(pw) // on failure the old hash stays, still valid
	}
	var out *attribution.SignedIn
	err := a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().TableExpr("sign_in_failures").Where("key_hash = ?", accountKey).Exec(ctx); err != nil {
			return err
		}
		if rehash != "" {
			u.PasswordHash, u.UpdatedAt = rehash, now
			if _, err := tx.NewUpdate().Model(u).Column("password_hash", "updated_at").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		var err error
		out, err = startSession(ctx, tx, u, meta, now)
		return err
	})
	return out, err
}

// recordFailure counts one failure for each key.
func (a *Accounts) recordFailure(ctx context.Context, keys []string, now time.Time) error {
	return a.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return recordAttempt(ctx, tx, keys, now)
	})
}

// recentAttempts counts the attempts of each key within
// attribution.SignInFailureWindow of now.
func recentAttempts(ctx context.Context, db bun.IDB, keys []string, now time.Time) (map[string]int, error) {
	var rows []struct {
		Key string `bun:"key_hash"`
		N   int    `bun:"n"`
	}
	err := db.NewSelect().TableExpr("sign_in_failures").ColumnExpr("key_hash, COUNT(*) AS n").
		Where("key_hash IN (?) AND failed_at > ?", bun.List(keys), now.Add(-attribution.SignInFailureWindow)).
		GroupExpr("key_hash").Scan(ctx, &rows)
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Key] = r.N
	}
	return counts, err
}

// recordAttempt counts one attempt for each key and forgets those that
// left the window.
func recordAttempt(ctx context.Context, db bun.IDB, keys []string, now time.Time) error {
	if _, err := db.NewDelete().TableExpr("sign_in_failures").
		Where("key_hash IN (?) AND failed_at <= ?", bun.List(keys), now.Add(-attribution.SignInFailureWindow)).Exec(ctx); err != nil {
		return err
	}
	rows := make([]signInFailure, len(keys))
	for i, k := range keys {
		rows[i] = signInFailure{KeyHash: k, FailedAt: now}
	}
	_, err := db.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// signInFailure is one failed sign-in, counted by an account or IP hash;
// the table also counts requests of password reset links, by keys of
// their own (attribution.PasswordResetKeys).
type signInFailure struct {
	bun.BaseModel `bun:"table:sign_in_failures"`
	KeyHash       string    `bun:"key_hash"`
	FailedAt      time.Time `bun:"failed_at"`
}

func startSession(ctx context.Context, db bun.IDB, u *attribution.User, meta attribution.SessionMeta, now time.Time) (*attribution.SignedIn, error) {
	token := attribution.NewSessionToken()
	s := &attribution.Session{ID: attribution.NewID(attribution.PrefixSession, now), TokenHash: attribution.HashKey(token),
		UserID: u.ID, VendorID: u.VendorID, UserAgent: attribution.SessionUserAgent(meta.UserAgent), CreatedAt: now, LastSeenAt: now}
	if _, err := db.NewInsert().Model(s).Exec(ctx); err != nil {
		return nil, err
	}
	return &attribution.SignedIn{User: u, Token: token}, nil
}

// Session returns the live session of token and its user, recording the
// use at most every attribution.SessionTouchEvery; an expired session is
// deleted.
func (a *Accounts) Session(ctx context.Context, token string) (*attribution.Session, *attribution.User, error) {
	none := attribution.Errorf(attribution.EUNAUTHORIZED, "Sign in to continue.")
	if token == "" || len(token) > 200 {
		return nil, nil, none
	}
	s := new(attribution.Session)
	err := a.db.NewSelect().Model(s).Where("token_hash = ?", attribution.HashKey(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, none
	} else if err != nil {
		return nil, nil, classify(err)
	}
	now := a.now()
	if s.Expired(now) {
		if _, err := a.db.NewDelete().Model(s).WherePK().Exec(ctx); err != nil {
			return nil, nil, classify(err)
		}
		return nil, nil, none
	}
	u, err := findUser(ctx, a.db, "id = ?", s.UserID)
	if attribution.ErrorCode(err) == attribution.ENOTFOUND {
		return nil, nil, none
	} else if err != nil {
		return nil, nil, err
	}
	if s.NeedsTouch(now) {
		s.LastSeenAt = now
		if _, err := a.db.NewUpdate().Model(s).Column("last_seen_at").WherePK().Exec(ctx); err != nil {
			return nil, nil, classify(err)
		}
	}
	return s, u, nil
}

// SignOut deletes the session of token.
func (a *Accounts) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	_, err := a.db.NewDelete().Model((*attribution.Session)(nil)).Where("token_hash = ?", attribution.HashKey(token)).Exec(ctx)
	return classify(err)
}
