package api

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Hostile-input guard for paths and queries; bodies are checked where they
// are decoded (httpx.DecodeJSON, httpx.HasJSONNUL). The database cannot
// store a NUL character and PostgreSQL refuses invalid UTF-8: such input
// would fail deep in the store with a 5xx, so it is refused with a 400.

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
