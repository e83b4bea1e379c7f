package attribution_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestNewClick(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	link := &attribution.Link{ID: "lnk_1", VendorID: "ven_1", PartnerID: "par_1",
		UTM: attribution.UTM{Source: "partner", Medium: "affiliate", Campaign: strings.Repeat("c", 250)}}

	t.Run("VisitUTMWinsWhereGiven", func(t *testing.T) {
		c := attribution.NewClick(link, attribution.Visit{At: at, Query: url.Values{"utm_source": {"news"}, "utm_term": {"shoes"}}})
		if c.UTMSource != "news" || c.UTMMedium != "affiliate" || c.UTMTerm != "shoes" || c.UTMContent != "" {
			t.Errorf("utm = %q %q %q %q, want news affiliate shoes and no content", c.UTMSource, c.UTMMedium, c.UTMTerm, c.UTMContent)
		}
		if c.LinkID != "lnk_1" || c.VendorID != "ven_1" || c.PartnerID != "par_1" || !c.ClickedAt.Equal(at) {
			t.Errorf("click = %+v, want link lnk_1 of ven_1, par_1, at %v", c, at)
		}
		if !strings.HasPrefix(c.ID, attribution.PrefixClick) {
			t.Errorf("id %q, want prefix %q", c.ID, attribution.PrefixClick)
		}
	})
	t.Run("TextBounded", func(t *testing.T) {
		c := attribution.NewClick(link, attribution.Visit{At: at, ReferrerHost: strings.Repeat("r", 300),
			Query: url.Values{"v": {strings.Repeat("é", 40)}, "utm_medium": {strings.Repeat("m", 201)}}})
		if len(c.UTMCampaign) != 200 || len(c.UTMMedium) != 200 || len(c.ReferrerHost) != 255 {
			t.Errorf("lengths campaign %d medium %d referrer %d, want 200 200 255", len(c.UTMCampaign), len(c.UTMMedium), len(c.ReferrerHost))
		}
		if c.Variant != strings.Repeat("é", 32) {
			t.Errorf("variant %q (%d bytes), want 32 whole é (64 bytes)", c.Variant, len(c.Variant))
		}
	})
	t.Run("BotGetsNoToken", func(t *testing.T) {
		c := attribution.NewClick(link, attribution.Visit{At: at, Bot: true})
		if _, ok := c.Token(); ok {
			t.Error("a bot's click hands out a token")
		}
	})
	t.Run("TokenNamesTheClick", func(t *testing.T) {
		c := attribution.NewClick(link, attribution.Visit{At: at})
		tok, ok := c.Token()
		want := attribution.ClickToken{ClickID: c.ID, LinkID: "lnk_1", PartnerID: "par_1", VendorID: "ven_1", ClickedAt: at.Unix()}
		if !ok || tok != want {
			t.Errorf("Token() = %+v, %v; want %+v, true", tok, ok, want)
		}
	})
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"abc", "abc"},
		{"abcdef", "abcd"},
		{"ab\xffcd", "abcd"}, // invalid UTF-8 dropped
		{"abcé", "abc"},      // a rune cut in half is dropped
		{"", ""},
	} {
		if got := attribution.Clip(tc.in, 4); got != tc.want {
			t.Errorf("Clip(%q, 4) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
