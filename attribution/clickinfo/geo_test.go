package clickinfo_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/tally-dev/tally/attribution/clickinfo"
)

// writeTestDB builds a tiny GeoLite2-Country-shaped database.
func writeTestDB(t *testing.T, dbType string, networks map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range networks {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "test.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func country(code string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(code)}}
}

func TestGeo_Country(t *testing.T) {
	path := writeTestDB(t, "GeoLite2-Country", map[string]mmdbtype.Map{
		"192.0.2.0/24":  country("DE"),
		"127.0.0.0/8":   country("FR"),
		"2001:db8::/32": country("nl"),
		"198.51.100.0/24": {
			"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("JP")},
		},
	})
	g, err := clickinfo.OpenGeo(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	tests := []struct {
		addr netip.Addr
		want string
	}{
		{netip.MustParseAddr("192.0.2.1"), "DE"},
		{netip.MustParseAddr("127.0.0.1"), "FR"},
		{netip.MustParseAddr("::ffff:192.0.2.9"), "DE"},
		{netip.MustParseAddr("2001:db8::42"), "NL"},
		{netip.MustParseAddr("198.51.100.1"), "JP"},
		{netip.MustParseAddr("203.0.113.1"), ""},
		{netip.Addr{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr.String(), func(t *testing.T) {
			if got := g.Country(tt.addr); got != tt.want {
				t.Errorf("Country(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestOpenGeo(t *testing.T) {
	g, err := clickinfo.OpenGeo("")
	if g != nil || err != nil {
		t.Fatalf(`OpenGeo("") = %v, %v; want nil, nil`, g, err)
	}
	// A nil Geo is usable and knows nothing.
	if got := g.Country(netip.MustParseAddr("192.0.2.1")); got != "" {
		t.Errorf("nil Geo Country = %q", got)
	}
	if err := g.Close(); err != nil {
		t.Errorf("nil Geo Close = %v", err)
	}

	if _, err := clickinfo.OpenGeo(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("OpenGeo(missing file) succeeded")
	}
	asn := writeTestDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"192.0.2.0/24": {"autonomous_system_number": mmdbtype.Uint32(64500)},
	})
	if g, err := clickinfo.OpenGeo(asn); err == nil {
		g.Close()
		t.Error("OpenGeo(ASN database) succeeded, want an error")
	}
}

func TestCountryFromHeader(t *testing.T) {
	tests := map[string]string{
		"DE":   "DE",
		"us":   "US",
		" gb ": "GB",
		"":     "",
		"XX":   "",
		"xx":   "",
		"T1":   "",
		"ZZ":   "",
		"EU":   "",
		"A1":   "",
		"USA":  "",
		"U":    "",
		"1A":   "",
		"Ü":    "",
		"D-":   "",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := clickinfo.CountryFromHeader(in); got != want {
				t.Errorf("CountryFromHeader(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
