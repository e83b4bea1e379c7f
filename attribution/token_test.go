package attribution_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func randomKey(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newCodec(t *testing.T) *attribution.TokenCodec {
	t.Helper()
	c, err := attribution.NewTokenCodec(randomKey(t, 64), randomKey(t, 32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var sampleToken = attribution.ClickToken{
	ClickID:   "clk_01kf0000000000000000000000",
	LinkID:    "lnk_01kf0000000000000000000000",
	PartnerID: "par_01kf0000000000000000000000",
	VendorID:  "ven_01kf0000000000000000000000",
	ClickedAt: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC).Unix(),
}

func TestToken_RoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		pairs [][]byte
	}{
		{"Encrypted", [][]byte{randomKey(t, 64), randomKey(t, 32)}},
		{"AES128", [][]byte{randomKey(t, 32), randomKey(t, 16)}},
		{"SignedOnly", [][]byte{randomKey(t, 64), nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := attribution.NewTokenCodec(tc.pairs...)
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Encode(sampleToken)
			if err != nil {
				t.Fatal(err)
			}
			// '=' (base64 padding) is allowed in cookie values and query values.
			if strings.ContainsAny(s, " ;,\"&?#/+") {
				t.Errorf("token %q is not URL- and cookie-safe", s)
			}
			got, err := c.Decode(s)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != sampleToken {
				t.Errorf("Decode = %+v, want %+v", got, sampleToken)
			}
			if !got.Time().Equal(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)) {
				t.Errorf("Time() = %v", got.Time())
			}
		})
	}
}

func TestToken_Encrypted(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	s, err := c.Encode(sampleToken)
	if err != nil {
		t.Fatal(err)
	}
	// With a block key nothing of the payload is readable in the token.
	for _, part := range []string{sampleToken.ClickID, sampleToken.VendorID, "clk_", "ven_"} {
		if strings.Contains(s, part) {
			t.Errorf("token contains %q in clear", part)
		}
	}
}

func TestToken_Tamper(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	s, err := c.Encode(sampleToken)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b byte) byte {
		if b == 'A' {
			return 'B'
		}
		return 'A'
	}
	// Not the last characters: with '=' padding, the final base64 character
	// carries unused bits, so some changes there decode to the same bytes
	// (and the same claims; FuzzTokenDecode checks that) rather than fail.
	for _, i := range []int{0, 1, len(s) / 3, len(s) / 2, len(s) - 5} {
		b := []byte(s)
		b[i] = flip(b[i])
		if _, err := c.Decode(string(b)); err == nil {
			t.Errorf("token with byte %d changed decodes", i)
		}
	}
	for name, bad := range map[string]string{
		"Empty":     "",
		"Truncated": s[:len(s)-4],
		"Doubled":   s + s,
		"Garbage":   "not-a-token",
		"TooLong":   strings.Repeat("A", 2000),
		"Appended":  s + "A",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Decode(bad)
			if err == nil {
				t.Fatal("decoded")
			}
			if attribution.ErrorCode(err) != attribution.EINVALID {
				t.Errorf("code = %s, want %s", attribution.ErrorCode(err), attribution.EINVALID)
			}
		})
	}
}

func TestToken_OtherDeployment(t *testing.T) {
	t.Parallel()
	a, b := newCodec(t), newCodec(t)
	s, err := a.Encode(sampleToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Decode(s); err == nil {
		t.Fatal("a token of another deployment decodes")
	}
	// Same hash key but another block key: still refused.
	hk := randomKey(t, 64)
	c1, _ := attribution.NewTokenCodec(hk, randomKey(t, 32))
	c2, _ := attribution.NewTokenCodec(hk, randomKey(t, 32))
	s, _ = c1.Encode(sampleToken)
	if _, err := c2.Decode(s); err == nil {
		t.Fatal("a token encrypted with another block key decodes")
	}
}

func TestToken_Incomplete(t *testing.T) {
	t.Parallel()
	c := newCodec(t)
	for name, tok := range map[string]attribution.ClickToken{
		"NoClick":   {LinkID: "l", PartnerID: "p", VendorID: "v", ClickedAt: 1},
		"NoVendor":  {ClickID: "c", LinkID: "l", PartnerID: "p", ClickedAt: 1},
		"NoPartner": {ClickID: "c", LinkID: "l", VendorID: "v", ClickedAt: 1},
		"NoTime":    {ClickID: "c", LinkID: "l", PartnerID: "p", VendorID: "v"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := c.Encode(tok)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Decode(s); err == nil {
				t.Fatal("an incomplete token decodes")
			}
		})
	}
}

func TestToken_KeyRotation(t *testing.T) {
	t.Parallel()
	oldHash, oldBlock := randomKey(t, 64), randomKey(t, 32)
	newHash, newBlock := randomKey(t, 64), randomKey(t, 32)
	oldCodec, err := attribution.NewTokenCodec(oldHash, oldBlock)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := attribution.NewTokenCodec(newHash, newBlock, oldHash, oldBlock)
	if err != nil {
		t.Fatal(err)
	}
	oldToken, err := oldCodec.Encode(sampleToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("RotatedDecodesOld", func(t *testing.T) {
		got, err := rotated.Decode(oldToken)
		if err != nil || got != sampleToken {
			t.Fatalf("Decode(old) = %+v, %v", got, err)
		}
	})
	newToken, err := rotated.Encode(sampleToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("RotatedSignsWithNewPair", func(t *testing.T) {
		newOnly, _ := attribution.NewTokenCodec(newHash, newBlock)
		if _, err := newOnly.Decode(newToken); err != nil {
			t.Fatalf("new pair cannot decode a rotated codec's token: %v", err)
		}
		if got, err := rotated.Decode(newToken); err != nil || got != sampleToken {
			t.Fatalf("Decode(new) = %+v, %v", got, err)
		}
	})
	t.Run("OldCannotDecodeNew", func(t *testing.T) {
		if _, err := oldCodec.Decode(newToken); err == nil {
			t.Fatal("the old codec decodes a token signed with the new keys")
		}
	})
}

func TestNewTokenCodec_Keys(t *testing.T) {
	t.Parallel()
	for name, pairs := range map[string][][]byte{
		"None":         nil,
		"ShortHashKey": {bytes.Repeat([]byte{1}, 16), randomKey(t, 32)},
		"EmptyHashKey": {nil, nil},
		"BadBlockKey":  {randomKey(t, 64), randomKey(t, 10)},
		"ShortOldHash": {randomKey(t, 64), randomKey(t, 32), randomKey(t, 8), randomKey(t, 32)},
		"BadOldBlock":  {randomKey(t, 64), randomKey(t, 32), randomKey(t, 64), randomKey(t, 20)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := attribution.NewTokenCodec(pairs...); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
