package attribution_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestRewardSummary(t *testing.T) {
	months := func(n int) *int { return &n }
	cases := []struct {
		rule *attribution.RewardRule
		want string
	}{
		{nil, ""},
		{&attribution.RewardRule{Type: attribution.RewardPercent, Percent: 2000, DurationMonths: months(12)}, "20 % of every purchase for 12 months"},
		{&attribution.RewardRule{Type: attribution.RewardPercent, Percent: 1250}, "12.5 % of every purchase"},
		{&attribution.RewardRule{Type: attribution.RewardPercent, Percent: 3000, DurationMonths: months(1)}, "30 % of every purchase for 1 month"},
		{&attribution.RewardRule{Type: attribution.RewardFlat, Amount: 5000, Currency: "usd", DurationMonths: months(0)}, "USD 50.00 for the first purchase"},
		{&attribution.RewardRule{Type: attribution.RewardFlat, Amount: 500, Currency: "jpy"}, "JPY 500 for every purchase"},
	}
	for _, c := range cases {
		if got := attribution.RewardSummary(c.rule); got != c.want {
			t.Errorf("RewardSummary(%+v) = %q, want %q", c.rule, got, c.want)
		}
	}
}

func TestProgramSlug(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"Acme Rockets, Inc.", "acme-rockets-inc"},
		{"  --Zoë's   Café 42-- ", "zo-s-caf-42"},
		{"日本語", "program"},
		{"A", "program"},
		{"Invite", "program"},
		{strings.Repeat("ab ", 40), strings.TrimRight(strings.Repeat("ab-", 15)+"a", "-")},
	} {
		got := attribution.ProgramSlugFrom(c.name)
		if got != c.want {
			t.Errorf("ProgramSlugFrom(%q) = %q, want %q", c.name, got, c.want)
		}
		if !attribution.ValidProgramSlug(got) || !attribution.ValidProgramSlug(attribution.ProgramSlugCandidate(got, 999)) {
			t.Errorf("ProgramSlugFrom(%q) = %q is not a valid slug, or its suffixed forms are not", c.name, got)
		}
	}
	if got := attribution.ProgramSlugCandidate("acme", 1) + " " + attribution.ProgramSlugCandidate("acme", 2); got != "acme acme-2" {
		t.Errorf("candidates: %q", got)
	}
	for _, bad := range []string{"", "a", "-acme", "acme-", "ac--me", "Acme", "ac_me", "acme/x", "invite", strings.Repeat("a", 51)} {
		if attribution.ValidProgramSlug(bad) {
			t.Errorf("ValidProgramSlug(%q) = true", bad)
		}
	}
}

func TestVendorUpdate_ProgramPage(t *testing.T) {
	on, slug := true, "  Acme-Rockets "
	v := &attribution.Vendor{Name: "Acme"}
	if err := (attribution.VendorUpdate{ProgramPage: &attribution.ProgramPageUpdate{Enabled: &on, Slug: &slug}}).Apply(v); err != nil {
		t.Fatal(err)
	}
	if v.ProgramPage != (attribution.ProgramPage{Enabled: true, Slug: "acme-rockets"}) {
		t.Errorf("program page = %+v", v.ProgramPage)
	}
	off := false
	if err := (attribution.VendorUpdate{ProgramPage: &attribution.ProgramPageUpdate{Enabled: &off}}).Apply(v); err != nil || v.ProgramPage.Slug != "acme-rockets" {
		t.Errorf("turning the page off keeps its slug: %+v, %v", v.ProgramPage, err)
	}
	bad := "not a slug"
	err := (attribution.VendorUpdate{ProgramPage: &attribution.ProgramPageUpdate{Slug: &bad}}).Apply(v)
	if attribution.ErrorCode(err) != attribution.EINVALID || v.ProgramPage.Slug != "acme-rockets" {
		t.Errorf("a bad slug: %v, page %+v", err, v.ProgramPage)
	}
	if v.Settings().ProgramPage != v.ProgramPage {
		t.Errorf("the audit log's settings lack the program page")
	}
}

func TestApplication_Validate(t *testing.T) {
	a := attribution.Application{Name: "  Pat \n Smith ", Email: " Pat@Example.COM ", Website: " youtube.com/@pat\r\n  20k cooks "}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.Name != "Pat Smith" || a.Email != "pat@example.com" || a.Website != "youtube.com/@pat 20k cooks" {
		t.Errorf("normalized: %+v", a)
	}
	for _, bad := range []attribution.Application{
		{Name: "", Email: "pat@example.com"},
		{Name: "Pat", Email: "not an email"},
		{Name: "Pat", Email: "Pat <pat@example.com>"},
		{Name: strings.Repeat("x", 201), Email: "pat@example.com"},
		{Name: "Pat", Email: "pat@example.com", Website: strings.Repeat("x", 501)},
	} {
		if err := bad.Validate(); attribution.ErrorCode(err) != attribution.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestFirstLink(t *testing.T) {
	v := &attribution.Vendor{Domain: "acme.example"}
	active := &attribution.Partner{ID: "par_1", Status: attribution.PartnerActive}
	lc, ok := attribution.FirstLink(v, active, false)
	if !ok || lc.PartnerID != "par_1" || lc.DestinationURL != "https://acme.example/" || lc.Validate() != nil {
		t.Errorf("an active partner without a link: %+v %v", lc, ok)
	}
	for name, c := range map[string]struct {
		v       *attribution.Vendor
		p       *attribution.Partner
		hasLink bool
	}{
		"HasLink":  {v, active, true},
		"NoDomain": {&attribution.Vendor{}, active, false},
		"Pending":  {v, &attribution.Partner{Status: attribution.PartnerPending}, false},
		"Invited":  {v, &attribution.Partner{Status: attribution.PartnerInvited}, false},
		"Disabled": {v, &attribution.Partner{Status: attribution.PartnerDisabled}, false},
	} {
		if _, ok := attribution.FirstLink(c.v, c.p, c.hasLink); ok {
			t.Errorf("%s: a first link", name)
		}
	}
}

func TestPartnerInvite(t *testing.T) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	p := &attribution.Partner{ID: "par_1", VendorID: "ven_1", Status: attribution.PartnerInvited}
	inv := attribution.NewPartnerInvite(p, now)
	if inv.Token == "" || inv.TokenHash != attribution.HashKey(inv.Token) || !inv.ExpiresAt.Equal(now.Add(14*24*time.Hour)) {
		t.Fatalf("invite = %+v", inv)
	}
	if err := inv.Acceptable(p, now.Add(14*24*time.Hour-time.Second)); err != nil {
		t.Errorf("a fresh invite: %v", err)
	}
	used := now
	for name, c := range map[string]struct {
		inv *attribution.PartnerInvite
		p   *attribution.Partner
		at  time.Time
	}{
		"Expired": {inv, p, now.Add(14 * 24 * time.Hour)},
		"Used":    {&attribution.PartnerInvite{ExpiresAt: inv.ExpiresAt, UsedAt: &used}, p, now},
		"Active":  {inv, &attribution.Partner{Status: attribution.PartnerActive}, now},
	} {
		if err := c.inv.Acceptable(c.p, c.at); attribution.ErrorCode(err) != attribution.ENOTFOUND {
			t.Errorf("%s: %v", name, err)
		}
	}
	if attribution.CanInvite(p) != nil || attribution.ErrorCode(attribution.CanInvite(&attribution.Partner{Status: attribution.PartnerPending})) != attribution.ECONFLICT {
		t.Errorf("only an invited partner gets an invite link")
	}
}
