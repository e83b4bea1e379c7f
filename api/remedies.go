package api

import (
	"net/url"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet"
)

// RemedyRequest is the call to this API that performs a remedy step. A
// parameter the vendor must choose (the action's fill) is "" in the body,
// or {name} in the path.
type RemedyRequest struct {
	Method string         `json:"method"`
	Path   string         `json:"path"`
	Body   map[string]any `json:"body,omitempty"`
}

// StripeChange is a remedy step done in Stripe: the metadata to set on a
// Stripe object, which Stripe then reports to Tally's webhook.
type StripeChange struct {
	Object   string            `json:"object"`
	ID       string            `json:"id"`
	Metadata map[string]string `json:"metadata"`
}

// RemedyStep is a remedy action and what performs it: a request, the
// snippet's embed code, or a change in Stripe.
type RemedyStep struct {
	attribution.RemedyAction
	Request *RemedyRequest `json:"request,omitempty"`
	HTML    string         `json:"html,omitempty"`
	Stripe  *StripeChange  `json:"stripe,omitempty"`
}

// RemedyAnswer is a remedy as the API answers it. Request is the request
// of its last step that has one (the one that repairs the customer).
type RemedyAnswer struct {
	Text    string         `json:"text"`
	Request *RemedyRequest `json:"request"`
	Steps   []RemedyStep   `json:"steps"`
}

// remedyRenderer renders the domain's remedy actions for this deployment.
type remedyRenderer struct {
	publicURL string
}

func (r remedyRenderer) remedy(m attribution.Remedy) RemedyAnswer {
	out := RemedyAnswer{Text: m.Text, Steps: r.steps(m.Steps)}
	for _, s := range out.Steps {
		if s.Request != nil {
			out.Request = s.Request
		}
	}
	return out
}

func (r remedyRenderer) steps(actions []attribution.RemedyAction) []RemedyStep {
	out := make([]RemedyStep, 0, len(actions))
	for _, a := range actions {
		out = append(out, r.step(a))
	}
	return out
}

// pathID is an id for a request path, or the placeholder the vendor fills.
func pathID(id, name string) string {
	if id == "" {
		return "{" + name + "}"
	}
	return url.PathEscape(id)
}

// step renders one action as what performs it.
func (r remedyRenderer) step(a attribution.RemedyAction) RemedyStep {
	s := RemedyStep{RemedyAction: a}
	req := func(method, path string, body map[string]any) {
		s.Request = &RemedyRequest{Method: method, Path: path, Body: body}
	}
	switch a.Action {
	case attribution.ActionCreditPartner:
		body := map[string]any{"partner_id": a.PartnerID, "reason": a.Reason}
		if a.MoveRewards {
			body["move_rewards"] = true
		}
		req("POST", "/v1/customers/"+pathID(a.CustomerID, "customer_id")+"/attribution", body)
	case attribution.ActionCreateCustomer:
		body := map[string]any{"email": a.Email, "partner_id": a.PartnerID, "reason": a.Reason}
		if a.StripeCustomerID != "" {
			body["stripe_customer_id"] = a.StripeCustomerID
		}
		req("POST", "/v1/customers", body)
	case attribution.ActionActivatePartner:
		req("PATCH", "/v1/partners/"+pathID(a.PartnerID, "partner_id"), map[string]any{"status": attribution.PartnerActive})
	case attribution.ActionSetWindow:
		req("PATCH", "/v1/vendor", map[string]any{"attribution_window_days": a.WindowDays})
	case attribution.ActionAllowOrigins:
		req("PATCH", "/v1/vendor", map[string]any{"allowed_origins": a.Origins})
	case attribution.ActionCreatePromotionCode:
		req("POST", "/v1/partners/"+pathID(a.PartnerID, "partner_id")+"/codes", map[string]any{"code": a.Code})
	case attribution.ActionInstallSnippet:
		s.HTML = snippet.EmbedCode(r.publicURL, a.PublicKey)
	case attribution.ActionCheckSnippetHealth:
		req("GET", "/v1/health/snippet", nil)
	case attribution.ActionCheckLink:
		req("POST", "/v1/links/"+pathID(a.LinkID, "link_id")+"/check", nil)
	case attribution.ActionServerSignup:
		req("POST", "/v1/signups", map[string]any{"email": a.Email, "ref": "", "ip": "", "user_agent": ""})
	case attribution.ActionDiagnose:
		email := "{email}"
		if a.Email != "" {
			email = url.QueryEscape(a.Email)
		}
		req("GET", "/v1/diagnose?email="+email, nil)
	case attribution.ActionLinkStripeCustomer:
		s.Stripe = &StripeChange{Object: "customer", ID: a.StripeCustomerID,
			Metadata: map[string]string{"tally_customer_id": a.CustomerID}}
	}
	return s
}
