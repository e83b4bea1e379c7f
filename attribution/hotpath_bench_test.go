package attribution_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func BenchmarkTokenEncode(b *testing.B) {
	codec, err := attribution.NewTokenCodec([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	tok := attribution.ClickToken{
		ClickID: attribution.NewID(attribution.PrefixClick, now), LinkID: attribution.NewID(attribution.PrefixLink, now),
		PartnerID: attribution.NewID(attribution.PrefixPartner, now), VendorID: attribution.NewID(attribution.PrefixVendor, now),
		ClickedAt: now.Unix(),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := codec.Encode(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedirectURL(b *testing.B) {
	d, err := attribution.ParseDestination("https://shop.example.com/p/1?plan=pro#top")
	if err != nil {
		b.Fatal(err)
	}
	incoming := url.Values{"utm_medium": {"email"}}
	utm := attribution.UTM{Source: "partner", Campaign: "spring"}
	token := "MTczMjk2MDAwMHxBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB-_abc="
	b.ReportAllocs()
	for b.Loop() {
		_ = d.With(utm, incoming, token)
	}
}

func BenchmarkNewID(b *testing.B) {
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = attribution.NewID(attribution.PrefixClick, now)
		}
	})
}
