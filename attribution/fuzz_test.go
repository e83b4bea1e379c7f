package attribution_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// Fixed keys: fuzzing needs deterministic inputs, and a token the fuzzer
// finds that verifies under these keys would be a real forgery.
var (
	fuzzHashKey  = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	fuzzBlockKey = []byte("fedcba9876543210fedcba9876543210")
	fuzzOldHash  = []byte("old-hash-key-old-hash-key-old-hash-key-old-hash-key-old-hash-key")
	fuzzOldBlock = []byte("old-block-key-old-block-key-0123")
)

// fuzzClaims are the only claims ever signed with the fuzz keys.
var fuzzClaims = attribution.ClickToken{
	ClickID: "clk_01kf0000000000000000000000", LinkID: "lnk_01kf0000000000000000000000",
	PartnerID: "par_01kf0000000000000000000000", VendorID: "ven_01kf0000000000000000000000",
	ClickedAt: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC).Unix(),
}

// fuzzIssuedToken is fuzzClaims encoded with fuzzHashKey/fuzzBlockKey,
// fuzzIssuedOldToken with the old pair.
const (
	fuzzIssuedToken    = "MTc5NjAzMzk1NHx1ak9NZHV3Z1RENmlfQmRDUVZKcU5tWkRyNExGRThJOVdfaE96UzF4MkV0a3VuSUVfVzNXYXJ5cHk5TjlKWlBWcktWeWRpc0hXZ1h6VWtlSmlsWVF2UHppa0prekRiLURtWC1sMWlKTU94Z3djRlpqY0o3VFBpZ2N80XPLFOPzmAj6lp7tK_MDoJLbyOPkCvlyRzYLPkOEmaY="
	fuzzIssuedOldToken = "MTc5NjAzMzk1NHxRY2R1RGhJM016Nk52RWdlWEJ1aXpFZEVwWE1sVk9oajBVZ25kU1FvTzN2WUpyVXU1a2FLVmNFb2szeV9LTEdiUS15RU1ZUGl5a0xleHhKRmpjX05lWGNkalhQaDVJa0tfTVd4NjBVTlNOVGZMM3VnYXhjU0EtY1J8vkIqM_wAzkj0gkz313TqK2JG3mjJGgB3iP6kT9IUqkI="
)

// FuzzTokenDecode feeds arbitrary strings to the click-token decoder: it
// never panics, random input never verifies, and a token that does decode
// (a seed issued by the codec, possibly one issued under the old key pair)
// re-encodes with the newest keys and decodes back to the same claims.
func FuzzTokenDecode(f *testing.F) {
	codec, err := attribution.NewTokenCodec(fuzzHashKey, fuzzBlockKey, fuzzOldHash, fuzzOldBlock)
	if err != nil {
		f.Fatal(err)
	}
	old, err := attribution.NewTokenCodec(fuzzOldHash, fuzzOldBlock)
	if err != nil {
		f.Fatal(err)
	}
	// Tokens issued under the fixed keys (the newest pair, and the old pair
	// the codec still accepts). They are constants: each fuzz worker runs
	// this function again, and encoding is randomised (IV, timestamp).
	for _, s := range []string{fuzzIssuedToken, fuzzIssuedOldToken} {
		f.Add(s)
		f.Add(s[:len(s)-1])       // truncated
		f.Add(s + "A")            // extended
		f.Add(strings.ToUpper(s)) // altered
		f.Add(s[:40] + "\n" + s[40:])
		f.Add(s[:len(s)/2] + "|" + s[len(s)/2:])
	}
	for _, s := range []string{
		"", "a", "|||", "MTIz", "tally_ref", "%00", strings.Repeat("A", 1025), strings.Repeat("A", 1024),
		"eyJjIjoiY2xrXzEiLCJ2IjoidmVuXzEiLCJwIjoicGFyXzEiLCJ0IjoxfQ", // unsigned JSON claims
		"MTcwMDAwMDAwMHx7fXxBQUFB", "\xff\xfe", "null", "{}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := codec.Decode(s)
		if err != nil {
			if attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("Decode(%q): error code %q, want %q", s, attribution.ErrorCode(err), attribution.EINVALID)
			}
			if got != (attribution.ClickToken{}) {
				t.Fatalf("Decode(%q) failed but returned claims %+v", s, got)
			}
			if s == fuzzIssuedToken || s == fuzzIssuedOldToken {
				t.Fatalf("an issued token does not decode: %v", err)
			}
			return
		}
		// Only fuzzClaims were ever signed with these keys. An input that
		// verifies is an issued token or a harmless re-spelling of one
		// (securecookie's base64 is lenient: ignored newlines, padding
		// bits); anything else would be a forgery.
		if got != fuzzClaims {
			t.Fatalf("input the codec never issued verifies: %q -> %+v", s, got)
		}
		again, err := codec.Encode(got)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := codec.Decode(again)
		if err != nil || back != got {
			t.Fatalf("re-encoded token decodes to %+v, %v; want %+v", back, err, got)
		}
		if _, err := old.Decode(again); err == nil {
			t.Fatal("a re-encoded token verifies under the old key alone: the newest key must sign")
		}
	})
}

// FuzzRedirectURL merges arbitrary destinations, link UTM values, incoming
// queries and tokens: it never panics, and for destinations a link may have
// (absolute http(s), as ValidateHTTPURL allows) the result parses, keeps the
// destination's host, carries tally_ref exactly once with the token, and
// keeps every existing parameter Tally does not set, byte for byte, in order.
func FuzzRedirectURL(f *testing.F) {
	for _, s := range [][5]string{
		{"https://shop.example/", "", "", "", "TOKEN"},
		{"https://shop.example", "news", "spring", "utm_source=fb", "TOKEN"},
		{"https://shop.example/p?plan=pro&utm_source=old#top", "news", "", "utm_medium=x&v=b", "T0K-EN_"},
		{"https://shop.example/?tally_ref=forged&tally%5Fref=forged2&tally_ref", "", "", "tally_ref=evil", "TOKEN"},
		{"https://shop.example/?a=1&&b=%zz&c", "", "", "url=https://evil.example&next=//evil.example", "TOKEN"},
		{"https://user@shop.example:8443/x;y?q=a+b#frag?x=1", "a&b=c", "d#e", "utm_term=%0d%0aSet-Cookie:x", "TO+KEN"},
		{"http://[::1]:80/?utm_source=a&utm_source=b", "", "", "", ""},
		{"https://shop.example/%2F%2Fevil.example", "", "", "", "TOKEN"},
		{"https://shop.example?", "", "", "", "TOKEN"},
		{"//evil.example/", "", "", "", "TOKEN"},
		{"javascript:alert(1)", "", "", "", "TOKEN"},
		{"https://shop.example/\x00", "", "", "", "\r\n"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, dest, utmSource, utmCampaign, incomingRaw, token string) {
		incoming, _ := url.ParseQuery(incomingRaw)
		utm := attribution.UTM{Source: utmSource, Campaign: utmCampaign}
		out, err := attribution.RedirectURL(dest, utm, incoming, token)
		if attribution.ValidateHTTPURL("destination_url", dest) != nil {
			return // not a destination a link can hold; not panicking is enough
		}
		if err != nil {
			t.Fatalf("RedirectURL(%q): %v", dest, err)
		}
		src, _ := url.Parse(dest)
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("result %q does not parse: %v", out, err)
		}
		if u.Scheme != src.Scheme || u.Host != src.Host || u.User.String() != src.User.String() {
			t.Fatalf("destination %q became %q: scheme/host/userinfo changed", dest, out)
		}
		q, _ := url.ParseQuery(u.RawQuery) // segments Tally keeps may be malformed; the rest still count
		if token != "" {
			if got := q[attribution.RefParam]; len(got) != 1 || got[0] != token {
				t.Fatalf("tally_ref in %q = %q, want exactly [%q]", out, got, token)
			}
		}
		// Existing parameters other than utm_* and tally_ref are kept in order.
		result := strings.Split(u.RawQuery, "&")
		i := 0
		if src.RawQuery != "" {
			for _, seg := range strings.Split(src.RawQuery, "&") {
				key := seg
				if j := strings.IndexByte(seg, '='); j >= 0 {
					key = seg[:j]
				}
				if k, err := url.QueryUnescape(key); err == nil && (strings.HasPrefix(k, "utm_") || k == attribution.RefParam) {
					continue
				}
				for i < len(result) && result[i] != seg {
					i++
				}
				if i == len(result) {
					t.Fatalf("parameter segment %q of %q lost in %q", seg, dest, out)
				}
				i++
			}
		}
		if u.Fragment != src.Fragment {
			t.Fatalf("fragment %q became %q", src.Fragment, u.Fragment)
		}
	})
}
