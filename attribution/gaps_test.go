package attribution_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestNormalizeUTMValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Facebook", "facebook"},
		{" facebook ", "facebook"},
		{"FB", "facebook"},
		{"fb", "facebook"},
		{"facebook.com", "facebook"},
		{"www.facebook.com", "facebook"},
		{"m.facebook.com", "facebook"},
		{"IG", "instagram"},
		{"Insta", "instagram"},
		{"news-letter", "newsletter"},
		{"News_Letter", "newsletter"},
		{"spring sale", "springsale"},
		{"spring-sale", "springsale"},
		{"Spring+Sale", "springsale"},
		{"été", "été"},
		{"---", ""},
		{"fbx", "fbx"}, // not an alias: only whole values are expanded
	} {
		if got := attribution.NormalizeUTMValue(tc.in); got != tc.want {
			t.Errorf("NormalizeUTMValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGroupUTMValues(t *testing.T) {
	src := func(v string, clicks, links int64) attribution.UTMCount {
		return attribution.UTMCount{Field: "utm_source", Value: v, Clicks: clicks, Links: links}
	}
	for _, tc := range []struct {
		name string
		in   []attribution.UTMCount
		want []attribution.UTMGroup
	}{
		{"Empty", nil, []attribution.UTMGroup{}},
		{"OneSpellingIsNoGroup", []attribution.UTMCount{src("facebook", 10, 1), src("google", 3, 0)}, []attribution.UTMGroup{}},
		{"CaseAndAbbreviation",
			[]attribution.UTMCount{src("facebook", 10, 1), src("Facebook", 4, 0), src("fb", 7, 2), src("google", 3, 0)},
			[]attribution.UTMGroup{{Field: "utm_source", Canonical: "facebook", Values: []attribution.UTMValue{
				{Value: "facebook", Clicks: 10, Links: 1}, {Value: "fb", Clicks: 7, Links: 2}, {Value: "Facebook", Clicks: 4}}}}},
		{"SameSpellingTwiceAddsUp",
			[]attribution.UTMCount{src("fb", 1, 0), src("fb", 0, 1), src("Facebook", 5, 0)},
			[]attribution.UTMGroup{{Field: "utm_source", Canonical: "Facebook", Values: []attribution.UTMValue{
				{Value: "Facebook", Clicks: 5}, {Value: "fb", Clicks: 1, Links: 1}}}}},
		{"FieldsApart",
			[]attribution.UTMCount{src("email", 1, 0), {Field: "utm_medium", Value: "Email", Clicks: 9}, {Field: "utm_medium", Value: "e-mail", Clicks: 2}},
			[]attribution.UTMGroup{{Field: "utm_medium", Canonical: "Email", Values: []attribution.UTMValue{
				{Value: "Email", Clicks: 9}, {Value: "e-mail", Clicks: 2}}}}},
		{"BlankValuesIgnored", []attribution.UTMCount{src("", 100, 0), src("  ", 1, 0), src("-", 1, 0)}, []attribution.UTMGroup{}},
		{"BiggerGroupFirst",
			[]attribution.UTMCount{src("ig", 1, 0), src("Instagram", 1, 0), src("FB", 5, 0), src("facebook", 5, 0)},
			[]attribution.UTMGroup{
				{Field: "utm_source", Canonical: "FB", Values: []attribution.UTMValue{{Value: "FB", Clicks: 5}, {Value: "facebook", Clicks: 5}}},
				{Field: "utm_source", Canonical: "Instagram", Values: []attribution.UTMValue{{Value: "Instagram", Clicks: 1}, {Value: "ig", Clicks: 1}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := attribution.GroupUTMValues(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("GroupUTMValues:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestBuildGapReport(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := &attribution.GapFacts{
		Start: start, End: start.AddDate(0, 1, 0), WindowDays: 30,
		Signups: []attribution.GapCount{{Reason: "expired", Count: 2}, {Reason: "no_token", Count: 5}, {Reason: "", Count: 1}},
		Purchases: []attribution.GapCount{{Reason: "no_customer", Count: 1, Amounts: map[string]int64{"usd": 500}},
			{Reason: "no_partner", Count: 3, Amounts: map[string]int64{"usd": 100, "eur": 7}}},
		Links:    []attribution.LinkClicks{{LinkID: "lnk_1", Key: "used", Clicks: 4}, {LinkID: "lnk_2", Key: "idle", PartnerID: "par_1"}},
		Variants: []attribution.VariantClicks{{Variant: "b", Before: 3}, {Variant: "a", Before: 2, Clicks: 1}, {Variant: "new", Clicks: 5}},
	}
	r := attribution.BuildGapReport(f)
	var signups []string
	for _, c := range r.UnattributedSignups {
		signups = append(signups, c.Cause)
		if c.Summary == "" || c.Remedy.Text == "" {
			t.Errorf("cause %s has no summary or remedy", c.Cause)
		}
	}
	// A missing reason counts as no_token; most frequent first.
	if want := []string{"no_token", "expired"}; !reflect.DeepEqual(signups, want) || r.UnattributedSignups[0].Count != 6 {
		t.Errorf("signup causes = %v (%+v), want %v with 6 no_token", signups, r.UnattributedSignups, want)
	}
	if exp := r.UnattributedSignups[1].Remedy.Steps[0]; exp.Action != attribution.ActionSetWindow || exp.WindowDays != 60 {
		t.Errorf("the expired remedy proposes %+v, want a 60-day window", exp)
	}
	if p := r.UnattributedPurchases; len(p) != 2 || p[0].Cause != "no_partner" || p[0].Amounts["eur"] != 7 || p[1].Amounts["usd"] != 500 {
		t.Errorf("purchase causes = %+v", p)
	}
	if want := []attribution.LinkWithoutClicks{{LinkID: "lnk_2", Key: "idle", PartnerID: "par_1"}}; !reflect.DeepEqual(r.LinksWithoutClicks, want) {
		t.Errorf("links without clicks = %+v", r.LinksWithoutClicks)
	}
	if want := []attribution.VariantWithoutClicks{{Variant: "b", ClicksBefore: 3}}; !reflect.DeepEqual(r.VariantsWithoutClicks, want) {
		t.Errorf("variants without clicks = %+v", r.VariantsWithoutClicks)
	}
	if !r.Start.Equal(start) || r.UTMGroups == nil {
		t.Errorf("report period or UTM groups: %+v", r)
	}
}
