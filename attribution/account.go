package attribution

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// A vendor's people sign in to the dashboard as users. A user belongs to
// one vendor; an email names one user in the whole deployment, so signing
// in needs nothing but the email and the password.

// User roles.
const (
	RoleAdmin  = "admin"  // everything
	RoleViewer = "viewer" // reads everything, changes nothing
)

// Roles lists the roles.
var Roles = []string{RoleAdmin, RoleViewer}

// PrefixUser and PrefixSession start user and session ids.
const (
	PrefixUser    = "usr_"
	PrefixSession = "ses_"
)

// User is a person who signs in to a vendor's dashboard. PasswordHash is
// empty until the user chooses a password through a setup link.
type User struct {
	ID           string    `json:"id" bun:"id,pk"`
	VendorID     string    `json:"vendor_id" bun:"vendor_id"`
	Email        string    `json:"email" bun:"email"`
	Role         string    `json:"role" bun:"role"`
	PasswordHash string    `json:"-" bun:"password_hash"`
	CreatedAt    time.Time `json:"created_at" bun:"created_at"`
	UpdatedAt    time.Time `json:"updated_at" bun:"updated_at"`
}

// MayChange reports whether u may change anything: viewers only read.
func (u *User) MayChange() bool { return u.Role == RoleAdmin }

// ValidateRole normalizes role ("" means admin) and checks it. EINVALID.
func ValidateRole(role *string) error {
	*role = strings.ToLower(strings.TrimSpace(*role))
	if *role == "" {
		*role = RoleAdmin
	}
	if !slices.Contains(Roles, *role) {
		return Errorf(EINVALID, "role must be admin or viewer.")
	}
	return nil
}

// ValidateUserEmail normalizes a user's email and checks it. EINVALID.
func ValidateUserEmail(email *string) error {
	*email = NormalizeEmail(*email)
	if *email == "" {
		return Errorf(EINVALID, "Email is required.")
	}
	if !ValidEmail(*email) {
		return Errorf(EINVALID, "Email must be an address such as ada@example.com.")
	}
	return nil
}

// Password policy: long enough to resist guessing, short enough to hash
// cheaply, and not the email itself. No composition rules: they make
// passwords harder to remember, not to guess.
const (
	MinPasswordLen = 10  // characters
	MaxPasswordLen = 200 // bytes
)

// ValidatePassword applies the password policy for the user with email. EINVALID.
func ValidatePassword(password, email string) error {
	switch {
	case !utf8.ValidString(password) || strings.IndexByte(password, 0) >= 0:
		return Errorf(EINVALID, "Password holds characters that cannot be stored.")
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return Errorf(EINVALID, "Password must be at least %d characters long.", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return Errorf(EINVALID, "Password must be at most %d characters long.", MaxPasswordLen)
	case email != "" && strings.EqualFold(strings.TrimSpace(password), email):
		return Errorf(EINVALID, "Password must not be your email address.")
	}
	return nil
}

// Sessions. A session lives on the server; the browser's cookie holds a
// random token whose hash (HashKey) finds the row. A session ends when it
// has not been used for SessionIdleTimeout, or on sign-out.
const (
	SessionIdleTimeout = 14 * 24 * time.Hour
	// SessionTouchEvery spaces the writes of LastSeenAt: a page view
	// within this much of the last one does not write.
	SessionTouchEvery = 5 * time.Minute
	// maxUserAgentLen bounds the user agent kept to name a session.
	maxUserAgentLen = 200
)

// Session is a signed-in browser.
type Session struct {
	ID         string    `json:"id" bun:"id,pk"`
	TokenHash  string    `json:"-" bun:"token_hash"`
	UserID     string    `json:"user_id" bun:"user_id"`
	VendorID   string    `json:"vendor_id" bun:"vendor_id"`
	UserAgent  string    `json:"user_agent" bun:"user_agent"`
	CreatedAt  time.Time `json:"created_at" bun:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at" bun:"last_seen_at"`
}

// Expired reports whether s has been idle too long at now.
func (s *Session) Expired(now time.Time) bool {
	return !now.Before(s.LastSeenAt.Add(SessionIdleTimeout))
}

// NeedsTouch reports whether using s at now should record it as last seen.
func (s *Session) NeedsTouch(now time.Time) bool { return now.Sub(s.LastSeenAt) >= SessionTouchEvery }

// SessionMeta describes the browser signing in: its IP (throttling only,
// never stored) and user agent (kept to name the session).
type SessionMeta struct {
	IP        string
	UserAgent string
}

// SessionUserAgent is the user agent as a session keeps it.
func SessionUserAgent(ua string) string {
	ua = strings.ToValidUTF8(strings.ReplaceAll(ua, "\x00", ""), "")
	if len(ua) > maxUserAgentLen {
		ua = ua[:maxUserAgentLen]
		for !utf8.ValidString(ua) {
			ua = ua[:len(ua)-1]
		}
	}
	return ua
}

// NewSessionToken returns the random token of a session cookie.
func NewSessionToken() string { return RandomString(43) }

// CSRFToken is the form token of the session whose cookie holds token: it
// cannot be computed without the cookie, and the database (which keeps only
// HashKey(token)) cannot derive it either.
func CSRFToken(token string) string { return HashKey("csrf:" + token) }

// Sign-in throttling: after SignInMaxFailures failed sign-ins within
// SignInFailureWindow, for one account or from one IP, further attempts are
// refused until the oldest failure leaves the window.
const (
	SignInMaxFailures   = 5
	SignInFailureWindow = 15 * time.Minute
)

// SignInThrottled reports whether an attempt is refused given the number of
// failures of its account or IP (the larger) within the window.
func SignInThrottled(recentFailures int) bool { return recentFailures >= SignInMaxFailures }

// ErrSignInThrottled is the answer to a throttled sign-in.
func ErrSignInThrottled() error {
	return Errorf(ERATELIMIT, "Too many failed sign-ins. Wait 15 minutes, then try again.")
}

// ErrWrongCredentials is the one answer to any wrong email or password, so
// the answer never tells whether an email has an account.
func ErrWrongCredentials() error {
	return Errorf(EUNAUTHORIZED, "The email or password is not right.")
}

// ThrottleKeys are what sign-in failures are counted by: the account (the
// email as typed, normalized) and the IP.
func ThrottleKeys(email, ip string) []string {
	return []string{HashKey("email:" + NormalizeEmail(email)), HashKey("ip:" + ip)}
}

// One-time links let a person into the dashboard once: the first-run link
// creates the first program and its admin; a setup link lets a new user
// choose a password; an invite link does the same for a teammate; a reset
// link replaces a forgotten password. Each is single use and stored hashed.
const (
	LinkFirstRun = "first_run"
	LinkSetup    = "setup"
	LinkInvite   = "invite"
	LinkReset    = "reset"
)

// LinkLifetime is how long a one-time link of kind stays usable.
func LinkLifetime(kind string) time.Duration {
	switch kind {
	case LinkReset:
		return time.Hour
	case LinkInvite:
		return 7 * 24 * time.Hour
	default: // first run and setup
		return 72 * time.Hour
	}
}

// AccountLink is a one-time link; the token itself is only in the link.
// VendorID and UserID are empty for the first-run link.
type AccountLink struct {
	TokenHash string     `json:"-" bun:"token_hash,pk"`
	Kind      string     `json:"kind" bun:"kind"`
	VendorID  string     `json:"vendor_id" bun:"vendor_id"`
	UserID    string     `json:"user_id" bun:"user_id"`
	CreatedAt time.Time  `json:"created_at" bun:"created_at"`
	ExpiresAt time.Time  `json:"expires_at" bun:"expires_at"`
	UsedAt    *time.Time `json:"used_at" bun:"used_at"`
}

// NewAccountLink returns a link of kind made at now and its token.
func NewAccountLink(kind, vendorID, userID string, now time.Time) (*AccountLink, string) {
	token := RandomString(43)
	return &AccountLink{TokenHash: HashKey(token), Kind: kind, VendorID: vendorID, UserID: userID,
		CreatedAt: now, ExpiresAt: now.Add(LinkLifetime(kind))}, token
}

// Usable reports why l cannot be used at now, or nil. ENOTFOUND.
func (l *AccountLink) Usable(now time.Time) error {
	if l.UsedAt != nil {
		return Errorf(ENOTFOUND, "This link was already used. Sign in, or ask an admin for a new link.")
	}
	if !now.Before(l.ExpiresAt) {
		return Errorf(ENOTFOUND, "This link has expired. Ask an admin for a new link.")
	}
	return nil
}

// SetupPath is the path of the setup (or invite) link of token, where a
// user chooses a password.
func SetupPath(token string) string { return "/setup/" + token }

// PasswordResetPath is the path of the reset link of token.
func PasswordResetPath(token string) string { return "/password/reset/" + token }

// Asking for a password reset link is throttled as asking for a partner's
// sign-in link is (SignInRequestThrottled): every request counts, for the
// email as typed and for the IP, whether or not the email has a user.
// The keys differ from ThrottleKeys, so asking never counts as a failed
// sign-in.
func PasswordResetKeys(email, ip string) (emailKey, ipKey string) {
	return HashKey("reset-email:" + NormalizeEmail(email)), HashKey("reset-ip:" + ip)
}

// ErrPasswordResetThrottled answers a throttled request, whether or not the
// email has a user.
func ErrPasswordResetThrottled() error {
	return Errorf(ERATELIMIT, "Too many reset links were asked for. Wait 15 minutes, then try again.")
}

// ActionUserPasswordReset is the audit action of a password replaced
// through a reset link; its actor is the user's email.
const ActionUserPasswordReset = "user.password_reset"

// ErrNoSuchLink answers a token that names no link.
func ErrNoSuchLink() error {
	return Errorf(ENOTFOUND, "This link is not valid. Check that you copied all of it.")
}

// FirstRun is the first-run form: the program (the vendor) and its admin.
type FirstRun struct {
	ProgramName string
	Domain      string
	Email       string
	Password    string
}

// Validate checks every field before anything is created, so a typo never
// spends the link. EINVALID.
func (f *FirstRun) Validate() error {
	f.ProgramName = strings.TrimSpace(f.ProgramName)
	if err := validateName("Program name", f.ProgramName); err != nil {
		return err
	}
	var scratch Vendor // the vendor service applies the same update
	if err := (VendorUpdate{Name: &f.ProgramName, Domain: &f.Domain}).Apply(&scratch); err != nil {
		return err
	}
	f.Domain = scratch.Domain
	if err := ValidateUserEmail(&f.Email); err != nil {
		return err
	}
	return ValidatePassword(f.Password, f.Email)
}

// SignedIn is a new session: its user and the cookie's token.
type SignedIn struct {
	User  *User
	Token string
}

// AccountService manages users, their sessions and one-time links.
type AccountService interface {
	// FirstRunLink returns the token of a new first-run link when no vendor
	// exists yet, "" otherwise.
	FirstRunLink(ctx context.Context) (string, error)
	// CheckNewUser reports whether a user with email may be created.
	// EINVALID, ECONFLICT (the email has a user).
	CheckNewUser(ctx context.Context, email string) error
	// CreateUser creates a user of vendorID without a password and returns
	// the token of its setup link. EINVALID, ENOTFOUND (vendor), ECONFLICT.
	CreateUser(ctx context.Context, vendorID, email, role string) (*User, string, error)
	// Link returns the usable one-time link of token and its user (nil for
	// the first-run link). ENOTFOUND.
	Link(ctx context.Context, token string) (*AccountLink, *User, error)
	// CompleteFirstRun spends a first-run link: it creates the vendor (with
	// the vendor service) and its admin, and signs the admin in.
	// EINVALID, ENOTFOUND (link), ECONFLICT.
	CompleteFirstRun(ctx context.Context, token string, f FirstRun, meta SessionMeta) (*SignedIn, error)
	// CompleteSetup spends a setup or invite link: it sets the user's
	// password and signs them in. EINVALID, ENOTFOUND (link; a reset link
	// is not taken).
	CompleteSetup(ctx context.Context, token, password string, meta SessionMeta) (*SignedIn, error)
	// RequestPasswordReset emails a reset link (LinkReset) to the user whose
	// email is email; for an unknown email it does nothing, with the same
	// answer. EINVALID, ERATELIMIT (ErrPasswordResetThrottled).
	RequestPasswordReset(ctx context.Context, email string, meta SessionMeta) error
	// CompletePasswordReset spends a reset link: it sets the user's
	// password, ends all their sessions and their other reset links, signs
	// them in, and audits it as the user. EINVALID, ENOTFOUND (link).
	CompletePasswordReset(ctx context.Context, token, password string, meta SessionMeta) (*SignedIn, error)
	// SignIn checks an email and password and starts a session.
	// EUNAUTHORIZED (ErrWrongCredentials), ERATELIMIT (ErrSignInThrottled).
	SignIn(ctx context.Context, email, password string, meta SessionMeta) (*SignedIn, error)
	// Session returns the live session of a cookie token and its user.
	// EUNAUTHORIZED.
	Session(ctx context.Context, token string) (*Session, *User, error)
	// SignOut ends the session of a cookie token; an unknown one is no error.
	SignOut(ctx context.Context, token string) error
}
