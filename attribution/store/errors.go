package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/tally-dev/tally/attribution"
)

// errAlreadyExists is what a unique violation becomes; callers that know
// which object collided replace it with a precise message.
var errAlreadyExists = &attribution.Error{Code: attribution.ECONFLICT, Message: "Already exists."}

// classify turns driver errors into domain errors: unique violations into
// ECONFLICT, a database that cannot be reached into EUNAVAILABLE (so the HTTP
// layer answers 503 and clients retry). Other errors pass through and become
// EINTERNAL.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var e *attribution.Error
	if errors.As(err, &e) {
		return err
	}
	if isUniqueViolation(err) {
		return errAlreadyExists
	}
	if isUnavailable(err) {
		return &unavailableError{cause: err}
	}
	return err
}

// unavailableError keeps its cause for logs while reading as EUNAVAILABLE.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string { return "database unavailable: " + e.cause.Error() }
func (e *unavailableError) Unwrap() error { return e.cause }

// As lets attribution.ErrorCode see EUNAVAILABLE.
func (e *unavailableError) As(target any) bool {
	if t, ok := target.(**attribution.Error); ok {
		*t = &attribution.Error{Code: attribution.EUNAVAILABLE, Message: "The database is unavailable; retry shortly."}
		return true
	}
	return false
}

func isUniqueViolation(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C') == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE")
}

func isUnavailable(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		// Class 08 (connection), 57P01..03 (admin shutdown, crash, cannot connect now), 53 (resources).
		code := pgErr.Field('C')
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") || strings.HasPrefix(code, "53")
	}
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &opErr), errors.As(err, &netErr):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

func notFound(what string) error {
	return attribution.Errorf(attribution.ENOTFOUND, "%s not found.", what)
}
