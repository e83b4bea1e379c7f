package attribution

// Remedy actions: what repairs a gap, as data. The domain names the action
// and its parameters; the HTTP layer renders each as the request that
// performs it, so no API path is written here.
const (
	ActionCreditPartner       = "credit_partner"         // CustomerID, PartnerID, Reason, MoveRewards
	ActionCreateCustomer      = "create_customer"        // Email, StripeCustomerID, PartnerID, Reason
	ActionActivatePartner     = "activate_partner"       // PartnerID
	ActionSetWindow           = "set_attribution_window" // WindowDays
	ActionAllowOrigins        = "allow_origins"          // Origins: the whole new list
	ActionCreatePromotionCode = "create_promotion_code"  // PartnerID, Code
	ActionInstallSnippet      = "install_snippet"        // PublicKey
	ActionCheckSnippetHealth  = "check_snippet_health"
	ActionCheckLink           = "check_link"    // LinkID
	ActionServerSignup        = "server_signup" // Email
	ActionDiagnose            = "diagnose"      // Email
	ActionLinkStripeCustomer  = "link_stripe_customer"
)

// Parameters a vendor must choose before following an action.
const (
	FillPartnerID = "partner_id"
	FillEmail     = "email"
	FillRef       = "ref"
	FillCode      = "code"
)

// RemedyAction is one step of a remedy. Fill names the parameters the
// vendor must supply (the partner to credit when no click names one).
type RemedyAction struct {
	Action           string   `json:"action"`
	CustomerID       string   `json:"customer_id,omitempty"`
	PartnerID        string   `json:"partner_id,omitempty"`
	LinkID           string   `json:"link_id,omitempty"`
	Email            string   `json:"email,omitempty"`
	StripeCustomerID string   `json:"stripe_customer_id,omitempty"`
	PublicKey        string   `json:"public_key,omitempty"`
	Origins          []string `json:"origins,omitempty"`
	Code             string   `json:"code,omitempty"`
	WindowDays       int      `json:"window_days,omitempty"`
	Reason           string   `json:"reason,omitempty"`
	MoveRewards      bool     `json:"move_rewards,omitempty"`
	Fill             []string `json:"fill,omitempty"`
}

// Remedy says what to do, in words, and as the actions that do it, in order.
type Remedy struct {
	Text  string         `json:"text"`
	Steps []RemedyAction `json:"steps"`
}

// creditAction credits customerID to partnerID, or asks for the partner.
func creditAction(customerID, partnerID, reason string) RemedyAction {
	a := RemedyAction{Action: ActionCreditPartner, CustomerID: customerID, PartnerID: partnerID, Reason: reason}
	if partnerID == "" {
		a.Fill = []string{FillPartnerID}
	}
	return a
}
