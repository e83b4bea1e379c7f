package api

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Hostile-input guards. The database cannot store a NUL character (bun
// refuses to quote one and PostgreSQL's text cannot hold it) and PostgreSQL
// refuses invalid UTF-8: such input would fail deep in the store with a 5xx
// (and a webhook would be retried for days). It is refused at the edge with
// a 400 instead, or, in a Stripe event that must not be lost, replaced.

// rejectBadText answers 400 to a path or query that decodes to a NUL
// character or invalid UTF-8.
func rejectBadText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if badText(u.Path) || (u.RawPath != "" && badEscaped(u.RawPath, url.PathUnescape)) ||
			(u.RawQuery != "" && badEscaped(u.RawQuery, url.QueryUnescape)) {
			return invalid("The path or query holds a NUL character or invalid UTF-8.")
		}
		return next(c)
	}
}

func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

// badEscaped reports whether an escaped path or query decodes to bad text;
// malformed escapes are left for the handlers to refuse.
func badEscaped(raw string, unescape func(string) (string, error)) bool {
	if !strings.Contains(raw, "%") {
		return badText(raw)
	}
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == '=' || r == '/' }) {
		if s, err := unescape(part); err == nil && badText(s) {
			return true
		}
	}
	return false
}

// jsonNULs calls fn with the offset of each \u0000 escape in valid JSON
// (a literal NUL cannot occur there: JSON strings escape control characters).
func jsonNULs(raw []byte, fn func(i int)) {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] == 'u' && i+5 < len(raw) && string(raw[i+2:i+6]) == "0000" {
			fn(i)
		}
		i++ // skip the escaped character, so \\u0000 (a backslash, then text) is not a NUL
	}
}

// HasJSONNUL reports whether a JSON document holds a NUL character in a string.
func HasJSONNUL(raw []byte) bool {
	found := false
	jsonNULs(raw, func(int) { found = true })
	return found
}

// ReplaceJSONNUL returns raw with each \u0000 escape replaced by \ufffd
// (the replacement character, as invalid UTF-8 already decodes).
func ReplaceJSONNUL(raw []byte) []byte {
	var out []byte
	jsonNULs(raw, func(i int) {
		if out == nil {
			out = append([]byte(nil), raw...)
		}
		copy(out[i:i+6], `\ufffd`)
	})
	if out == nil {
		return raw
	}
	return out
}
