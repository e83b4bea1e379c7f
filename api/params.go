package api

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

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

// invalid returns an EINVALID domain error.
func invalid(format string, args ...any) error {
	return attribution.Errorf(attribution.EINVALID, format, args...)
}
