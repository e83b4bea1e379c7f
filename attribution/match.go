package attribution

// How a payment's customer is found: each key names a customer column and
// the value to look for there.
const (
	MatchExternalID     = "external_id"       // the vendor's own id for the customer
	MatchTallyID        = "tally_customer_id" // metadata.tally_customer_id: a Tally id, or else an external id
	MatchStripeCustomer = "stripe_customer_id"
	MatchEmail          = "email"
)

// CustomerKey is one way to find a payment's customer.
type CustomerKey struct {
	By    string
	Value string
}

// PurchaseMatchOrder is the order in which a Stripe purchase is matched to
// a customer: client_reference_id when it is not a click token (then it is
// the vendor's external id), metadata.tally_customer_id, the linked Stripe
// customer, then email. The first key that finds a customer wins. A click
// token in client_reference_id attributes by last click on top of the match.
func PurchaseMatchOrder(pp *PaymentPurchase) []CustomerKey {
	var keys []CustomerKey
	if pp.ClientReferenceID != "" && pp.Token == nil {
		keys = append(keys, CustomerKey{MatchExternalID, pp.ClientReferenceID})
	}
	return appendKeys(keys, pp.MetadataCustomerID, pp.StripeCustomerID, pp.Email)
}

// CustomerLinkOrder is the order in which a Stripe customer object is
// matched to a Tally customer: metadata.tally_customer_id, then email.
func CustomerLinkOrder(pc *PaymentCustomer) []CustomerKey {
	return appendKeys(nil, pc.MetadataCustomerID, "", pc.Email)
}

func appendKeys(keys []CustomerKey, tallyID, stripeCustomer, email string) []CustomerKey {
	for _, k := range []CustomerKey{{MatchTallyID, tallyID}, {MatchStripeCustomer, stripeCustomer}, {MatchEmail, email}} {
		if k.Value != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// PaymentToken classifies client_reference_id: a click token (verified by
// the caller, who holds the codec) or the vendor's external id. A string
// that decodes as no token of ours is an external id.
func PaymentToken(check TokenCheck) *TokenCheck {
	if check.Token.ClickID == "" {
		return nil
	}
	return &check
}

// CodeCredits reports whether a promotion code may credit a purchase: only
// when nothing else (a click or an attributed customer) credits it.
func CodeCredits(p *Purchase) bool { return p.PartnerID == "" }

// CreditingCode picks the promotion code that credits a purchase: the
// first of codes (normalized, in the order the payment lists them) whose
// owner is an active partner. owners maps each code that has one to its
// partner. It returns nil and "" when no code credits.
func CreditingCode(codes []string, owners map[string]*Partner) (*Partner, string) {
	for _, code := range codes {
		if p := owners[code]; p != nil && p.Status == PartnerActive {
			return p, code
		}
	}
	return nil, ""
}
