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
	set := map[string]string{}
	var order []string
	add := func(k, v string) {
		if _, ok := set[k]; !ok {
			order = append(order, k)
		}
		set[k] = v
	}
	for _, p := range linkUTM.Params() {
		add(p[0], p[1])
	}
	for _, k := range []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"} {
		if _, ok := set[k]; !ok && incoming.Get(k) != "" {
			add(k, incoming.Get(k))
		}
	}
	if token != "" {
		add(RefParam, token)
	}

	// Keep every existing segment whose key Tally does not set, untouched.
	var parts []string
	if u.RawQuery != "" {
		for _, seg := range strings.Split(u.RawQuery, "&") {
			key := seg
			if i := strings.IndexByte(seg, '='); i >= 0 {
				key = seg[:i]
			}
			if k, err := url.QueryUnescape(key); err == nil {
				if _, ours := set[k]; ours {
					continue
				}
			}
			parts = append(parts, seg)
		}
	}
	for _, k := range order {
		v := url.QueryEscape(set[k])
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
