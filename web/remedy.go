package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet"
)

// remedyStep is a remedy action rendered for people: what to do, where in
// the dashboard (Href, Label) or what to paste (Code). The JSON API renders
// the same actions as requests (api/remedies.go).
type remedyStep struct {
	Text  string
	Href  string
	Label string
	Code  string
}

// peopleSteps renders the actions of a remedy for the dashboard.
func (p *pages) peopleSteps(actions []attribution.RemedyAction, v *attribution.Vendor) []remedyStep {
	out := make([]remedyStep, 0, len(actions))
	for _, a := range actions {
		out = append(out, p.peopleStep(a, v))
	}
	return out
}

func (p *pages) peopleStep(a attribution.RemedyAction, v *attribution.Vendor) remedyStep {
	switch a.Action {
	case attribution.ActionCreditPartner:
		s := remedyStep{Text: "Credit the customer to a partner with the form Credit partner."}
		if a.CustomerID != "" {
			s.Href, s.Label = "/dashboard/customers/"+url.PathEscape(a.CustomerID)+"#credit", "Credit partner"
		}
		return s
	case attribution.ActionCreateCustomer:
		return remedyStep{Text: "Create the customer " + a.Email + " attributed to its partner (POST /v1/customers with your secret key); its purchases follow."}
	case attribution.ActionActivatePartner:
		s := remedyStep{Text: "Activate the partner, so their clicks credit them again."}
		if a.PartnerID != "" {
			s.Href, s.Label = "/dashboard/partners/"+url.PathEscape(a.PartnerID), "Open the partner"
		} else {
			s.Href, s.Label = "/dashboard/partners", "Partners"
		}
		return s
	case attribution.ActionSetWindow:
		return remedyStep{Text: "Raise the attribution window to " + strconv.Itoa(a.WindowDays) + " days.",
			Href: "/dashboard/settings#program", Label: "Program settings"}
	case attribution.ActionAllowOrigins:
		return remedyStep{Text: "Set the allowed origins to " + strings.Join(a.Origins, ", ") + ".",
			Href: "/dashboard/settings#program", Label: "Program settings"}
	case attribution.ActionCreatePromotionCode:
		return remedyStep{Text: "Give the partner a Stripe promotion code.", Href: "/dashboard/partners", Label: "Partners"}
	case attribution.ActionInstallSnippet:
		return remedyStep{Text: "Add the snippet to every page of your site:", Code: snippet.EmbedCode(p.PublicURL, a.PublicKey)}
	case attribution.ActionCheckSnippetHealth:
		return remedyStep{Text: "Check the snippet's health.", Href: "/dashboard/gaps#snippet", Label: "Snippet health"}
	case attribution.ActionCheckLink:
		return remedyStep{Text: "Check the link's destination page.", Href: "/dashboard/gaps#links", Label: "Destination checks"}
	case attribution.ActionServerSignup:
		return remedyStep{Text: "Report signups from your backend (POST /v1/signups) with the tally_ref cookie as ref and the visitor's ip and user_agent."}
	case attribution.ActionDiagnose:
		if a.Email != "" {
			return remedyStep{Text: "Diagnose the customer.", Href: "/dashboard/gaps/diagnose?q=" + url.QueryEscape(a.Email), Label: "Diagnose " + a.Email}
		}
		return remedyStep{Text: "Diagnose a customer by email or id.", Href: "/dashboard/gaps#diagnose", Label: "Diagnose a customer"}
	case attribution.ActionLinkStripeCustomer:
		if a.StripeCustomerID != "" && a.CustomerID != "" {
			return remedyStep{Text: "In Stripe, set metadata.tally_customer_id = " + a.CustomerID + " on the customer " + a.StripeCustomerID + "."}
		}
		return remedyStep{Text: "In Stripe, set metadata.tally_customer_id on the Stripe customer, or pass client_reference_id to Checkout."}
	}
	return remedyStep{Text: a.Action}
}
