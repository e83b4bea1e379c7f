package attribution

import (
	"context"
	"time"
)

// A vendor's admins manage its team from Settings: they invite users
// (a one-time setup link, shown to copy when email is off) and see and
// end sessions. Each change is audited with the admin's email as actor.

// Audit actions and object types of the team.
const (
	ActionUserInvite    = "user.invite"
	ActionSessionRevoke = "session.revoke"
	ObjectUser          = "user"
	ObjectSession       = "session"
)

// Invitation is a new user and the token of their one-time setup link.
type Invitation struct {
	User  *User
	Token string // "" for a user who has a password: the link went by email only
}

// TeamService lists a vendor's users and sessions, invites users and ends
// sessions.
type TeamService interface {
	// ListUsers lists the vendor's users, oldest first.
	ListUsers(ctx context.Context, vendorID string) ([]*User, error)
	// InviteUser creates a user without a password and its invite link,
	// emailed, audited as actor; an email of a user of this vendor gets a
	// new invite link instead. EINVALID, ECONFLICT (the email has a user
	// of another vendor).
	InviteUser(ctx context.Context, vendorID, actor, email, role string) (*Invitation, error)
	// ListSessions lists a user's live sessions, the last used first.
	ListSessions(ctx context.Context, vendorID, userID string) ([]*Session, error)
	// RevokeSession ends one of the user's sessions, audited as actor.
	// ENOTFOUND.
	RevokeSession(ctx context.Context, vendorID, userID, actor, sessionID string) error
}

// SessionView is a session as the audit log keeps it: never its token.
type SessionView struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// View returns what the audit log keeps of s.
func (s *Session) View() SessionView {
	return SessionView{ID: s.ID, UserID: s.UserID, UserAgent: s.UserAgent, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt}
}
