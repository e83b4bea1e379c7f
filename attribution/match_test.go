package attribution_test

import (
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestCreditingCode(t *testing.T) {
	active := &attribution.Partner{ID: "par_active", Status: attribution.PartnerActive}
	other := &attribution.Partner{ID: "par_other", Status: attribution.PartnerActive}
	disabled := &attribution.Partner{ID: "par_disabled", Status: attribution.PartnerDisabled}
	owners := map[string]*attribution.Partner{"SPRING": active, "SUMMER": other, "OLD": disabled}
	for _, tc := range []struct {
		name        string
		codes       []string
		wantPartner *attribution.Partner
		wantCode    string
	}{
		{"NoCodes", nil, nil, ""},
		{"UnknownCode", []string{"NOBODY"}, nil, ""},
		{"OwnedCode", []string{"SPRING"}, active, "SPRING"},
		{"FirstOwnedCodeWins", []string{"SUMMER", "SPRING"}, other, "SUMMER"},
		{"UnknownCodeSkipped", []string{"NOBODY", "SPRING"}, active, "SPRING"},
		{"DisabledPartnerSkipped", []string{"OLD", "SUMMER"}, other, "SUMMER"},
		{"OnlyDisabledPartner", []string{"OLD"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, code := attribution.CreditingCode(tc.codes, owners)
			if p != tc.wantPartner || code != tc.wantCode {
				t.Errorf("CreditingCode(%v) = %v, %q; want %v, %q", tc.codes, p, code, tc.wantPartner, tc.wantCode)
			}
		})
	}
}
