package attribution

import (
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Tally sends email through an outbox: the change that causes a message
// stores it in the same transaction, and a worker sends it over SMTP.
// The messages themselves are built here, from domain values, by the
// functions of mailbuild.go.

// Message kinds. Essential messages are always sent; the recipient may opt
// out of the optional ones (MailOptional).
const (
	MailSetupLink           = "setup_link"           // a new dashboard user chooses a password
	MailInviteLink          = "invite_link"          // a teammate is invited to the dashboard
	MailResetLink           = "reset_link"           // a forgotten password
	MailApplicationReceived = "application_received" // to the applicant
	MailApplicationApproved = "application_approved" // to the applicant
	MailApplicationRejected = "application_rejected" // to the applicant
	MailPartnerSignIn       = "partner_sign_in"      // the partner portal's one-time link
	MailNewReward           = "new_reward"           // optional, to the partner
	MailPayoutSent          = "payout_sent"          // optional, to the partner
	MailNewApplication      = "new_application"      // to the vendor's admins
	MailWeeklySummary       = "weekly_summary"       // optional, to the vendor's admins
	MailPartnerInvite       = "partner_invite"       // a partner is invited to the program
	MailWebhookDisabled     = "webhook_disabled"     // to the vendor's admins
)

// MailKinds lists every kind.
var MailKinds = []string{MailSetupLink, MailInviteLink, MailResetLink, MailApplicationReceived,
	MailApplicationApproved, MailApplicationRejected, MailPartnerSignIn, MailNewReward, MailPayoutSent,
	MailNewApplication, MailWeeklySummary, MailPartnerInvite, MailWebhookDisabled}

// MailOptional reports whether the recipient may opt out of kind: news
// (a reward, a payout, the weekly summary) is optional; links to sign in
// and decisions about an application are not.
func MailOptional(kind string) bool {
	return kind == MailNewReward || kind == MailPayoutSent || kind == MailWeeklySummary
}

// Message is one email. FromName is the program's name, shown as the
// sender; the address is TALLY_MAIL_FROM. ID and MessageID are set when
// the message is enqueued and when it is first claimed for sending: a
// resend carries the same Message-ID, so a receiver can tell a duplicate.
type Message struct {
	ID       string
	VendorID string // "" for deployment-wide messages
	Kind     string
	To       string
	FromName string
	Subject  string
	Text     string // the plain-text part
	HTML     string // the HTML part
	// UnsubscribeURL is the List-Unsubscribe target of an optional kind;
	// essential kinds have none.
	UnsubscribeURL string
	// ExpiresAt, when set, is when the one-time link the message carries
	// dies: an unsent message is not sent after it.
	ExpiresAt *time.Time
	MessageID string
}

// PrefixMail starts outbox ids.
const PrefixMail = "mail_"

// maxSubjectLen bounds a subject (RFC 5322 recommends lines under 78
// characters; a longer subject is folded, but stays readable).
const maxSubjectLen = 200

// Validate checks a message before it is stored. EINVALID.
func (m *Message) Validate() error {
	switch {
	case !slices.Contains(MailKinds, m.Kind):
		return Errorf(EINVALID, "unknown message kind %q.", m.Kind)
	case !ValidEmail(m.To):
		return Errorf(EINVALID, "The recipient %q is not an email address.", m.To)
	case m.Subject == "" || len(m.Subject) > maxSubjectLen || strings.ContainsAny(m.Subject, "\r\n"):
		return Errorf(EINVALID, "A message needs a one-line subject of at most %d bytes.", maxSubjectLen)
	case strings.ContainsAny(m.FromName, "\r\n"):
		return Errorf(EINVALID, "The sender's name must be one line.")
	case m.Text == "" || m.HTML == "":
		return Errorf(EINVALID, "A message needs a text and an HTML part.")
	case MailOptional(m.Kind) != (m.UnsubscribeURL != ""):
		return Errorf(EINVALID, "An optional message (and only one) has an unsubscribe link.")
	case m.UnsubscribeURL != "" && ValidateHTTPURL("unsubscribe URL", m.UnsubscribeURL) != nil:
		return Errorf(EINVALID, "The unsubscribe link must be an absolute http(s) URL.")
	}
	return nil
}

// MessageID is the Message-ID (without angle brackets) of the outbox
// message id sent from the address from: the id is unique, and the domain
// is the sender's, as RFC 5322 suggests.
func MessageID(id, from string) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			domain = a.Address[i+1:]
		}
	}
	return id + "@" + domain
}
