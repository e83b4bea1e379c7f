package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// DecodeJSON is decodeJSON for packages that mount more routes.
func DecodeJSON(c echo.Context, v any) error { return decodeJSON(c, v) }

// decodeJSON reads exactly one JSON object into v, refusing unknown fields
// and trailing data, and answers clear EINVALID messages.
func decodeJSON(c echo.Context, v any) error {
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
	if HasJSONNUL(raw) { // the database cannot store it (see hostile.go)
		return invalid("Text fields must not contain NUL characters (\\u0000).")
	}
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
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

// pageParams reads limit and cursor, refusing malformed values.
func pageParams(c echo.Context, cursorPrefix string) (attribution.Page, error) {
	var p attribution.Page
	// Unset stays 0, which Normalize turns into the default.
	limit, err := intParam(c, "limit", 1, attribution.MaxPageLimit, 0)
	if err != nil {
		return p, err
	}
	p.Limit = limit
	if s := c.QueryParam("cursor"); s != "" {
		if !attribution.ValidID(cursorPrefix, s) {
			return p, invalid("cursor is not valid.")
		}
		p.Cursor = s
	}
	return p.Normalize(), nil
}

// listOf builds the list answer; the cursor is the last item's id.
func listOf[T any](items []T, more bool, id func(T) string) ListResponse[T] {
	if items == nil {
		items = []T{}
	}
	r := ListResponse[T]{Data: items, HasMore: more}
	if more && len(items) > 0 {
		r.NextCursor = id(items[len(items)-1])
	}
	return r
}

// enumParam checks a filter against its allowed values.
func enumParam(c echo.Context, name string, allowed ...string) (string, error) {
	v := c.QueryParam(name)
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", invalid("%s must be one of %s.", name, strings.Join(allowed, ", "))
}

// intParam reads a whole-number query parameter from lo to hi; def when
// it is absent.
func intParam(c echo.Context, name string, lo, hi, def int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalid("%s must be a whole number from %d to %d.", name, lo, hi)
	}
	return n, nil
}
