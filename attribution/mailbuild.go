package attribution

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
)

// The messages' words live in mailtemplates/: for each kind, KIND.txt
// defines "subject" and "text", KIND.html defines "body"; layout.txt and
// layout.html wrap every message (the program's name, the unsubscribe
// link). Both parts say the same thing.

//go:embed mailtemplates
var mailFiles embed.FS

type mailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// mailTemplateSets holds each kind's templates, parsed once: a template
// that does not parse is a bug the tests catch.
var mailTemplateSets = func() map[string]mailTemplates {
	sets := map[string]mailTemplates{}
	for _, kind := range MailKinds {
		sets[kind] = mailTemplates{
			text: texttemplate.Must(texttemplate.ParseFS(mailFiles, "mailtemplates/layout.txt", "mailtemplates/"+kind+".txt")),
			html: htmltemplate.Must(htmltemplate.ParseFS(mailFiles, "mailtemplates/layout.html",
				"mailtemplates/button.html", "mailtemplates/"+kind+".html")),
		}
	}
	return sets
}()

// MailProgram is what every message of a program shares: its vendor and
// its name, which is the sender's display name.
type MailProgram struct {
	VendorID string
	Name     string
}

// OneTimeLink is a link a message carries that works once, until Expires.
type OneTimeLink struct {
	URL     string
	Issued  time.Time
	Expires time.Time
}

// mailData is what the templates read.
type mailData struct {
	Program     string
	To          string
	Subject     string
	Name        string // the recipient's name, the applicant's, or the inviter's
	Email       string // the applicant's email
	Reason      string // why an application was rejected, when the vendor said
	Link        string // the one-time link, or the page the message points to
	Action      string // the words of the link's button
	Valid       string // how long a one-time link works: "72 hours"
	Amount      string
	Period      string
	Summary     AnalyticsRow
	Revenue     []string
	Rewards     []string
	Unsubscribe string
	Endpoint    string // a webhook endpoint's URL (webhook_disabled)
}

// buildMail renders kind's templates with d into a message to to.
func buildMail(p MailProgram, kind, to string, d mailData) (*Message, error) {
	set := mailTemplateSets[kind]
	// One line: a name with a line break must not start a new header.
	name := strings.Join(strings.Fields(p.Name), " ")
	d.Program, d.To = name, to
	var subject, text, html bytes.Buffer
	if err := set.text.ExecuteTemplate(&subject, "subject", d); err != nil {
		return nil, fmt.Errorf("render %s subject: %w", kind, err)
	}
	d.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := set.text.ExecuteTemplate(&text, "layout.txt", d); err != nil {
		return nil, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := set.html.ExecuteTemplate(&html, "layout.html", d); err != nil {
		return nil, fmt.Errorf("render %s HTML: %w", kind, err)
	}
	m := &Message{VendorID: p.VendorID, Kind: kind, To: to, FromName: name,
		Subject: Clip(d.Subject, maxSubjectLen), Text: text.String(), HTML: html.String(), UnsubscribeURL: d.Unsubscribe}
	return m, m.Validate()
}

// linkMail builds a message carrying a one-time link: it is not sent once
// the link is dead.
func linkMail(p MailProgram, kind, to string, l OneTimeLink, d mailData) (*Message, error) {
	d.Link, d.Valid = l.URL, HumanDuration(l.Expires.Sub(l.Issued))
	m, err := buildMail(p, kind, to, d)
	if err != nil {
		return nil, err
	}
	expires := l.Expires
	m.ExpiresAt = &expires
	return m, nil
}

// SetupLinkMail tells a new dashboard user where to choose a password.
func SetupLinkMail(p MailProgram, to string, l OneTimeLink) (*Message, error) {
	return linkMail(p, MailSetupLink, to, l, mailData{Action: "Choose a password"})
}

// InviteLinkMail invites to to the dashboard on behalf of inviter.
func InviteLinkMail(p MailProgram, to, inviter string, l OneTimeLink) (*Message, error) {
	return linkMail(p, MailInviteLink, to, l, mailData{Name: inviter, Action: "Accept the invitation"})
}

// ResetLinkMail carries a password reset link.
func ResetLinkMail(p MailProgram, to string, l OneTimeLink) (*Message, error) {
	return linkMail(p, MailResetLink, to, l, mailData{Action: "Choose a new password"})
}

// PartnerSignInMail carries the partner portal's one-time sign-in link.
func PartnerSignInMail(p MailProgram, to string, l OneTimeLink) (*Message, error) {
	return linkMail(p, MailPartnerSignIn, to, l, mailData{Action: "Sign in"})
}

// ApplicationReceivedMail tells an applicant their application arrived.
func ApplicationReceivedMail(p MailProgram, to, name string) (*Message, error) {
	return buildMail(p, MailApplicationReceived, to, mailData{Name: name})
}

// ApplicationApprovedMail tells an applicant they are in, with the
// address of their portal.
func ApplicationApprovedMail(p MailProgram, to, name, portalURL string) (*Message, error) {
	return buildMail(p, MailApplicationApproved, to, mailData{Name: name, Link: portalURL, Action: "Open your partner portal"})
}

// ApplicationRejectedMail tells an applicant they were not accepted, and
// why when reason is given.
func ApplicationRejectedMail(p MailProgram, to, name, reason string) (*Message, error) {
	return buildMail(p, MailApplicationRejected, to, mailData{Name: name, Reason: reason})
}

// PartnerInviteMail invites a partner to the program: the one-time link
// opens the program's page with "Accept invite".
func PartnerInviteMail(p MailProgram, to, name string, l OneTimeLink) (*Message, error) {
	return linkMail(p, MailPartnerInvite, to, l, mailData{Name: name, Action: "Accept invite"})
}

// NewRewardMail tells a partner about a new reward (optional: unsubscribeURL
// is where they opt out).
func NewRewardMail(p MailProgram, to, name string, amount int64, currency, portalURL, unsubscribeURL string) (*Message, error) {
	return buildMail(p, MailNewReward, to, mailData{Name: name, Amount: FormatMoney(amount, currency),
		Link: portalURL, Action: "See your rewards", Unsubscribe: unsubscribeURL})
}

// PayoutSentMail tells a partner a payout was paid (optional).
func PayoutSentMail(p MailProgram, to, name string, amount int64, currency, portalURL, unsubscribeURL string) (*Message, error) {
	return buildMail(p, MailPayoutSent, to, mailData{Name: name, Amount: FormatMoney(amount, currency),
		Link: portalURL, Action: "See your payouts", Unsubscribe: unsubscribeURL})
}

// NewApplicationMail tells a vendor admin that someone applied.
func NewApplicationMail(p MailProgram, to, applicant, applicantEmail, reviewURL string) (*Message, error) {
	return buildMail(p, MailNewApplication, to, mailData{Name: applicant, Email: applicantEmail,
		Link: reviewURL, Action: "Review the application"})
}

// WeeklySummaryMail sums up a vendor's week [start, end) for an admin
// (optional). Amounts are listed per currency, in alphabetical order.
func WeeklySummaryMail(p MailProgram, to string, start, end time.Time, totals AnalyticsRow, dashboardURL, unsubscribeURL string) (*Message, error) {
	last := end.Add(-time.Nanosecond)
	return buildMail(p, MailWeeklySummary, to, mailData{
		Period:  start.Format("Jan 2") + " – " + last.Format("Jan 2, 2006"),
		Summary: totals, Revenue: moneyLines(totals.Revenue), Rewards: moneyLines(totals.Rewards),
		Link: dashboardURL, Action: "Open the dashboard", Unsubscribe: unsubscribeURL,
	})
}

func moneyLines(amounts map[string]int64) []string {
	currencies := make([]string, 0, len(amounts))
	for c := range amounts {
		currencies = append(currencies, c)
	}
	slices.Sort(currencies)
	lines := make([]string, len(currencies))
	for i, c := range currencies {
		lines[i] = FormatMoney(amounts[c], c)
	}
	return lines
}

// HumanDuration writes d in the largest whole unit: "15 minutes",
// "1 hour", "72 hours", "7 days".
func HumanDuration(d time.Duration) string {
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0 && d > 72*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	default:
		return unit(int64(max(d, time.Minute)/time.Minute), "minute")
	}
}
