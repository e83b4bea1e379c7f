package attribution

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"sync"
)

// tokenSigner writes click tokens in securecookie's encoding, byte for byte
// the layout securecookie.Encode writes (and securecookie.DecodeMulti
// verifies): base64url(date|base64url(iv+AES-CTR(payload))|HMAC-SHA256(name|date|value)).
// securecookie.Encode keys a new HMAC and builds half a dozen buffers on
// every call (about 20 allocations); the redirect encodes a token per click,
// so the keyed HMACs are pooled and the work is done in one scratch buffer.
type tokenSigner struct {
	block   cipher.Block // nil when the first key pair has no block key
	scratch sync.Pool    // *tokenScratch
}

// tokenScratch is a keyed HMAC (reset to its keyed state between uses) and
// the buffer a token is built in.
type tokenScratch struct {
	mac hash.Hash
	buf []byte
}

func newTokenSigner(hashKey, blockKey []byte) (*tokenSigner, error) {
	s := &tokenSigner{}
	if len(blockKey) > 0 {
		block, err := aes.NewCipher(blockKey)
		if err != nil {
			return nil, err
		}
		s.block = block
	}
	key := append([]byte(nil), hashKey...)
	s.scratch.New = func() any {
		return &tokenScratch{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 512)}
	}
	return s, nil
}

// encode returns the token of t under name, dated now (unix seconds).
func (s *tokenSigner) encode(name string, t ClickToken, now int64) (string, error) {
	sc := s.scratch.Get().(*tokenScratch)
	defer s.scratch.Put(sc)
	enc := base64.URLEncoding

	// value: iv + ciphertext (or the bare payload), then its base64 form.
	b := sc.buf[:0]
	if s.block != nil {
		b = b[:s.block.BlockSize()]
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
	}
	start := len(b)
	b = appendToken(b, t)
	if s.block != nil {
		cipher.NewCTR(s.block, b[:start]).XORKeyStream(b[start:], b[start:])
	}
	value := b
	// msg: name|date|base64(value)| (the last pipe separates the MAC).
	msgStart := len(b)
	b = append(b, name...)
	b = append(b, '|')
	b = strconv.AppendInt(b, now, 10)
	b = append(b, '|')
	b = enc.AppendEncode(b, value)
	b = append(b, '|')
	sc.mac.Reset()
	sc.mac.Write(b[msgStart : len(b)-1])
	b = sc.mac.Sum(b)
	// The token is msg without "name|", with the MAC, in base64.
	signed := b[msgStart+len(name)+1:]
	full := enc.AppendEncode(b, signed)
	token := string(full[len(b):])
	sc.buf = full[:0] // keeps a buffer that had to grow
	return token, nil
}
