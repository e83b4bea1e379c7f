package clickinfo_test

import (
	"net/netip"
	"testing"

	"github.com/tally-dev/tally/attribution/clickinfo"
)

func TestTruncateIP(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"203.0.113.77", "203.0.113.0"},
		{"10.1.2.255", "10.1.2.0"},
		{"2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::"},
		{"2001:db8:abcd:ffff::1", "2001:db8:abcd::"},
		{"::ffff:198.51.100.23", "198.51.100.0"},
		{"fe80::1234%eth0", "fe80::"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := clickinfo.TruncateIP(netip.MustParseAddr(tt.in))
			if got != netip.MustParseAddr(tt.want) {
				t.Errorf("TruncateIP(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
	if got := clickinfo.TruncateIP(netip.Addr{}); got.IsValid() {
		t.Errorf("TruncateIP(invalid) = %s, want zero Addr", got)
	}
}

// ipHash is ClickHashes' first result.
func ipHash(salt []byte, a netip.Addr) string {
	h, _ := clickinfo.ClickHashes(salt, a, "")
	return h
}

func TestHashIP(t *testing.T) {
	salt := []byte("salt-a")
	a := netip.MustParseAddr("203.0.113.7")

	h := ipHash(salt, a)
	if len(h) != 32 {
		t.Fatalf("HashIP = %q, want 32 hex chars", h)
	}
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"stable", ipHash(salt, a), true},
		{"mapped form is the same visitor", ipHash(salt, netip.MustParseAddr("::ffff:203.0.113.7")), true},
		{"differs by salt", ipHash([]byte("salt-b"), a), false},
		{"differs by address in the same /24", ipHash(salt, netip.MustParseAddr("203.0.113.8")), false},
		{"differs from visitor hash", clickinfo.VisitorHash(salt, a, ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.other == h) != tt.same {
				t.Errorf("hash %q vs %q: same = %v, want %v", tt.other, h, tt.other == h, tt.same)
			}
		})
	}
	if got := ipHash(salt, netip.Addr{}); got != "" {
		t.Errorf("HashIP(invalid) = %q, want empty", got)
	}
}

func TestVisitorHash(t *testing.T) {
	salt := []byte("salt-a")
	a := netip.MustParseAddr("2001:db8::1")
	h := clickinfo.VisitorHash(salt, a, uaChromeWindows)
	if len(h) != 32 {
		t.Fatalf("VisitorHash = %q, want 32 hex chars", h)
	}
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"stable", clickinfo.VisitorHash(salt, a, uaChromeWindows), true},
		{"differs by salt", clickinfo.VisitorHash([]byte("salt-b"), a, uaChromeWindows), false},
		{"differs by user agent", clickinfo.VisitorHash(salt, a, uaFirefoxLinux), false},
		{"differs by address", clickinfo.VisitorHash(salt, netip.MustParseAddr("2001:db8::2"), uaChromeWindows), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.other == h) != tt.same {
				t.Errorf("hash %q vs %q: same = %v, want %v", tt.other, h, tt.other == h, tt.same)
			}
		})
	}
	if got := clickinfo.VisitorHash(salt, netip.Addr{}, "x"); got != "" {
		t.Errorf("VisitorHash(invalid) = %q, want empty", got)
	}
}

// The hashes of stored clicks must not change between versions: unique
// visitors are counted across them. Pinned values, from the first version.
func TestClickHashes_Pinned(t *testing.T) {
	h := clickinfo.NewHasher([]byte("salt-a"))
	ua := "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
	for _, tt := range []struct{ addr, ip, visitor string }{
		{"203.0.113.7", "d4fe4d90270020ea09925e004a08cec7", "5ce42e01521e619e138829bffb4c2d33"},
		{"::ffff:203.0.113.7", "d4fe4d90270020ea09925e004a08cec7", "5ce42e01521e619e138829bffb4c2d33"},
		{"2001:db8::2", "9caba115b013930f7aec5fe776e13d32", "e3aba25b22367099ae3626e1da93dc97"},
	} {
		for range 3 { // the pooled HMAC is reset between uses
			ip, visitor := h.ClickHashes(netip.MustParseAddr(tt.addr), ua)
			if ip != tt.ip || visitor != tt.visitor {
				t.Errorf("ClickHashes(%s) = %s, %s; want %s, %s", tt.addr, ip, visitor, tt.ip, tt.visitor)
			}
		}
		if v := clickinfo.VisitorHash([]byte("salt-a"), netip.MustParseAddr(tt.addr), ua); v != tt.visitor {
			t.Errorf("VisitorHash(%s) = %s, want %s", tt.addr, v, tt.visitor)
		}
	}
	if ip, visitor := h.ClickHashes(netip.Addr{}, ua); ip != "" || visitor != "" {
		t.Errorf("ClickHashes(invalid) = %q, %q; want empty", ip, visitor)
	}
}
