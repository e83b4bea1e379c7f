package attribution_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestDiagnose(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	window := 30 * 24 * time.Hour
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	click := func(id, partner string, at time.Time, via, browser string) attribution.FoundClick {
		return attribution.FoundClick{Click: &attribution.Click{ID: id, PartnerID: partner, LinkID: "lnk_" + partner, ClickedAt: at, Browser: browser}, Via: via}
	}
	unattributed := func() *attribution.Customer {
		return &attribution.Customer{ID: "cus_1", Reason: attribution.ReasonNoToken, CreatedAt: t0}
	}
	signup := func(token bool, reason string, browser string) *attribution.Signup {
		return &attribution.Signup{ID: "sig_1", CustomerID: "cus_1", Source: attribution.SourceSnippet, TokenPresent: token, Outcome: attribution.OutcomeUnattributed,
			Reason: reason, IPTrunc: "10.0.0.0", VisitorHash: "vh", Browser: browser, CreatedAt: t0}
	}
	clickedAt := t0.Add(-days(40))
	attributed := &attribution.Customer{ID: "cus_1", PartnerID: "par_b", ClickID: "clk_b", ClickedAt: &t0,
		AttributedBy: attribution.AttributedByClick, CreatedAt: t0}

	tests := []struct {
		name       string
		facts      attribution.DiagnosisFacts
		cause      string
		partner    string // the partner the remedy credits, "" for none
		winnerName string
	}{
		{name: "attributed", cause: attribution.CauseAttributed, facts: attribution.DiagnosisFacts{
			Customer: attributed, SnippetSeen: true,
			Clicks: []attribution.FoundClick{click("clk_b", "par_b", t0, attribution.ViaToken, "Chrome")},
		}},
		{name: "later click won", cause: attribution.CauseLaterClickWon, partner: "par_a", winnerName: "Bea", facts: attribution.DiagnosisFacts{
			Customer: attributed, SnippetSeen: true,
			Clicks: []attribution.FoundClick{
				click("clk_a", "par_a", t0.Add(-days(3)), attribution.ViaVisitor, "Chrome"),
				click("clk_b", "par_b", t0, attribution.ViaToken, "Chrome"),
			},
			Partners: map[string]*attribution.Partner{"par_a": {ID: "par_a", Name: "Ada"}, "par_b": {ID: "par_b", Name: "Bea"}},
		}},
		{name: "an older click outside the window did not lose", cause: attribution.CauseAttributed, facts: attribution.DiagnosisFacts{
			Customer: attributed, SnippetSeen: true,
			Clicks: []attribution.FoundClick{click("clk_a", "par_a", t0.Add(-days(31)), attribution.ViaVisitor, "Chrome")},
		}},
		{name: "attributed but a purchase unmatched", cause: attribution.CausePurchaseUnmatched, facts: attribution.DiagnosisFacts{
			Customer: attributed, SnippetSeen: true,
			Unmatched: []*attribution.Purchase{{ID: "pur_1", Amount: 100, Currency: "usd", PurchasedAt: t0}},
		}},
		{name: "only unmatched purchases", cause: attribution.CausePurchaseUnmatched, facts: attribution.DiagnosisFacts{
			Unmatched: []*attribution.Purchase{{ID: "pur_1", Email: "a@b.com", Amount: 100, Currency: "usd", PurchasedAt: t0}},
		}},
		{name: "other vendor token", cause: attribution.CauseOtherVendorToken, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(true, attribution.ReasonOtherVendor, "Chrome")},
		}},
		{name: "invalid token", cause: attribution.CauseInvalidToken, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(true, attribution.ReasonInvalidToken, "Chrome")},
		}},
		{name: "partner disabled", cause: attribution.CausePartnerDisabled, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(true, attribution.ReasonPartnerDisabled, "Chrome")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", t0.Add(-time.Hour), attribution.ViaVisitor, "Chrome")},
		}},
		{name: "expired token", cause: attribution.CauseClickOutsideWindow, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(true, attribution.ReasonExpired, "Chrome")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", clickedAt, attribution.ViaVisitor, "Chrome")},
		}},
		{name: "no token, old click only", cause: attribution.CauseClickOutsideWindow, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Chrome")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", clickedAt, attribution.ViaNetwork, "Chrome")},
		}},
		{name: "no token with clicks", cause: attribution.CauseNoTokenWithClicks, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Chrome")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", t0.Add(-days(10)), attribution.ViaNetwork, "Chrome")},
		}},
		{name: "bot clicks do not count", cause: attribution.CauseDirectVisit, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true, VendorHadClicks: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Chrome")},
			Clicks: []attribution.FoundClick{func() attribution.FoundClick {
				k := click("clk_a", "par_a", t0.Add(-days(1)), attribution.ViaVisitor, "Chrome")
				k.Bot = true
				return k
			}()},
		}},
		{name: "safari within 7 days is a plain missing token", cause: attribution.CauseNoTokenWithClicks, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Safari")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", t0.Add(-days(6)), attribution.ViaVisitor, "Safari")},
		}},
		{name: "safari cookie cap", cause: attribution.CauseSafariCookieCap, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Safari")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", t0.Add(-days(8)), attribution.ViaVisitor, "Safari")},
		}},
		{name: "misconfigured pages elsewhere are not the verdict", cause: attribution.CauseNoClick, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			BadPings: []attribution.MisconfiguredPings{{Origin: "https://shop.example", Relation: attribution.PingUnowned}},
			Signups:  []*attribution.Signup{{ID: "sig_1", Source: attribution.SourceAPI, Reason: attribution.ReasonNoToken, CreatedAt: t0}},
		}},
		{name: "snippet never seen is not the verdict", cause: attribution.CauseNoClick, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), VendorHadClicks: true,
			Signups: []*attribution.Signup{{ID: "sig_1", Source: attribution.SourceAPI, Reason: attribution.ReasonNoToken, CreatedAt: t0}},
		}},
		{name: "expired token whose click row is gone", cause: attribution.CauseClickOutsideWindow, partner: "par_a", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(true, attribution.ReasonExpired, "Chrome")},
			Tokens:  []attribution.SignupToken{{SignupID: "sig_1", ClickID: "clk_a", PartnerID: "par_a", ClickedAt: &clickedAt, Reason: attribution.ReasonExpired}},
		}},
		{name: "a click on another device is a finding, not the verdict", cause: attribution.CauseDirectVisit, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Chrome")},
			Clicks:  []attribution.FoundClick{click("clk_a", "par_a", t0.Add(-days(1)), attribution.ViaDevice, "Safari")},
		}},
		{name: "direct visit", cause: attribution.CauseDirectVisit, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true, VendorHadClicks: true,
			Signups: []*attribution.Signup{signup(false, attribution.ReasonNoToken, "Chrome")},
		}},
		{name: "no click: no clicks at all", cause: attribution.CauseNoClick, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true,
			Signups: []*attribution.Signup{func() *attribution.Signup {
				s := signup(false, attribution.ReasonNoToken, "Chrome")
				s.Source = attribution.SourceAPI // a backend signup with the visitor's ip and user agent
				return s
			}()},
		}},
		{name: "no click: server-side signup without visitor facts", cause: attribution.CauseNoClick, partner: "par_…", facts: attribution.DiagnosisFacts{
			Customer: unattributed(), SnippetSeen: true, VendorHadClicks: true,
			Signups: []*attribution.Signup{{ID: "sig_1", Source: attribution.SourceAPI, Outcome: attribution.OutcomeUnattributed, Reason: attribution.ReasonNoToken, CreatedAt: t0}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			f.Now, f.Window, f.PublicKey = t0.Add(time.Hour), window, "pk_test"
			if f.Partners == nil {
				f.Partners = map[string]*attribution.Partner{}
			}
			v := attribution.Diagnose(&f)
			if v.Cause != tt.cause {
				t.Fatalf("cause = %s, want %s (%s)", v.Cause, tt.cause, v.Summary)
			}
			if v.Summary == "" || v.Detail == "" && v.Cause != attribution.CauseAttributed || v.Remedy.Text == "" {
				t.Fatalf("verdict lacks words: %+v", v)
			}
			got := ""
			for _, a := range v.Remedy.Steps {
				if a.Action != attribution.ActionCreditPartner {
					continue
				}
				got = a.PartnerID
				if slices.Contains(a.Fill, attribution.FillPartnerID) {
					got = "par_…"
				}
				if a.CustomerID != "cus_1" || a.Reason == "" {
					t.Fatalf("remedy step = %+v", a)
				}
			}
			if strings.Contains(v.Summary+v.Detail+v.Remedy.Text, "/v1/") {
				t.Fatalf("the verdict renders an API path: %+v", v)
			}
			if got != tt.partner {
				t.Fatalf("remedy credits %q, want %q (%+v)", got, tt.partner, v.Remedy)
			}
			if tt.winnerName != "" && (v.Winner == nil || v.Winner.PartnerName != tt.winnerName || v.Click == nil) {
				t.Fatalf("winner = %+v, click = %+v", v.Winner, v.Click)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &attribution.DiagnosisFacts{
		Now: t0, Window: 30 * 24 * time.Hour, PublicKey: "pk_test",
		Customer: &attribution.Customer{ID: "cus_1", Reason: attribution.ReasonNoToken, CreatedAt: t0},
		Signups: []*attribution.Signup{{ID: "sig_1", Source: attribution.SourceAPI, Reason: attribution.ReasonNoToken,
			IPTrunc: "10.0.0.0", Browser: "Chrome", OS: "Windows", CreatedAt: t0}},
		Clicks: []attribution.FoundClick{{Click: &attribution.Click{ID: "clk_a", PartnerID: "par_a", ClickedAt: t0.Add(-time.Hour), Browser: "Safari", OS: "iOS"}, Via: attribution.ViaDevice}},
		BadPings: []attribution.MisconfiguredPings{
			{Origin: "https://www.shop.example", Relation: attribution.PingUnowned},
			{Origin: "https://staging.example", PublicKey: "pk_test", Relation: attribution.PingOwn},
		},
	}
	d := f.Diagnose()
	if d.Verdict.Cause != attribution.CauseNoClick {
		t.Fatalf("verdict %s", d.Verdict.Cause)
	}
	var causes []string
	for _, fd := range d.Findings {
		causes = append(causes, fd.Cause)
		if strings.Contains(fd.Detail+fd.Remedy.Text, "/v1/") || len(fd.Remedy.Steps) == 0 {
			t.Errorf("finding %+v", fd)
		}
	}
	if got := strings.Join(causes, ","); got != "other_browser_or_device,snippet_misconfigured,snippet_misconfigured" {
		t.Fatalf("findings = %s", got)
	}
	dev := d.Findings[0]
	if !strings.Contains(dev.Detail, "Safari on iOS") || !strings.Contains(dev.Detail, "Chrome on Windows") || dev.Remedy.Steps[0].PartnerID != "par_a" {
		t.Fatalf("device finding %+v", dev)
	}
	if !strings.Contains(d.Findings[1].Detail, "https://staging.example") || strings.Contains(d.Findings[1].Detail, "www.shop") {
		t.Fatalf("own pings finding %+v", d.Findings[1])
	}
	// An attributed customer has no findings.
	f.Customer.PartnerID, f.Customer.AttributedBy = "par_a", attribution.AttributedByManual
	if d := f.Diagnose(); len(d.Findings) != 0 {
		t.Fatalf("findings of an attributed customer: %+v", d.Findings)
	}
}

func TestDiagnose_ClickOutsideWindowNamesBothDates(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clicked := t0.Add(-45 * 24 * time.Hour)
	f := attribution.DiagnosisFacts{
		Now: t0, Window: 30 * 24 * time.Hour, SnippetSeen: true,
		Customer: &attribution.Customer{ID: "cus_1", CreatedAt: t0},
		Signups:  []*attribution.Signup{{ID: "sig_1", TokenPresent: true, Reason: attribution.ReasonExpired, CreatedAt: t0}},
		Clicks:   []attribution.FoundClick{{Click: &attribution.Click{ID: "clk_1", PartnerID: "par_a", ClickedAt: clicked}, Via: attribution.ViaVisitor}},
	}
	v := attribution.Diagnose(&f)
	if v.Cause != attribution.CauseClickOutsideWindow || v.Click == nil || !v.Click.ClickedAt.Equal(clicked) ||
		v.ConversionAt == nil || !v.ConversionAt.Equal(t0) || v.WindowDays != 30 {
		t.Fatalf("verdict = %+v", v)
	}
	for _, d := range []string{"2026-01-15", "2026-03-01"} {
		if !strings.Contains(v.Summary+v.Detail, d) {
			t.Errorf("verdict does not name %s: %s %s", d, v.Summary, v.Detail)
		}
	}
}

func TestDiagnosisQuery_Validate(t *testing.T) {
	for _, q := range []attribution.DiagnosisQuery{
		{}, {Email: "a@b.com", ExternalID: "x"}, {ExternalID: "x", CustomerID: "cus_1"}, {Email: " ", CustomerID: " "},
	} {
		if err := q.Validate(); attribution.ErrorCode(err) != attribution.EINVALID {
			t.Errorf("%+v: err = %v", q, err)
		}
	}
	q := attribution.DiagnosisQuery{Email: " A@B.com "}
	if err := q.Validate(); err != nil || q.Email != "a@b.com" {
		t.Fatalf("%+v: %v", q, err)
	}
}

func TestTimeline_OrderedWithEveryKind(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &attribution.DiagnosisFacts{
		Customer:  &attribution.Customer{ID: "cus_1"},
		Clicks:    []attribution.FoundClick{{Click: &attribution.Click{ID: "clk_1", ClickedAt: t0}, Via: attribution.ViaToken}},
		Signups:   []*attribution.Signup{{ID: "sig_1", CreatedAt: t0.Add(time.Minute)}},
		Purchases: []*attribution.Purchase{{ID: "pur_1", Amount: 100, RefundedAmount: 50, PurchasedAt: t0.Add(2 * time.Minute), UpdatedAt: t0.Add(4 * time.Minute)}},
		Rewards:   []*attribution.Reward{{ID: "rwd_1", CreatedAt: t0.Add(3 * time.Minute)}},
		Overrides: []*attribution.AuditEntry{{ID: "aud_1", Action: attribution.ActionCustomerReassign, CreatedAt: t0.Add(5 * time.Minute)}},
	}
	var types []string
	for _, ev := range attribution.Timeline(f) {
		types = append(types, ev.Type)
	}
	if got := strings.Join(types, ","); got != "click,signup,purchase,reward,refund,override" {
		t.Fatalf("timeline = %s", got)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com":  "a***@e***.com",
		"Zoe@mail.co.uk":   "Z***@m***.uk",
		"x@localhost":      "x***@l***",
		"":                 "",
		"not-an-email":     "***",
		"élise@exemple.fr": "é***@e***.fr",
		"a@b.c":            "a***@b***.c",
		"trailing@":        "***",
		"@nolocal.example": "***",
	} {
		if got := attribution.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPartnerDestinationAllowed(t *testing.T) {
	v := &attribution.Vendor{Name: "Acme", Domain: "acme.com"}
	for dest, ok := range map[string]bool{
		"https://acme.com/":            true,
		"https://www.acme.com/x?y=1":   true,
		"http://shop.eu.acme.com:8080": true,
		"https://ACME.com/pricing":     true,
		"https://notacme.com/":         false,
		"https://acme.com.evil.io/":    false,
		"https://evil.io/?acme.com":    false,
	} {
		err := attribution.PartnerDestinationAllowed(v, dest)
		if (err == nil) != ok {
			t.Errorf("%s: err = %v, want allowed=%v", dest, err, ok)
		}
	}
	err := attribution.PartnerDestinationAllowed(&attribution.Vendor{Name: "Acme"}, "https://acme.com/")
	if attribution.ErrorCode(err) != attribution.EINVALID || !strings.Contains(attribution.ErrorMessage(err), "domain") {
		t.Fatalf("no domain: %v", err)
	}
}
