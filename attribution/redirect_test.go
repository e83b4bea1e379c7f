package attribution_test

import (
	"net/url"
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestRedirectURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		destination string
		utm         attribution.UTM
		incoming    url.Values
		token       string
		want        string
	}{
		{
			name:        "PlainDestination",
			destination: "https://shop.example/",
			token:       "TOKEN",
			want:        "https://shop.example/?tally_ref=TOKEN",
		},
		{
			name:        "NoPath",
			destination: "https://shop.example",
			token:       "TOKEN",
			want:        "https://shop.example?tally_ref=TOKEN",
		},
		{
			name:        "ExistingQueryKeptByteForByte",
			destination: "https://shop.example/p?a=1&b&c=%2F&d=x+y&e=%E2%9C%93",
			token:       "TOKEN",
			want:        "https://shop.example/p?a=1&b&c=%2F&d=x+y&e=%E2%9C%93&tally_ref=TOKEN",
		},
		{
			name:        "RepeatedKeysKept",
			destination: "https://shop.example/p?tag=a&tag=b",
			token:       "TOKEN",
			want:        "https://shop.example/p?tag=a&tag=b&tally_ref=TOKEN",
		},
		{
			name:        "FragmentKept",
			destination: "https://shop.example/p#pricing",
			token:       "TOKEN",
			want:        "https://shop.example/p?tally_ref=TOKEN#pricing",
		},
		{
			name:        "QueryAndFragment",
			destination: "https://shop.example/p?plan=pro#top",
			token:       "TOKEN",
			want:        "https://shop.example/p?plan=pro&tally_ref=TOKEN#top",
		},
		{
			name:        "EmptyQueryMark",
			destination: "https://shop.example/p?",
			token:       "TOKEN",
			want:        "https://shop.example/p?tally_ref=TOKEN",
		},
		{
			name:        "LinkUTMAdded",
			destination: "https://shop.example/p?plan=pro",
			utm:         attribution.UTM{Source: "partner", Medium: "affiliate", Campaign: "spring", Content: "banner", Term: "shoes"},
			token:       "TOKEN",
			want:        "https://shop.example/p?plan=pro&utm_source=partner&utm_medium=affiliate&utm_campaign=spring&utm_content=banner&utm_term=shoes&tally_ref=TOKEN",
		},
		{
			name:        "LinkUTMOverridesDestination",
			destination: "https://shop.example/p?utm_source=old&x=1&utm_medium=old",
			utm:         attribution.UTM{Source: "partner"},
			token:       "TOKEN",
			want:        "https://shop.example/p?x=1&utm_medium=old&utm_source=partner&tally_ref=TOKEN",
		},
		{
			name:        "EncodedUTMKeyInDestinationOverridden",
			destination: "https://shop.example/p?utm%5Fsource=old&x=1",
			utm:         attribution.UTM{Source: "partner"},
			token:       "TOKEN",
			want:        "https://shop.example/p?x=1&utm_source=partner&tally_ref=TOKEN",
		},
		{
			name:        "IncomingUTMForwardedWhereLinkSetsNone",
			destination: "https://shop.example/p",
			utm:         attribution.UTM{Source: "partner"},
			incoming:    url.Values{"utm_source": {"instagram"}, "utm_campaign": {"story"}, "other": {"x"}},
			token:       "TOKEN",
			want:        "https://shop.example/p?utm_source=partner&utm_campaign=story&tally_ref=TOKEN",
		},
		{
			name:        "IncomingUTMOverridesDestination",
			destination: "https://shop.example/p?utm_term=old",
			incoming:    url.Values{"utm_term": {"new"}},
			token:       "TOKEN",
			want:        "https://shop.example/p?utm_term=new&tally_ref=TOKEN",
		},
		{
			name:        "ValuesEscaped",
			destination: "https://shop.example/p",
			utm:         attribution.UTM{Source: "a b&c=d", Campaign: "été/2026#1"},
			token:       "TOKEN",
			want:        "https://shop.example/p?utm_source=a+b%26c%3Dd&utm_campaign=%C3%A9t%C3%A9%2F2026%231&tally_ref=TOKEN",
		},
		{
			name:        "ExistingTallyRefReplaced",
			destination: "https://shop.example/p?tally_ref=stale&a=1",
			token:       "TOKEN",
			want:        "https://shop.example/p?a=1&tally_ref=TOKEN",
		},
		{
			name:        "NoTokenForBots",
			destination: "https://shop.example/p?a=1#f",
			utm:         attribution.UTM{Medium: "affiliate"},
			want:        "https://shop.example/p?a=1&utm_medium=affiliate#f",
		},
		{
			name:        "FragmentEscapedAsURLWritesIt",
			destination: "https://shop.example/p#a b",
			token:       "TOKEN",
			want:        "https://shop.example/p?tally_ref=TOKEN#a%20b",
		},
		{
			name:        "EmptySegmentsKept",
			destination: "https://shop.example/p?a=1&&b=2",
			token:       "TOKEN",
			want:        "https://shop.example/p?a=1&&b=2&tally_ref=TOKEN",
		},
		{
			name:        "NothingToAdd",
			destination: "https://shop.example/p?",
			want:        "https://shop.example/p",
		},
		{
			name:        "OnlyOverriddenSegment",
			destination: "https://shop.example/p?utm_source=old#f",
			utm:         attribution.UTM{Source: "partner"},
			want:        "https://shop.example/p?utm_source=partner#f",
		},
		{
			name:        "PortAndPathKept",
			destination: "http://shop.example:8443/a/b%20c/?q=1",
			token:       "TOKEN",
			want:        "http://shop.example:8443/a/b%20c/?q=1&tally_ref=TOKEN",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := attribution.RedirectURL(tc.destination, tc.utm, tc.incoming, tc.token)
			if err != nil {
				t.Fatalf("RedirectURL: %v", err)
			}
			if got != tc.want {
				t.Errorf("RedirectURL(%q)\n got  %s\n want %s", tc.destination, got, tc.want)
			}
			if _, err := url.Parse(got); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
		})
	}
}

func TestRedirectURL_TokenRoundTrips(t *testing.T) {
	t.Parallel()
	// A real token is URL-safe base64; it must come back unchanged from the query.
	codec := newCodec(t)
	token, err := codec.Encode(attribution.ClickToken{ClickID: "clk_1", LinkID: "lnk_1", PartnerID: "par_1", VendorID: "ven_1", ClickedAt: 1768478400})
	if err != nil {
		t.Fatal(err)
	}
	got, err := attribution.RedirectURL("https://shop.example/p?a=1", attribution.UTM{}, nil, token)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get(attribution.RefParam) != token {
		t.Fatalf("tally_ref = %q, want %q", u.Query().Get(attribution.RefParam), token)
	}
	if _, err := codec.Decode(u.Query().Get(attribution.RefParam)); err != nil {
		t.Fatalf("decode token from URL: %v", err)
	}
}

func TestRedirectURL_Unparsable(t *testing.T) {
	t.Parallel()
	if _, err := attribution.RedirectURL("http://[::1", attribution.UTM{}, nil, "T"); err == nil {
		t.Fatal("want an error for an unparsable destination")
	}
}
