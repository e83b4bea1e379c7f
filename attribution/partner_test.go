package attribution_test

import (
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// Only an active partner's links carry a token: pending, invited, rejected
// and disabled partners' clicks redirect without one, as a bot's do.
func TestRedirectTarget_ClickToken(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	link := attribution.Link{ID: "lnk_1", VendorID: "ven_1", PartnerID: "par_1", DestinationURL: "https://shop.example/"}
	for _, tc := range []struct {
		status string
		bot    bool
		want   bool
	}{
		{attribution.PartnerActive, false, true},
		{attribution.PartnerActive, true, false},
		{attribution.PartnerPending, false, false},
		{attribution.PartnerInvited, false, false},
		{attribution.PartnerRejected, false, false},
		{attribution.PartnerDisabled, false, false},
		{"", false, false},
	} {
		target := attribution.NewRedirectTarget(link, 30, "", "")
		target.PartnerStatus = tc.status
		c := attribution.NewClick(&link, attribution.Visit{At: at, Bot: tc.bot})
		if _, got := target.ClickToken(c); got != tc.want {
			t.Errorf("status %q, bot %v: token given = %v, want %v", tc.status, tc.bot, got, tc.want)
		}
	}
	for _, s := range attribution.PartnerStatuses {
		if attribution.PartnerCarriesToken(s) != (s == attribution.PartnerActive) {
			t.Errorf("PartnerCarriesToken(%q) = %v", s, !(s == attribution.PartnerActive))
		}
	}
}

func TestPartner_Decide(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, decision, want, code string
	}{
		{attribution.PartnerPending, attribution.PartnerApprove, attribution.PartnerActive, ""},
		{attribution.PartnerInvited, attribution.PartnerApprove, attribution.PartnerActive, ""},
		{attribution.PartnerPending, attribution.PartnerReject, attribution.PartnerRejected, ""},
		{attribution.PartnerInvited, attribution.PartnerReject, attribution.PartnerInvited, attribution.ECONFLICT},
		{attribution.PartnerActive, attribution.PartnerApprove, attribution.PartnerActive, attribution.ECONFLICT},
		{attribution.PartnerActive, attribution.PartnerReject, attribution.PartnerActive, attribution.ECONFLICT},
		{attribution.PartnerRejected, attribution.PartnerApprove, attribution.PartnerRejected, attribution.ECONFLICT},
		{attribution.PartnerDisabled, attribution.PartnerApprove, attribution.PartnerDisabled, attribution.ECONFLICT},
		{attribution.PartnerPending, "ban", attribution.PartnerPending, attribution.EINVALID},
	} {
		p := &attribution.Partner{Status: tc.from}
		err := p.Decide(tc.decision)
		if attribution.ErrorCode(err) != tc.code || (tc.code == "" && err != nil) || p.Status != tc.want {
			t.Errorf("%s, %s: status %q, err %v; want %q, code %q", tc.from, tc.decision, p.Status, err, tc.want, tc.code)
		}
	}
}
