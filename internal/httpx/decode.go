package httpx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// DecodeJSON reads exactly one JSON object into v, refusing unknown fields
// and trailing data, and answers clear EINVALID messages.
func DecodeJSON(c echo.Context, v any) error {
	body := c.Request().Body
	if body == nil || body == http.NoBody {
		return invalid("A JSON body is required.")
	}
	dec := json.NewDecoder(body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if BodyTooLarge(err) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return invalid("The body must hold a single JSON object.")
	}
	// null would decode into a zero value without an error: a PATCH of
	// nothing, a create with every field missing.
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '{' {
		return invalid("The body must be a JSON object.")
	}
	if HasJSONNUL(raw) { // the database cannot store it (see text.go)
		return invalid("Text fields must not contain NUL characters (\\u0000).")
	}
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for a body that may be left out: no
// body at all leaves v as it is.
func DecodeOptionalJSON(c echo.Context, v any) error {
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
	return DecodeJSON(c, v)
}

// BodyTooLarge reports whether reading a request body failed on its size
// limit. Echo's BodyLimit reader fails with its own 413 error, not
// http.MaxBytesError, so both are checked.
func BodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge)
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case BodyTooLarge(err):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	case errors.Is(err, io.EOF):
		return invalid("A JSON body is required.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("The body is not valid JSON.")
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return invalid("%s must be of type %s.", typeErr.Field, jsonType(typeErr.Type.Kind().String()))
		}
		return invalid("The body must be a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return invalid("The body is not valid JSON: %s.", err.Error())
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return kind
}

func invalid(format string, args ...any) error {
	return attribution.Errorf(attribution.EINVALID, format, args...)
}
