package api

import (
	"bufio"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// decodeOptionalJSON is decodeJSON for a body that may be left out: no body
// at all leaves v as it is.
func decodeOptionalJSON(c echo.Context, v any) error {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	body := bufio.NewReader(req.Body)
	if _, err := body.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	req.Body = struct {
		io.Reader
		io.Closer
	}{body, req.Body}
	return decodeJSON(c, v)
}
