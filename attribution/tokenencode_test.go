package attribution

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
)

var (
	encodeHashKey  = bytes.Repeat([]byte("h"), 64)
	encodeBlockKey = bytes.Repeat([]byte("b"), 32)
	encodeToken    = ClickToken{
		ClickID:   "clk_01kf0000000000000000000000",
		LinkID:    "lnk_01kf0000000000000000000000",
		PartnerID: "par_01kf0000000000000000000000",
		VendorID:  "ven_01kf0000000000000000000000",
		ClickedAt: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC).Unix(),
	}
)

// A signed-only token is what securecookie.Encode writes, byte for byte,
// dated the same second; this pins the encoding at a fixed date too.
func TestTokenSigner_SameAsSecureCookie(t *testing.T) {
	t.Parallel()
	s, err := newTokenSigner(encodeHashKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := securecookie.New(encodeHashKey, nil).MaxAge(0).SetSerializer(tokenWire{})
	for range 5 { // retried when the second turns between the two encodings
		before := time.Now().Unix()
		want, err := sc.Encode(RefParam, encodeToken)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.encode(RefParam, encodeToken, before)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().Unix() != before {
			continue
		}
		if got != want {
			t.Fatalf("encode = %q, securecookie wrote %q", got, want)
		}
		break
	}
	got, err := s.encode(RefParam, encodeToken, 1768478400)
	if err != nil {
		t.Fatal(err)
	}
	const pinned = "MTc2ODQ3ODQwMHxBUUVCbThBQUFBQUFBQUFBQUFBQUFBQUFBUUdid0FBQUFBQUFBQUFBQUFBQUFBQUJBWnZBQUFBQUFBQUFBQUFBQUFBQUFBRUJtOEFBQUFBQUFBQUFBQUFBQUFBQWdOdkdsZzA9fOVaCc8F4cXioCO-PLQmmcjDX_j5kLV7nWCwBSzvc8p6"
	if got != pinned {
		t.Errorf("encode at a fixed date = %q, want %q", got, pinned)
	}
}

// An encrypted token (random IV) is verified and decrypted by securecookie
// itself, with the first pair and, after a rotation, among several pairs.
func TestTokenCodec_EncodeDecodedBySecureCookie(t *testing.T) {
	t.Parallel()
	c, err := NewTokenCodec(encodeHashKey, encodeBlockKey, bytes.Repeat([]byte("o"), 32), bytes.Repeat([]byte("k"), 16))
	if err != nil {
		t.Fatal(err)
	}
	sc := securecookie.New(encodeHashKey, encodeBlockKey).MaxAge(0).SetSerializer(tokenWire{})
	seen := map[string]bool{}
	for range 50 {
		s, err := c.Encode(encodeToken)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s] {
			t.Fatalf("token %q issued twice: the IV is not fresh", s)
		}
		seen[s] = true
		var got ClickToken
		if err := sc.Decode(RefParam, s, &got); err != nil {
			t.Fatalf("securecookie.Decode: %v", err)
		}
		if got != encodeToken {
			t.Fatalf("decoded %+v, want %+v", got, encodeToken)
		}
		if _, err := c.Decode(s); err != nil {
			t.Fatalf("Decode: %v", err)
		}
	}
}
