package attribution_test

import (
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestSignupTokens(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := func(click, partner string, at time.Time) attribution.ClickToken {
		return attribution.ClickToken{ClickID: click, LinkID: "lnk_" + partner, PartnerID: partner, VendorID: "ven_1", ClickedAt: at.Unix()}
	}
	checks := []attribution.TokenCheck{
		{Token: tok("clk_old", "par_a", t0.Add(-time.Hour))},
		{Token: tok("clk_new", "par_b", t0)},
		{Token: tok("clk_off", "par_c", t0.Add(-2*time.Hour))},
		{Token: tok("clk_exp", "par_a", t0.Add(-100*24*time.Hour)), Reason: attribution.ReasonExpired},
		{Token: attribution.ClickToken{ClickID: "clk_x", PartnerID: "par_x", VendorID: "ven_2", ClickedAt: t0.Unix()}, Reason: attribution.ReasonOtherVendor},
		{Reason: attribution.ReasonInvalidToken},
	}
	status := func(t attribution.ClickToken) string {
		if t.PartnerID == "par_c" {
			return attribution.ReasonPartnerDisabled
		}
		return ""
	}
	winner := checks[1].Token
	got := attribution.SignupTokens("sig_1", "ven_1", checks, status, &winner)
	want := []struct{ click, reason string }{
		{"clk_old", attribution.ReasonOlderClick},
		{"clk_new", ""},
		{"clk_off", attribution.ReasonPartnerDisabled},
		{"clk_exp", attribution.ReasonExpired},
		{"", attribution.ReasonOtherVendor}, // another vendor's ids are not kept
		{"", attribution.ReasonInvalidToken},
	}
	if len(got) != len(want) {
		t.Fatalf("tokens = %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.ClickID != w.click || g.Reason != w.reason || g.Position != i || g.SignupID != "sig_1" || g.VendorID != "ven_1" {
			t.Errorf("token %d = %+v, want %+v", i, g, w)
		}
		if (g.ClickID != "") != (g.ClickedAt != nil) || (g.ClickID != "" && g.PartnerID == "") {
			t.Errorf("token %d lacks its click: %+v", i, g)
		}
	}
}

func TestCreditability(t *testing.T) {
	for _, tc := range []struct {
		found         bool
		partner, link string
		want          string
	}{
		{false, "", "", attribution.ReasonInvalidToken},
		{true, attribution.PartnerDisabled, attribution.LinkActive, attribution.ReasonPartnerDisabled},
		{true, attribution.PartnerActive, "archived", attribution.ReasonLinkArchived},
		{true, attribution.PartnerActive, "", attribution.ReasonLinkArchived},
		{true, attribution.PartnerActive, attribution.LinkActive, ""},
	} {
		if got := attribution.Creditability(tc.found, tc.partner, tc.link); got != tc.want {
			t.Errorf("%+v: %q", tc, got)
		}
	}
}
