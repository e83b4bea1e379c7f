package attribution_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestVendor_MatchesPage(t *testing.T) {
	v := &attribution.Vendor{Domain: "shop.example", AllowedOrigins: []string{"https://checkout.partner.example"}}
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"https://shop.example", true},
		{"http://shop.example:8080", true},
		{"https://www.shop.example", true},
		{"https://a.b.shop.example", true},
		{"https://checkout.partner.example", true},
		{"HTTPS://Checkout.Partner.example", true},
		{"http://checkout.partner.example", false},
		{"https://landing.example", false},
		{"https://evilshop.example", false},
		{"https://shop.example.evil.example", false},
		{"https://partner.example", false},
		{"not an origin", false},
	} {
		if got := v.MatchesPage(tc.origin); got != tc.want {
			t.Errorf("MatchesPage(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	if (&attribution.Vendor{}).MatchesPage("https://shop.example") {
		t.Error("a vendor without domain or origins matches a page")
	}
}

func TestVendor_BadPingRelation(t *testing.T) {
	v := &attribution.Vendor{PublicKey: "pk_mine", Domain: "shop.example", AllowedOrigins: []string{"https://shop.example"}}
	open := &attribution.Vendor{PublicKey: "pk_open", Domain: "shop.example"}
	for _, tc := range []struct {
		name         string
		v            *attribution.Vendor
		key, origin  string
		keyOfAVendor bool
		want         string
	}{
		{"own key, origin not allowed", v, "pk_mine", "https://elsewhere.example", false, attribution.PingOwn},
		{"own key, origin allowed since", v, "pk_mine", "https://shop.example", false, attribution.PingNotShown},
		{"own leaked secret key, anywhere", v, attribution.LeakedSecretKey("pk_mine"), "https://elsewhere.example", false, attribution.PingOwn},
		{"another vendor's key on my host", v, "pk_theirs", "https://shop.example", true, attribution.PingNotShown},
		{"another vendor's leaked secret on my host", v, attribution.LeakedSecretKey("pk_theirs"), "https://shop.example", false, attribution.PingNotShown},
		{"missing key on my host", v, "", "https://www.shop.example", false, attribution.PingUnowned},
		{"unknown key on my host", v, "pk_nobody", "https://shop.example", false, attribution.PingUnowned},
		{"secret key of no vendor on my host", v, "sk_", "https://shop.example", false, attribution.PingUnowned},
		{"unknown key elsewhere", v, "pk_nobody", "https://elsewhere.example", false, attribution.PingNotShown},
		{"shared host, another vendor with no pings", open, "pk_nobody", "https://shop.example", false, attribution.PingUnowned},
		{"shared host, the first vendor's key", open, "pk_mine", "https://shop.example", true, attribution.PingNotShown},
	} {
		if got := tc.v.BadPingRelation(tc.key, tc.origin, tc.keyOfAVendor); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestEvaluateSnippetHealth(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	since := now.Add(-7 * 24 * time.Hour)
	v := &attribution.Vendor{ID: "ven_x", PublicKey: "pk_right0000", Domain: "shop.example"}
	seen := &attribution.SnippetPage{Origin: "https://shop.example", Path: "/", LastSeenAt: now.Add(-time.Hour)}
	page := func(path string, pings, ref, refFail int, at time.Time) attribution.SnippetPage {
		return attribution.SnippetPage{Origin: "https://shop.example", Path: path, Pings: pings, RefInURL: ref, RefCookieFailures: refFail, CookieFailures: refFail, LastSeenAt: at}
	}
	base := func() *attribution.SnippetHealthData {
		return &attribution.SnippetHealthData{
			Since: since, Until: now, LastSeen: seen,
			Pages:          []attribution.SnippetPage{page("/", 10, 0, 0, now.Add(-time.Hour))},
			OriginLastSeen: map[string]time.Time{"https://shop.example": now.Add(-time.Hour)},
		}
	}
	for _, tc := range []struct {
		name      string
		vendor    func(v attribution.Vendor) *attribution.Vendor
		data      func(d *attribution.SnippetHealthData)
		status    string // overall
		check     string
		want      string // the check's status
		fragments []string
	}{
		{"AllOK", nil, func(d *attribution.SnippetHealthData) {}, "ok", attribution.CheckSnippetSeen, "ok", []string{"https://shop.example/"}},
		{"NeverSeen", nil, func(d *attribution.SnippetHealthData) { d.LastSeen, d.Pages, d.OriginLastSeen = nil, nil, nil },
			"never_seen", attribution.CheckSnippetSeen, "failing", []string{"never received", "https://shop.example"}},
		{"OnlyMisconfigured", nil, func(d *attribution.SnippetHealthData) {
			d.LastSeen, d.Pages = nil, nil
			d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: "pk_right0000", Origin: "https://b.example", Path: "/", Pings: 3, LastSeenAt: now, Relation: attribution.PingOwn}}
		}, "failing", attribution.CheckSnippetSeen, "failing", []string{"never with your public key"}},
		{"OnlyUnownedIsNeverSeen", nil, func(d *attribution.SnippetHealthData) {
			d.LastSeen, d.Pages = nil, nil
			d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: "pk_nobody", Origin: "https://shop.example", Path: "/", Pings: 3, LastSeenAt: now, Relation: attribution.PingUnowned}}
		}, "never_seen", attribution.CheckPublicKey, "warning", []string{`"pk_nobody"`, "matches no Tally program", "If https://shop.example is your page"}},
		{"Stale", nil, func(d *attribution.SnippetHealthData) {
			d.LastSeen = &attribution.SnippetPage{Origin: "https://shop.example", Path: "/a", LastSeenAt: now.Add(-20 * 24 * time.Hour)}
			d.Pages, d.OriginLastSeen = nil, nil
		}, "failing", attribution.CheckSnippetSeen, "failing", []string{"20 days ago", "/a"}},

		{"CookieFew", nil, func(d *attribution.SnippetHealthData) { d.Pages[0] = page("/", 10, 10, 2, now) },
			"warning", attribution.CheckCookieWrite, "warning", []string{"2 of 10 page loads", "HttpOnly"}},
		{"CookieMost", nil, func(d *attribution.SnippetHealthData) { d.Pages[0] = page("/", 10, 4, 3, now) },
			"failing", attribution.CheckCookieWrite, "failing", []string{"3 of 4"}},
		{"CookieMostButCNAME", func(v attribution.Vendor) *attribution.Vendor { v.CookieDomain = "shop.example"; return &v },
			func(d *attribution.SnippetHealthData) { d.Pages[0] = page("/", 10, 4, 3, now) },
			"warning", attribution.CheckCookieWrite, "warning", nil},
		{"CookieNoRef", nil, func(d *attribution.SnippetHealthData) {}, "ok", attribution.CheckCookieWrite, "ok", []string{"No page loaded with tally_ref"}},

		{"KeyMissing", nil, func(d *attribution.SnippetHealthData) {
			d.Misconfigured = []attribution.MisconfiguredPings{{Origin: "https://www.shop.example", Path: "/x", Pings: 2, LastSeenAt: now, Relation: attribution.PingUnowned}}
		}, "warning", attribution.CheckPublicKey, "warning", []string{"no data-key", "https://www.shop.example", `data-key="pk_right0000"`}},
		{"KeySecretLeaked", nil, func(d *attribution.SnippetHealthData) {
			d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: attribution.LeakedSecretKey("pk_right0000"), Origin: "https://shop.example", Path: "/x", Pings: 1, LastSeenAt: now, Relation: attribution.PingOwn}}
		}, "failing", attribution.CheckPublicKey, "failing", []string{"your secret key", "leaked"}},
		{"KeySecretOfNoVendor", nil, func(d *attribution.SnippetHealthData) {
			d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: "sk_", Origin: "https://shop.example", Path: "/x", Pings: 1, LastSeenAt: now, Relation: attribution.PingUnowned}}
		}, "warning", attribution.CheckPublicKey, "warning", []string{"no Tally key", "your public key pk_right0000"}},
		{"KeyOriginNotAllowed", func(v attribution.Vendor) *attribution.Vendor {
			v.AllowedOrigins = []string{"https://shop.example"}
			return &v
		},
			func(d *attribution.SnippetHealthData) {
				d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: "pk_right0000", Origin: "https://b.example", Path: "/", Pings: 1, LastSeenAt: now, Relation: attribution.PingOwn}}
			}, "failing", attribution.CheckPublicKey, "failing", []string{"allowed_origins", "https://b.example"}},
		{"KeyFixed", nil, func(d *attribution.SnippetHealthData) {
			d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: "pk_old", Origin: "https://shop.example", Path: "/", Pings: 1, LastSeenAt: now.Add(-2 * time.Hour), Relation: attribution.PingUnowned}}
		}, "warning", attribution.CheckPublicKey, "warning", []string{"looks fixed", `"pk_old"`}},

		{"TokenlessFailing", nil, func(d *attribution.SnippetHealthData) { d.Signups, d.SignupsWithoutToken, d.Clicks = 10, 8, 30 },
			"failing", attribution.CheckSignupsWithoutToken, "failing", []string{"8 of 10 signups", "80 %", "30 clicks"}},
		{"TokenlessFewSignups", nil, func(d *attribution.SnippetHealthData) { d.Signups, d.SignupsWithoutToken, d.Clicks = 4, 4, 3 },
			"warning", attribution.CheckSignupsWithoutToken, "warning", nil},
		{"TokenlessWarning", nil, func(d *attribution.SnippetHealthData) { d.Signups, d.SignupsWithoutToken, d.Clicks = 10, 4, 3 },
			"warning", attribution.CheckSignupsWithoutToken, "warning", []string{"40 %"}},
		{"TokenlessAtThreshold", nil, func(d *attribution.SnippetHealthData) { d.Signups, d.SignupsWithoutToken, d.Clicks = 10, 3, 3 },
			"ok", attribution.CheckSignupsWithoutToken, "ok", nil},
		{"TokenlessNoClicks", nil, func(d *attribution.SnippetHealthData) { d.Signups, d.SignupsWithoutToken = 10, 10 },
			"ok", attribution.CheckSignupsWithoutToken, "ok", []string{"no referral clicks"}},

		{"LandingMissing", nil, func(d *attribution.SnippetHealthData) {
			d.Landings = []attribution.LandingClicks{{DestinationURL: "https://go.shop.example/pricing?x=1#top", Clicks: 2, FirstClickAt: now.Add(-3 * time.Hour)}}
		}, "failing", attribution.CheckLandingPages, "failing", []string{"Add the two script tags to https://go.shop.example/pricing."}},
		{"LandingPingedBeforeOnly", nil, func(d *attribution.SnippetHealthData) {
			d.Landings = []attribution.LandingClicks{{DestinationURL: "https://shop.example/", Clicks: 2, FirstClickAt: now.Add(-time.Minute * 30)}}
		}, "failing", attribution.CheckLandingPages, "failing", nil},
		{"LandingPinged", nil, func(d *attribution.SnippetHealthData) {
			d.Landings = []attribution.LandingClicks{{DestinationURL: "https://shop.example/", Clicks: 2, FirstClickAt: now.Add(-3 * time.Hour)}}
		}, "ok", attribution.CheckLandingPages, "ok", nil},
		{"LandingPingedWithBadKey", nil, func(d *attribution.SnippetHealthData) {
			d.Misconfigured = []attribution.MisconfiguredPings{{PublicKey: "pk_old", Origin: "https://www.shop.example", Path: "/", Pings: 1, LastSeenAt: now, Relation: attribution.PingUnowned}}
			d.Landings = []attribution.LandingClicks{{DestinationURL: "https://www.shop.example/", Clicks: 2, FirstClickAt: now.Add(-3 * time.Hour)}}
		}, "warning", attribution.CheckLandingPages, "ok", nil},
		{"LandingOtherPath", nil, func(d *attribution.SnippetHealthData) {
			d.Landings = []attribution.LandingClicks{{DestinationURL: "https://shop.example/pricing", Clicks: 2, FirstClickAt: now.Add(-3 * time.Hour)}}
		}, "warning", attribution.CheckLandingPages, "warning", []string{"https://shop.example/pricing"}},
		{"LandingOtherPathTruncated", nil, func(d *attribution.SnippetHealthData) {
			d.PagesTruncated = true
			d.Landings = []attribution.LandingClicks{{DestinationURL: "https://shop.example/pricing", Clicks: 2, FirstClickAt: now.Add(-3 * time.Hour)}}
		}, "ok", attribution.CheckLandingPages, "ok", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vv := v
			if tc.vendor != nil {
				vv = tc.vendor(*v)
			}
			d := base()
			tc.data(d)
			h := attribution.EvaluateSnippetHealth(vv, d, now)
			if h.Status != tc.status {
				t.Errorf("status %s, want %s: %+v", h.Status, tc.status, h.Checks)
			}
			if len(h.Checks) != 5 {
				t.Fatalf("checks %+v", h.Checks)
			}
			for _, c := range h.Checks {
				if c.Detail == "" || (c.Status != "ok" && c.Remedy == "") {
					t.Errorf("check %+v lacks a detail or a remedy", c)
				}
				if strings.Contains(c.Detail+c.Remedy, "/v1/") {
					t.Errorf("check %s renders an API path: %s", c.Name, c.Remedy)
				}
				if c.Name != tc.check {
					continue
				}
				if c.Status != tc.want {
					t.Errorf("%s: %s, want %s: %s", c.Name, c.Status, tc.want, c.Detail)
				}
				for _, f := range tc.fragments {
					if !strings.Contains(c.Detail+" "+c.Remedy, f) {
						t.Errorf("%s: %q not in %q / %q", c.Name, f, c.Detail, c.Remedy)
					}
				}
				if c.Status != "failing" && strings.Contains(c.Detail+c.Remedy, "leaked") {
					t.Errorf("%s: a warning tells to replace a secret key: %s", c.Name, c.Remedy)
				}
			}
		})
	}
}
