package attribution_test

import (
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/tally-dev/tally/attribution"
)

func TestTokenCodec_CompactForm(t *testing.T) {
	codec, err := attribution.NewTokenCodec(make([]byte, 64), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for name, tok := range map[string]attribution.ClickToken{
		"ULIDs": {
			ClickID: attribution.NewID(attribution.PrefixClick, now), LinkID: attribution.NewID(attribution.PrefixLink, now),
			PartnerID: attribution.NewID(attribution.PrefixPartner, now), VendorID: attribution.NewID(attribution.PrefixVendor, now),
			ClickedAt: now.Unix(),
		},
		"OtherIDs": {ClickID: "clk_1", LinkID: "", PartnerID: "partner with spaces", VendorID: "ven_é", ClickedAt: 1},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := codec.Encode(tok)
			if err != nil {
				t.Fatal(err)
			}
			if name == "ULIDs" && len(s) > 240 {
				t.Errorf("token is %d characters; the compact form keeps referral URLs short", len(s))
			}
			got, err := codec.Decode(s)
			if err != nil || got != tok {
				t.Fatalf("Decode = %+v, %v; want %+v", got, err, tok)
			}
		})
	}
}

// Only the binary form decodes: a payload signed and encrypted with the right
// keys but serialized otherwise (here JSON, securecookie's default) is invalid.
func TestTokenCodec_OnlyBinaryForm(t *testing.T) {
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	codec, err := attribution.NewTokenCodec(hashKey, blockKey)
	if err != nil {
		t.Fatal(err)
	}
	tok := attribution.ClickToken{ClickID: "clk_1", LinkID: "lnk_1", PartnerID: "par_1", VendorID: "ven_1", ClickedAt: 1}
	sc := securecookie.New(hashKey, blockKey).MaxAge(0).SetSerializer(securecookie.JSONEncoder{})
	s, err := sc.Encode(attribution.RefParam, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := codec.Decode(s); err == nil {
		t.Fatalf("a JSON-serialized token decoded to %+v", got)
	}
	if s, err = codec.Encode(tok); err != nil {
		t.Fatal(err)
	}
	if got, err := codec.Decode(s); err != nil || got != tok {
		t.Fatalf("Decode = %+v, %v; want %+v", got, err, tok)
	}
}
