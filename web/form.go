package web

import (
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// maxFieldLen bounds one form field; longer is refused, not truncated.
const maxFieldLen = 2000

// formText reads a form field, refusing what the database cannot store (a
// NUL, invalid UTF-8) or an absurd length, as the API refuses it. EINVALID.
func formText(c echo.Context, name string) (string, error) {
	v := c.FormValue(name)
	if len(v) > maxFieldLen || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return "", attribution.Errorf(attribution.EINVALID, "A field holds text that cannot be stored.")
	}
	return v, nil
}
