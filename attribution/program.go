package attribution

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The partner program's public side: a vendor may turn on a page,
// /join/{slug}, where anyone applies to become a partner (a pending partner
// the vendor approves or rejects), and may invite a partner by email (an
// invited partner, active once they accept).

// ProgramPage is the vendor's public /join/{slug} page. The slug is unique
// per deployment; "" until the vendor picks one or turns the page on.
type ProgramPage struct {
	Enabled bool   `json:"enabled" bun:"enabled"`
	Slug    string `json:"slug" bun:"slug"`
}

// ProgramPageUpdate holds the fields a PATCH may change; nil means unchanged.
type ProgramPageUpdate struct {
	Enabled *bool   `json:"enabled"`
	Slug    *string `json:"slug"`
}

// apply validates upd and copies it onto pp. A slug is lower-cased; ""
// leaves the choice to the default (ProgramSlugFrom) when the page is on.
func (upd ProgramPageUpdate) apply(pp *ProgramPage) error {
	if upd.Slug != nil {
		slug := strings.ToLower(strings.TrimSpace(*upd.Slug))
		if slug != "" && !ValidProgramSlug(slug) {
			return Errorf(EINVALID, "program_page.slug must be 2 to %d lower-case letters, digits or hyphens, starting and ending with a letter or digit (and not %q).", maxSlugLen, reservedSlug)
		}
		pp.Slug = slug
	}
	if upd.Enabled != nil {
		pp.Enabled = *upd.Enabled
	}
	return nil
}

const maxSlugLen = 50

// reservedSlug is the path segment of invite links, /join/invite/{token}.
const reservedSlug = "invite"

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// ValidProgramSlug reports whether s may name a program page.
func ValidProgramSlug(s string) bool {
	return len(s) >= 2 && len(s) <= maxSlugLen && slugRE.MatchString(s) && !strings.Contains(s, "--") && s != reservedSlug
}

// ProgramSlugFrom derives a program page's default slug from the program's
// name: "Acme Rockets, Inc." → "acme-rockets-inc". Letters other than a-z
// and digits separate words; a name with none gives "program".
func ProgramSlugFrom(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	slug := strings.TrimRight(Clip(b.String(), maxSlugLen-4), "-") // room for a "-NNN" suffix
	if !ValidProgramSlug(slug) {
		return "program"
	}
	return slug
}

// ProgramSlugCandidate is the n-th slug tried for base when the ones
// before were taken: base, base-2, base-3, …
func ProgramSlugCandidate(base string, n int) string {
	if n <= 1 {
		return base
	}
	return base + "-" + strconv.Itoa(n)
}

// RewardSummary says, for an applicant, what a partner earns under rule r:
// "20 % of every purchase for 12 months", "USD 50.00 for the first
// purchase", "12.5 % of every purchase". nil: "".
func RewardSummary(r *RewardRule) string {
	if r == nil {
		return ""
	}
	var what string
	if r.Type == RewardPercent {
		what = strconv.FormatFloat(float64(r.Percent)/100, 'f', -1, 64) + " % of"
	} else {
		what = FormatMoney(r.Amount, r.Currency) + " for"
	}
	switch d := r.DurationMonths; {
	case d == nil:
		return what + " every purchase"
	case *d == 0:
		return what + " the first purchase"
	case *d == 1:
		return what + " every purchase for 1 month"
	default:
		return fmt.Sprintf("%s every purchase for %d months", what, *d)
	}
}

// Application is what an applicant types on the program page. Website
// ("Website or audience") is optional free text.
type Application struct {
	Name    string
	Email   string
	Website string
}

const maxWebsiteLen = 500

// Validate normalizes and checks a. EINVALID.
func (a *Application) Validate() error {
	a.Name = strings.Join(strings.Fields(a.Name), " ")
	a.Email = NormalizeEmail(a.Email)
	a.Website = strings.Join(strings.Fields(a.Website), " ")
	if a.Name == "" {
		return Errorf(EINVALID, "Name is required.")
	}
	if err := validateName("Name", a.Name); err != nil {
		return err
	}
	if !ValidEmail(a.Email) {
		return Errorf(EINVALID, "Email must be an email address such as you@example.com.")
	}
	if utf8.RuneCountInString(a.Website) > maxWebsiteLen {
		return Errorf(EINVALID, "Website or audience is longer than %d characters.", maxWebsiteLen)
	}
	return nil
}

// ActorApplicant is the audit actor of an application: anyone on the
// public page.
const ActorApplicant = "applicant"

// PartnerActor is the audit actor of a partner's own change.
func PartnerActor(partnerID string) string { return "partner:" + partnerID }

// Audit actions of the program.
const (
	ActionPartnerApply        = "partner.apply"
	ActionPartnerInvite       = "partner.invite"
	ActionPartnerAcceptInvite = "partner.accept_invite"
)

// PortalSignInPath is where a partner signs in to the portal; approval
// emails point there.
const PortalSignInPath = "/partner/login"

// ProgramService is the public program page, applications and invites.
type ProgramService interface {
	// ProgramBySlug returns the vendor whose page is slug, when it is on.
	// ENOTFOUND otherwise.
	ProgramBySlug(ctx context.Context, slug string) (*Vendor, error)
	// Apply records an application on slug's page: a pending partner,
	// audited as ActorApplicant, with the applicant's and the admins'
	// emails. An email that is already a partner of the program changes
	// nothing and answers the same. EINVALID, ENOTFOUND.
	Apply(ctx context.Context, slug string, a Application) error
	// InvitePartner makes a new one-time invite link (PartnerInviteLifetime)
	// for an invited partner, emails it, and returns it; an older link of
	// the partner stops working. Audited as actor. ENOTFOUND, ECONFLICT
	// (the partner is not invited).
	InvitePartner(ctx context.Context, vendorID, actor, partnerID string) (*PartnerInvite, error)
	// Invite returns the invite of token and its program, while it can
	// be accepted. ENOTFOUND.
	Invite(ctx context.Context, token string) (*PartnerInvite, *Vendor, error)
	// AcceptInvite spends token: the partner becomes active, gets a first
	// link (FirstLink) and is signed in to the portal. Audited as the
	// partner. ENOTFOUND.
	AcceptInvite(ctx context.Context, token string, meta SessionMeta) (*PartnerSignedIn, error)
}
