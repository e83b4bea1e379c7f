package clickinfo

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/geoip2-golang/v2"
)

// Geo looks up ISO country codes in an optional MaxMind .mmdb (city or
// country database). A nil *Geo is valid and knows no countries, so callers
// need no "is GeoIP configured" checks.
type Geo struct {
	r *geoip2.Reader
}

// OpenGeo opens the database at path; path "" -> (nil, nil).
func OpenGeo(path string) (*Geo, error) {
	if path == "" {
		return nil, nil
	}
	r, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("clickinfo: open geoip database: %w", err)
	}
	// Fail at start-up, not on every click, when given e.g. an ASN database.
	if _, err := r.Country(netip.IPv4Unspecified()); err != nil {
		var invalid geoip2.InvalidMethodError
		if errors.As(err, &invalid) {
			r.Close()
			return nil, fmt.Errorf("clickinfo: geoip database %s has no countries: %w", path, err)
		}
	}
	return &Geo{r: r}, nil
}

// Country returns the upper-case ISO 3166-1 alpha-2 code for addr, or ""
// when unknown (or g is nil).
func (g *Geo) Country(addr netip.Addr) string {
	if g == nil || g.r == nil || !addr.IsValid() {
		return ""
	}
	rec, err := g.r.Country(addr.Unmap().WithZone(""))
	if err != nil || rec == nil {
		return ""
	}
	code := rec.Country.ISOCode
	if code == "" {
		// Some networks carry only the registration country; better than nothing.
		code = rec.RegisteredCountry.ISOCode
	}
	return CountryFromHeader(code)
}

// Close releases the database; nil-safe.
func (g *Geo) Close() error {
	if g == nil || g.r == nil {
		return nil
	}
	return g.r.Close()
}

// CountryFromHeader validates a CDN country header value (Cloudflare
// CF-IPCountry, CloudFront-Viewer-Country, X-Vercel-IP-Country...): returns
// the upper-case 2-letter code, or "" for "XX", "T1", empty or malformed
// values.
func CountryFromHeader(v string) string {
	v = strings.ToUpper(strings.TrimSpace(v))
	if len(v) != 2 || !isLetter(v[0]) || !isLetter(v[1]) {
		return "" // also drops Cloudflare's T1 (Tor) and old MaxMind A1/A2/O1
	}
	switch v {
	case "XX", "ZZ": // "unknown" placeholders used by CDNs
		return ""
	case "EU", "AP": // legacy MaxMind region codes, not countries
		return ""
	}
	return v
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
