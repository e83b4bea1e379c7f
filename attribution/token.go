package attribution

import (
	"errors"
	"time"

	"github.com/gorilla/securecookie"
)

// ClickToken is what a referral click carries to the vendor's site. It is
// self-contained: attribution never depends on the click row existing.
type ClickToken struct {
	ClickID   string `json:"c"`
	LinkID    string `json:"l"`
	PartnerID string `json:"p"`
	VendorID  string `json:"v"`
	ClickedAt int64  `json:"t"` // unix seconds
}

// Time returns when the click happened.
func (t ClickToken) Time() time.Time { return time.Unix(t.ClickedAt, 0).UTC() }

// TokenCodec signs (HMAC-SHA256) and encrypts (AES) click tokens.
// Several key pairs may be given: the first signs, all are accepted, so keys
// can be rotated without invalidating tokens in flight.
type TokenCodec struct {
	codecs []securecookie.Codec // verify: every pair
	signer *tokenSigner         // encode: the first pair, in securecookie's encoding
}

// NewTokenCodec takes key pairs (hash key, block key, hash key, block key…);
// a nil block key disables encryption for that pair.
func NewTokenCodec(keyPairs ...[]byte) (*TokenCodec, error) {
	if len(keyPairs) == 0 || len(keyPairs[0]) < 32 {
		return nil, errors.New("token codec: a hash key of at least 32 bytes is required")
	}
	for i := 0; i < len(keyPairs); i += 2 {
		if len(keyPairs[i]) < 32 {
			return nil, errors.New("token codec: every hash key needs at least 32 bytes")
		}
		if i+1 < len(keyPairs) {
			if n := len(keyPairs[i+1]); n != 0 && n != 16 && n != 24 && n != 32 {
				// securecookie would accept it here and fail every Encode later.
				return nil, errors.New("token codec: a block key must be 16, 24 or 32 bytes")
			}
		}
	}
	pairs := make([][]byte, len(keyPairs))
	for i, k := range keyPairs {
		if len(k) > 0 { // an empty block key means no encryption, as nil does
			pairs[i] = k
		}
	}
	var blockKey []byte
	if len(pairs) > 1 {
		blockKey = pairs[1]
	}
	signer, err := newTokenSigner(pairs[0], blockKey)
	if err != nil {
		return nil, err
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		sc := c.(*securecookie.SecureCookie)
		// The window is checked against clicked_at with the service clock,
		// not securecookie's own wall-clock timestamp.
		sc.MaxAge(0)
		sc.SetSerializer(tokenWire{})
	}
	return &TokenCodec{codecs: codecs, signer: signer}, nil
}

// Encode returns the URL- and cookie-safe token, signed (and encrypted) with
// the first key pair.
func (c *TokenCodec) Encode(t ClickToken) (string, error) {
	return c.signer.encode(RefParam, t, time.Now().Unix())
}

// Decode verifies and decrypts a token. It returns EINVALID for anything
// that was not issued by this deployment or was altered.
func (c *TokenCodec) Decode(s string) (ClickToken, error) {
	var t ClickToken
	if s == "" || len(s) > 1024 {
		return t, Errorf(EINVALID, "invalid token")
	}
	if err := securecookie.DecodeMulti(RefParam, s, &t, c.codecs...); err != nil {
		return ClickToken{}, Errorf(EINVALID, "invalid token")
	}
	if t.ClickID == "" || t.VendorID == "" || t.PartnerID == "" || t.ClickedAt <= 0 {
		return ClickToken{}, Errorf(EINVALID, "invalid token")
	}
	return t, nil
}
