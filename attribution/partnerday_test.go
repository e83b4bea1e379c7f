package attribution_test

import (
	"reflect"
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestPartnerTotal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		days []*attribution.PartnerDay
		want *attribution.PartnerDay
	}{
		{"NoDays", nil, &attribution.PartnerDay{Revenue: map[string]int64{}, Rewards: map[string]int64{}}},
		{"PerCurrency", []*attribution.PartnerDay{
			{Date: "2026-01-01", Clicks: 3, UniqueClicks: 2, Signups: 1, Purchases: 1,
				Revenue: map[string]int64{"usd": 1000}, Rewards: map[string]int64{"usd": 100}},
			{Date: "2026-01-02", Clicks: 1, UniqueClicks: 1, Purchases: 2,
				Revenue: map[string]int64{"usd": 500, "eur": 700}, Rewards: map[string]int64{"eur": 70}},
			{Date: "2026-01-03", Clicks: 5, Revenue: map[string]int64{}},
		}, &attribution.PartnerDay{Clicks: 9, UniqueClicks: 3, Signups: 1, Purchases: 3,
			Revenue: map[string]int64{"usd": 1500, "eur": 700}, Rewards: map[string]int64{"usd": 100, "eur": 70}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := attribution.PartnerTotal(tc.days); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("PartnerTotal = %+v, want %+v", got, tc.want)
			}
		})
	}
}
