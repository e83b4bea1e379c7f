package clickinfo_test

import (
	"net/netip"
	"testing"

	"github.com/tally-dev/tally/attribution/clickinfo"
)

func BenchmarkClickHashes(b *testing.B) {
	salt := []byte("0123456789abcdef0123456789abcdef")
	addr := netip.MustParseAddr("198.51.100.7")
	ua := "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
	h := clickinfo.NewHasher(salt)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h.ClickHashes(addr, ua)
	}
}
