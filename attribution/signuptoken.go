package attribution

import "time"

// ReasonOlderClick is why a valid token of a signup did not credit it: a
// newer valid click of the same signup won (last click).
const ReasonOlderClick = "older_click"

// SignupToken is one click token a signup carried, kept whether or not it
// won, so the diagnosis sees every click that reached the vendor. Reason
// is "" for the token that credited the signup, ReasonOlderClick for a
// valid one that lost to a newer click, else why it was not usable. The ids
// of a token that could not be read, or that is another vendor's, are not
// kept.
type SignupToken struct {
	SignupID  string     `json:"-" bun:"signup_id,pk"`
	Position  int        `json:"-" bun:"position,pk"`
	VendorID  string     `json:"-" bun:"vendor_id"`
	ClickID   string     `json:"click_id,omitempty" bun:"click_id"`
	PartnerID string     `json:"partner_id,omitempty" bun:"partner_id"`
	LinkID    string     `json:"link_id,omitempty" bun:"link_id"`
	ClickedAt *time.Time `json:"clicked_at,omitempty" bun:"clicked_at"`
	Reason    string     `json:"reason" bun:"reason"`
}

// SignupTokens lists every token of a signup with its reason; winner is
// the token that credited it (nil when none did).
func SignupTokens(signupID, vendorID string, checks []TokenCheck, status StatusFunc, winner *ClickToken) []SignupToken {
	out := make([]SignupToken, 0, len(checks))
	for i, c := range checks {
		st := SignupToken{SignupID: signupID, Position: i, VendorID: vendorID, Reason: c.Reason}
		if c.Reason == "" && status != nil {
			st.Reason = status(c.Token)
		}
		if st.Reason == "" && (winner == nil || winner.ClickID != c.Token.ClickID) {
			st.Reason = ReasonOlderClick
		}
		if c.Token.VendorID == vendorID && c.Token.ClickID != "" {
			at := c.Token.Time()
			st.ClickID, st.PartnerID, st.LinkID, st.ClickedAt = c.Token.ClickID, c.Token.PartnerID, c.Token.LinkID, &at
		}
		out = append(out, st)
	}
	return out
}
