package clickinfo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
	"sync"
)

// TruncateIP zeroes the host part: IPv4 to /24, IPv6 to /48; IPv4-mapped
// IPv6 is unmapped first. Invalid -> zero Addr.
//
// The truncated address is coarse enough not to identify a person yet still
// useful for fraud review (same network, same ISP block).
func TruncateIP(addr netip.Addr) netip.Addr {
	if !addr.IsValid() {
		return netip.Addr{}
	}
	addr = addr.Unmap().WithZone("")
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Addr{}
	}
	return p.Addr()
}

// VisitorHash returns a hex HMAC-SHA256 (first 16 bytes) of salt + full IP +
// user agent, for "unique clicks" (one per IP+UA). An invalid address gives "".
func VisitorHash(salt []byte, addr netip.Addr, userAgent string) string {
	_, visitor := NewHasher(salt).ClickHashes(addr, userAgent)
	return visitor
}

// ClickHashes is Hasher.ClickHashes with a hasher keyed for this call.
func ClickHashes(salt []byte, addr netip.Addr, userAgent string) (ipHash, visitorHash string) {
	return NewHasher(salt).ClickHashes(addr, userAgent)
}

// Hasher computes a click's hashes under one salt. Keying an HMAC costs
// more than hashing a click, so keyed HMACs are pooled (reset to their keyed
// state between uses) instead of built per click. Safe for concurrent use.
type Hasher struct {
	scratch sync.Pool // *hashScratch
}

type hashScratch struct {
	mac hash.Hash
	buf []byte
}

// NewHasher returns a hasher keyed with salt.
func NewHasher(salt []byte) *Hasher {
	key := append([]byte(nil), salt...)
	h := &Hasher{}
	h.scratch.New = func() any {
		return &hashScratch{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 256)}
	}
	return h
}

// ClickHashes returns the IP hash (HMAC-SHA256 of the FULL address, first
// 16 bytes as 32 hex chars: unique visitors without storing the IP) and the
// visitor hash (of the length of the address, the address and the user
// agent): every click stores both. An invalid address gives "", "".
func (h *Hasher) ClickHashes(addr netip.Addr, userAgent string) (ipHash, visitorHash string) {
	if !addr.IsValid() {
		return "", ""
	}
	sc := h.scratch.Get().(*hashScratch)
	defer h.scratch.Put(sc)
	b := appendIP(sc.buf[:0], addr)
	ip := len(b)
	sc.mac.Reset()
	sc.mac.Write(b)
	b = sc.mac.Sum(b)
	// The length byte makes the encoding unambiguous (4- vs 16-byte IPs)
	// and keeps visitor hashes distinct from IP hashes.
	msg := len(b)
	b = append(b, byte(ip))
	b = append(b, b[:ip]...)
	b = append(b, userAgent...)
	sc.mac.Reset()
	sc.mac.Write(b[msg:])
	b = sc.mac.Sum(b)
	var text [64]byte
	hex.Encode(text[:32], b[ip:ip+16])
	hex.Encode(text[32:], b[len(b)-32:len(b)-16])
	sc.buf = b[:0]
	both := string(text[:]) // one allocation for the two hashes
	return both[:32], both[32:]
}

// appendIP appends addr canonicalised, so ::ffff:1.2.3.4 and 1.2.3.4 (and
// zoned forms) hash the same: one visitor, one hash.
func appendIP(b []byte, addr netip.Addr) []byte {
	addr = addr.Unmap()
	if addr.Is4() {
		a := addr.As4()
		return append(b, a[:]...)
	}
	a := addr.As16()
	return append(b, a[:]...)
}
