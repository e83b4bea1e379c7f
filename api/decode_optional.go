package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// decodeOptionalJSON is decodeJSON for bodies that may be left out: an
// empty body leaves v as it is.
func decodeOptionalJSON(c echo.Context, v any) error {
	r := c.Request()
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(c, v)
}
