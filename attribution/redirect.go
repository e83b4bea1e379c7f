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
	u, err := url.Parse(destination)
	if err != nil {
		return "", err
	}
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
	parts := make([]string, 0, 16)
	if u.RawQuery != "" {
		for _, seg := range strings.Split(u.RawQuery, "&") {
			key := seg
			if i := strings.IndexByte(seg, '='); i >= 0 {
				key = seg[:i]
			}
			if k, err := url.QueryUnescape(key); err == nil && hasParam(params, k) {
				continue
			}
			parts = append(parts, seg)
		}
	}
	for _, p := range params {
		k, v := p[0], url.QueryEscape(p[1])
		if k == RefParam {
			// Tokens are URL-safe base64; '=' padding is legal in a query
			// value and keeping it makes the URL's token equal the cookie's.
			v = strings.ReplaceAll(v, "%3D", "=")
		}
		parts = append(parts, url.QueryEscape(k)+"="+v)
	}
	u.RawQuery = strings.Join(parts, "&")
	u.ForceQuery = false
	return u.String(), nil
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
