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
// cache keeps it ready for every redirect: the text around the query and
// the query's segments, so that With only copies bytes.
type Destination struct {
	head string     // the URL up to its query: scheme, host, path
	tail string     // "#fragment", or ""
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
	// url.URL.String writes the query after the path and the fragment last,
	// so the URL without its query splits into head and tail.
	noQuery := *u
	noQuery.RawQuery, noQuery.ForceQuery = "", false
	full := noQuery.String()
	noQuery.Fragment, noQuery.RawFragment = "", ""
	head := noQuery.String()
	d := &Destination{head: head, tail: full[len(head):]}
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
	var room [len(utmKeys) + 1][2]string
	params := linkUTM.appendParams(room[:0])
	for _, k := range utmKeys {
		if v := incoming.Get(k); v != "" && !hasParam(params, k) {
			params = append(params, [2]string{k, v})
		}
	}
	if token != "" {
		params = append(params, [2]string{RefParam, token})
	}

	n := len(d.head) + len(d.tail) + 1
	for _, seg := range d.segs {
		n += len(seg.raw) + 1
	}
	for _, p := range params {
		n += len(p[0]) + len(p[1]) + 2 // grows only for values that need escaping
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(d.head)
	sep := byte('?')
	// Keep every existing segment whose key Tally does not set, untouched.
	for _, seg := range d.segs {
		if seg.keyOK && hasParam(params, seg.key) {
			continue
		}
		b.WriteByte(sep)
		b.WriteString(seg.raw)
		sep = '&'
	}
	for _, p := range params {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(p[0]) // the keys need no escaping
		b.WriteByte('=')
		if p[0] == RefParam {
			b.WriteString(refValue(p[1]))
		} else {
			b.WriteString(queryValue(p[1]))
		}
	}
	b.WriteString(d.tail)
	return b.String()
}

// queryValue is url.QueryEscape(v) without a copy when nothing needs escaping.
func queryValue(v string) string {
	for i := 0; i < len(v); i++ {
		if !unreservedByte[v[i]] {
			return url.QueryEscape(v)
		}
	}
	return v
}

// unreservedByte marks what url.QueryEscape leaves as it is; tokenByte
// adds '=' (base64 padding). Tables, because a token is checked byte by
// byte on every redirect.
var unreservedByte, tokenByte = func() (u, t [256]bool) {
	for c := range 256 {
		u[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
		t[c] = u[c] && c != '.' && c != '~' || c == '='
	}
	return u, t
}()

// refValue escapes a token for the query. Tokens are URL-safe base64, legal
// in a query value as they are ('=' padding included, which keeps the URL's
// token equal to the cookie's), so the common case copies nothing.
func refValue(v string) string {
	for i := 0; i < len(v); i++ {
		if !tokenByte[v[i]] {
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
