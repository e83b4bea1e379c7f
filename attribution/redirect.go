package attribution

import (
	"net/url"
	"strings"
)

// RefParam is the query parameter and cookie that carry a click token.
const RefParam = "tally_ref"

// RedirectURL builds the destination a click is sent to: the link's
// destination with its own query and fragment kept byte for byte, the link's
// UTM parameters (which replace same-named ones in the destination), the
// visitor's incoming utm_* parameters where the link sets none, and
// tally_ref=token last.
func RedirectURL(destination string, linkUTM UTM, incoming url.Values, token string) (string, error) {
	d, err := ParseDestination(destination)
	if err != nil {
		return "", err
	}
	return d.With(linkUTM, incoming, token), nil
}

// Destination is a link's destination URL parsed once, so that the link
// cache keeps it ready for every redirect.
type Destination struct {
	u    url.URL
	segs []querySeg // the destination's own query, segment by segment
}

// querySeg is one "key=value" segment of a query, kept byte for byte, with
// its unescaped key (keyOK false when the key does not unescape).
type querySeg struct {
	raw, key string
	keyOK    bool
}

// ParseDestination parses a link's destination URL.
func ParseDestination(destination string) (*Destination, error) {
	u, err := url.Parse(destination)
	if err != nil {
		return nil, err
	}
	d := &Destination{u: *u}
	if u.RawQuery != "" {
		for _, seg := range strings.Split(u.RawQuery, "&") {
			key := seg
			if i := strings.IndexByte(seg, '='); i >= 0 {
				key = seg[:i]
			}
			k, err := url.QueryUnescape(key)
			d.segs = append(d.segs, querySeg{raw: seg, key: k, keyOK: err == nil})
		}
	}
	return d, nil
}

// With is RedirectURL on a parsed destination.
func (d *Destination) With(linkUTM UTM, incoming url.Values, token string) string {
	// At most the five UTM keys and tally_ref, each once: a slice searched
	// in order is all the bookkeeping this needs.
	params := make([][2]string, 0, len(utmKeys)+1)
	params = linkUTM.appendParams(params)
	for _, k := range utmKeys {
		if v := incoming.Get(k); v != "" && !hasParam(params, k) {
			params = append(params, [2]string{k, v})
		}
	}
	if token != "" {
		params = append(params, [2]string{RefParam, token})
	}

	// Keep every existing segment whose key Tally does not set, untouched.
	parts := make([]string, 0, len(d.segs)+len(params))
	for _, seg := range d.segs {
		if seg.keyOK && hasParam(params, seg.key) {
			continue
		}
		parts = append(parts, seg.raw)
	}
	for _, p := range params {
		k, v := p[0], p[1]
		if k == RefParam {
			v = refValue(v)
		} else {
			v = url.QueryEscape(v)
		}
		parts = append(parts, url.QueryEscape(k)+"="+v)
	}
	u := d.u
	u.RawQuery = strings.Join(parts, "&")
	u.ForceQuery = false
	return u.String()
}

// refValue escapes a token for the query. Tokens are URL-safe base64, legal
// in a query value as they are ('=' padding included, which keeps the URL's
// token equal to the cookie's), so the common case copies nothing.
func refValue(v string) string {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '=') {
			return strings.ReplaceAll(url.QueryEscape(v), "%3D", "=")
		}
	}
	return v
}

// hasParam reports whether params sets key k.
func hasParam(params [][2]string, k string) bool {
	for _, p := range params {
		if p[0] == k {
			return true
		}
	}
	return false
}
