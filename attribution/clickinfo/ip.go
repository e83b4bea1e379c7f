package clickinfo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/netip"
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
	ip, ok := ipBytes(addr)
	if !ok {
		return ""
	}
	return visitorSum(hmac.New(sha256.New, salt), ip, userAgent)
}

// ClickHashes returns the IP hash (HMAC-SHA256 of the FULL address under
// salt, first 16 bytes as 32 hex chars: unique visitors without storing the
// IP) and VisitorHash, keying the HMAC once: every click stores both. An
// invalid address gives "", "".
func ClickHashes(salt []byte, addr netip.Addr, userAgent string) (ipHash, visitorHash string) {
	ip, ok := ipBytes(addr)
	if !ok {
		return "", ""
	}
	mac := hmac.New(sha256.New, salt)
	return ipSum(mac, ip), visitorSum(mac, ip, userAgent)
}

func ipSum(mac hash.Hash, ip []byte) string {
	mac.Reset()
	mac.Write(ip)
	return sum16(mac.Sum(nil))
}

func visitorSum(mac hash.Hash, ip []byte, userAgent string) string {
	mac.Reset()
	// The length byte makes the encoding unambiguous (4- vs 16-byte IPs)
	// and keeps these hashes distinct from the IP hash.
	mac.Write([]byte{byte(len(ip))})
	mac.Write(ip)
	mac.Write([]byte(userAgent))
	return sum16(mac.Sum(nil))
}

// ipBytes canonicalises addr so ::ffff:1.2.3.4 and 1.2.3.4 (and zoned
// forms) hash the same: one visitor, one hash.
func ipBytes(addr netip.Addr) ([]byte, bool) {
	if !addr.IsValid() {
		return nil, false
	}
	return addr.Unmap().WithZone("").AsSlice(), true
}

func sum16(sum []byte) string {
	return hex.EncodeToString(sum[:16])
}
