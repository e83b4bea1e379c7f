package attribution

import (
	"context"
	"time"
)

// Reasons a conversion is not attributed, stored so the vendor can diagnose
// and credit by hand.
const (
	ReasonNoToken         = "no_token"
	ReasonExpired         = "expired"
	ReasonInvalidToken    = "invalid_token"
	ReasonOtherVendor     = "other_vendor"
	ReasonPartnerDisabled = "partner_disabled"
	ReasonLinkArchived    = "link_archived"
	ReasonSelfReferral    = "self_referral"
)

// How a customer came to be attributed.
const (
	AttributedByClick  = "click"
	AttributedByManual = "manual"
	AttributedByCode   = "promotion_code"
)

// Customer is a referred (or not) customer of a vendor.
type Customer struct {
	ID               string     `json:"id" bun:"id,pk"`
	VendorID         string     `json:"vendor_id" bun:"vendor_id"`
	ExternalID       string     `json:"external_id" bun:"external_id"`
	Email            string     `json:"email" bun:"email"`
	Name             string     `json:"name" bun:"name"`
	PartnerID        string     `json:"partner_id" bun:"partner_id"`
	LinkID           string     `json:"link_id" bun:"link_id"`
	ClickID          string     `json:"click_id" bun:"click_id"`
	ClickedAt        *time.Time `json:"clicked_at" bun:"clicked_at"`
	AttributedAt     *time.Time `json:"attributed_at" bun:"attributed_at"`
	AttributedBy     string     `json:"attributed_by" bun:"attributed_by"`
	Reason           string     `json:"reason" bun:"reason"`
	SelfReferral     bool       `json:"self_referral" bun:"self_referral"`
	StripeCustomerID string     `json:"stripe_customer_id" bun:"stripe_customer_id"`
	CreatedAt        time.Time  `json:"created_at" bun:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at" bun:"updated_at"`
}

// Attributed reports whether the customer is credited to a partner.
func (c *Customer) Attributed() bool { return c.PartnerID != "" }

// Signup outcomes, recorded on each signup event.
const (
	OutcomeAttributed   = "attributed"   // a new or unattributed customer got a partner
	OutcomeReattributed = "reattributed" // a newer click by another partner took over
	OutcomeKept         = "kept"         // the customer keeps its partner
	OutcomeUnattributed = "unattributed" // no valid token, no partner
	// OutcomeAttempt: a public (snippet) signup that matched an existing
	// customer, kept for the diagnosis; the customer is left untouched.
	OutcomeAttempt = "attempt"
)

// SignupMayChange reports whether a signup from source may change an
// existing customer (its partner, name, external id). The public snippet
// holds only the public key, which is in every page's HTML: anyone can
// call it, so it never may. Authenticated channels (the vendor's backend
// with its secret key) may.
func SignupMayChange(source string) bool { return source != SourceSnippet }

// Signup is one reported signup: the event, kept for diagnosis and analytics.
type Signup struct {
	ID           string    `json:"id" bun:"id,pk"`
	VendorID     string    `json:"vendor_id" bun:"vendor_id"`
	CustomerID   string    `json:"customer_id" bun:"customer_id"`
	Source       string    `json:"source" bun:"source"` // snippet | api
	TokenPresent bool      `json:"token_present" bun:"token_present"`
	ClickID      string    `json:"click_id" bun:"click_id"`
	PartnerID    string    `json:"partner_id" bun:"partner_id"`
	Outcome      string    `json:"outcome" bun:"outcome"`
	Reason       string    `json:"reason" bun:"reason"`
	IPTrunc      string    `json:"-" bun:"ip_trunc"`
	VisitorHash  string    `json:"-" bun:"visitor_hash"`
	Browser      string    `json:"browser" bun:"browser"`
	OS           string    `json:"os" bun:"os"`
	CreatedAt    time.Time `json:"created_at" bun:"created_at"`
}

// Signup sources.
const (
	SourceSnippet = "snippet"
	SourceAPI     = "api"
)

// SignupRequest is a reported signup with every token it carried.
type SignupRequest struct {
	Email      string
	Name       string
	ExternalID string
	Tokens     []string     // body ref, script cookie, server cookie: newest valid wins
	Checks     []TokenCheck // Tokens verified (CheckTokens) before the store is called
	Source     string
	// Visitor facts, for diagnosis (never the raw IP).
	IPTrunc     string
	VisitorHash string
	Browser     string
	OS          string
}

// Validate normalizes and checks r.
func (r *SignupRequest) Validate() error {
	if err := validateCustomerIdentity(&r.Email, &r.ExternalID, &r.Name); err != nil {
		return err
	}
	if len(r.Tokens) > 5 {
		r.Tokens = r.Tokens[:5]
	}
	return nil
}

// SignupResult is what a recorded signup answers.
type SignupResult struct {
	Customer   *Customer `json:"customer"`
	Signup     *Signup   `json:"signup"`
	Created    bool      `json:"created"`
	TokenValid bool      `json:"-"` // a presented token would credit its partner
}

// SignupService records signups.
type SignupService interface {
	// RecordSignup finds or creates the customer and attributes it. The
	// result is committed when it returns. EINVALID.
	RecordSignup(ctx context.Context, v *Vendor, r SignupRequest) (*SignupResult, error)
}

// CustomerFilter narrows a customer list.
type CustomerFilter struct {
	Email      string
	ExternalID string
	PartnerID  string
	Status     string // attributed | unattributed
	Reason     string // the stored reason of an unattributed customer
	Page       Page
}

// CustomerService reads a vendor's customers and applies the manual
// attribution overrides, each with its audit entry in its transaction.
type CustomerService interface {
	// FindCustomer returns one customer. ENOTFOUND.
	FindCustomer(ctx context.Context, vendorID, id string) (*Customer, error)
	// ListCustomers returns customers newest first, and whether more follow.
	ListCustomers(ctx context.Context, vendorID string, f CustomerFilter) ([]*Customer, bool, error)
	// CreateCustomer creates a customer attributed to a partner by hand.
	// EINVALID, ENOTFOUND (partner), ECONFLICT (customer exists).
	CreateCustomer(ctx context.Context, v *Vendor, actor string, c CustomerCreate) (*Customer, error)
	// ReassignCustomer credits a customer to another partner. EINVALID, ENOTFOUND.
	ReassignCustomer(ctx context.Context, vendorID, actor, customerID string, r Reassignment) (*ReassignResult, error)
}
