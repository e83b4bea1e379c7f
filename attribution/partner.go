package attribution

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Partner statuses: pending (applied), invited (by the vendor, until they
// accept), active, rejected (an application turned down), disabled. Only an
// active partner's links carry a token and earn (PartnerCarriesToken); the
// others' links still redirect.
const (
	PartnerPending  = "pending"
	PartnerInvited  = "invited"
	PartnerActive   = "active"
	PartnerRejected = "rejected"
	PartnerDisabled = "disabled"
)

// PartnerStatuses lists the accepted partner status values.
var PartnerStatuses = []string{PartnerPending, PartnerInvited, PartnerActive, PartnerRejected, PartnerDisabled}

// PartnerCarriesToken reports whether clicks on the links of a partner with
// this status hand the visitor a click token: only an active partner's do.
// The others' clicks are recorded and redirected like a bot's, never credited.
func PartnerCarriesToken(status string) bool { return status == PartnerActive }

// Decisions on a partner's application.
const (
	PartnerApprove = "approve"
	PartnerReject  = "reject"
)

// Decide applies an application decision to p: approve makes a pending (or
// invited) partner active, reject makes a pending one rejected. Any other
// starting status is ECONFLICT, so a decision is never applied twice.
func (p *Partner) Decide(decision string) error {
	switch {
	case decision == PartnerApprove && (p.Status == PartnerPending || p.Status == PartnerInvited):
		p.Status = PartnerActive
	case decision == PartnerReject && p.Status == PartnerPending:
		p.Status = PartnerRejected
	case decision != PartnerApprove && decision != PartnerReject:
		return Errorf(EINVALID, "decision must be %q or %q.", PartnerApprove, PartnerReject)
	default:
		return Errorf(ECONFLICT, "This partner is %s: there is no application to %s.", p.Status, decision)
	}
	return nil
}

// Partner shares referral links for one vendor.
type Partner struct {
	ID        string `json:"id" bun:"id,pk"`
	VendorID  string `json:"vendor_id" bun:"vendor_id"`
	Name      string `json:"name" bun:"name"`
	Email     string `json:"email" bun:"email"`
	Status    string `json:"status" bun:"status"`
	TokenHash string `json:"-" bun:"token_hash"`
	// RewardRule overrides the vendor's rule for this partner; nil follows it.
	RewardRule *RewardRule `json:"reward_rule" bun:"reward_rule"`
	CreatedAt  time.Time   `json:"created_at" bun:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at" bun:"updated_at"`

	// Website is what an applicant typed as "Website or audience" ("" for
	// a partner the vendor created or invited).
	Website string `json:"website" bun:"website"`
}

// PartnerCreate is the body of a partner creation.
type PartnerCreate struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Status string `json:"status"`
}

// Validate normalizes and checks c.
func (c *PartnerCreate) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	c.Email = NormalizeEmail(c.Email)
	if c.Status == "" {
		c.Status = PartnerActive
	}
	if err := validateName("name", c.Name); err != nil {
		return err
	}
	if c.Email == "" || !ValidEmail(c.Email) {
		return Errorf(EINVALID, "email must be a valid email address.")
	}
	return validatePartnerStatus(c.Status)
}

// PartnerUpdate holds the fields a PATCH may change; nil means unchanged.
type PartnerUpdate struct {
	Name   *string `json:"name"`
	Email  *string `json:"email"`
	Status *string `json:"status"`
	// RewardRule: absent unchanged, null follows the vendor's rule.
	RewardRule RewardRuleUpdate `json:"reward_rule"`
	// Reason, optional, goes to the audit log.
	Reason string `json:"reason"`
}

// Apply validates upd and copies it onto p.
func (upd PartnerUpdate) Apply(p *Partner) error {
	if upd.Name != nil {
		name := strings.TrimSpace(*upd.Name)
		if err := validateName("name", name); err != nil {
			return err
		}
		p.Name = name
	}
	if upd.Email != nil {
		email := NormalizeEmail(*upd.Email)
		if !ValidEmail(email) {
			return Errorf(EINVALID, "email must be a valid email address.")
		}
		p.Email = email
	}
	if upd.Status != nil {
		if err := validatePartnerStatus(*upd.Status); err != nil {
			return err
		}
		p.Status = *upd.Status
	}
	rule, err := upd.RewardRule.apply(p.RewardRule)
	if err != nil {
		return err
	}
	p.RewardRule = rule
	return nil
}

// RuleFor returns the reward rule that applies to partner p of vendor v:
// the partner's override, else the vendor's rule (nil: no rewards).
func RuleFor(v *Vendor, p *Partner) *RewardRule {
	if p != nil && p.RewardRule != nil {
		return p.RewardRule
	}
	return v.RewardRule
}

func validatePartnerStatus(s string) error {
	if !slices.Contains(PartnerStatuses, s) {
		return Errorf(EINVALID, "status must be one of %s.", strings.Join(PartnerStatuses, ", "))
	}
	return nil
}

// NewPartner is what creating a partner answers: the only time the token is shown.
type NewPartner struct {
	Partner *Partner
	Token   string
}

// PartnerFilter narrows a partner list.
type PartnerFilter struct {
	Email  string
	Status string
	Page   Page
}

// PartnerService manages a vendor's partners and their promotion codes.
// Every method is scoped to vendorID.
type PartnerService interface {
	// CreatePartner creates a partner and its portal token, audited as actor. EINVALID, ECONFLICT (email taken).
	CreatePartner(ctx context.Context, vendorID, actor string, c PartnerCreate) (*NewPartner, error)
	// FindPartner returns one partner. ENOTFOUND.
	FindPartner(ctx context.Context, vendorID, id string) (*Partner, error)
	// ListPartners returns partners newest first, and whether more follow.
	ListPartners(ctx context.Context, vendorID string, f PartnerFilter) ([]*Partner, bool, error)
	// UpdatePartner applies upd, audited as actor. EINVALID, ENOTFOUND, ECONFLICT.
	UpdatePartner(ctx context.Context, vendorID, actor, id string, upd PartnerUpdate) (*Partner, error)
	// PartnerByToken authenticates a partner. EUNAUTHORIZED.
	PartnerByToken(ctx context.Context, token string) (*Partner, error)
	// AddPromotionCode gives a partner a promotion code. EINVALID, ENOTFOUND, ECONFLICT.
	AddPromotionCode(ctx context.Context, vendorID, actor, partnerID, code string) (*PromotionCode, error)
	// ListPromotionCodes lists a partner's codes. ENOTFOUND.
	ListPromotionCodes(ctx context.Context, vendorID, partnerID string) ([]*PromotionCode, error)
	// DecideApplication approves or rejects a partner's application
	// (Partner.Decide), audited as actor with the optional reason.
	// EINVALID, ENOTFOUND, ECONFLICT (no application to decide).
	DecideApplication(ctx context.Context, vendorID, actor, id, decision, reason string) (*Partner, error)
}
