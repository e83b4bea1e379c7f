package httpx

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// statusOf maps domain error codes to HTTP statuses, in one place.
var statusOf = map[string]int{
	attribution.EINVALID:      http.StatusBadRequest,
	attribution.ENOTFOUND:     http.StatusNotFound,
	attribution.ECONFLICT:     http.StatusConflict,
	attribution.EUNAUTHORIZED: http.StatusUnauthorized,
	attribution.EFORBIDDEN:    http.StatusForbidden,
	attribution.ERATELIMIT:    http.StatusTooManyRequests,
	attribution.EUNAVAILABLE:  http.StatusServiceUnavailable,
	attribution.EINTERNAL:     http.StatusInternalServerError,
}

// Status is the HTTP status of a domain error: 500 for anything that is
// not an attribution.Error with a known code. Pages and JSON answers share it.
func Status(err error) int {
	if s, ok := statusOf[attribution.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeOf maps HTTP statuses raised by Echo itself back to error codes.
var codeOf = map[int]string{
	http.StatusBadRequest:            attribution.EINVALID,
	http.StatusNotFound:              attribution.ENOTFOUND,
	http.StatusMethodNotAllowed:      attribution.EINVALID,
	http.StatusRequestEntityTooLarge: attribution.EINVALID,
	http.StatusUnsupportedMediaType:  attribution.EINVALID,
	http.StatusUnauthorized:          attribution.EUNAUTHORIZED,
	http.StatusForbidden:             attribution.EFORBIDDEN,
	http.StatusTooManyRequests:       attribution.ERATELIMIT,
	http.StatusServiceUnavailable:    attribution.EUNAVAILABLE,
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the error for programs (code) and people (message).
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorHandler writes every error as {"error":{code,message}} and logs
// only internal ones (their messages never reach the caller).
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, code, msg := http.StatusInternalServerError, attribution.EINTERNAL, "Internal error."
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
			code = codeOf[he.Code]
			if code == "" {
				code = attribution.EINTERNAL
			}
			msg = http.StatusText(he.Code) + "."
			if m, ok := he.Message.(string); ok && he.Code < 500 {
				msg = m
			}
			if he.Code == http.StatusRequestEntityTooLarge {
				msg = "The request body is too large."
			}
		} else if c := attribution.ErrorCode(err); c != attribution.EINTERNAL {
			code, msg, status = c, attribution.ErrorMessage(err), statusOf[c]
		}
		if status >= 500 {
			logger.Error("request failed", "method", c.Request().Method, "path", c.Path(), "status", status, "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
	}
}

// ListResponse is the JSON shape of every list.
type ListResponse[T any] struct {
	Data       []T    `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// List builds the list answer; the cursor is the last item's id.
func List[T any](items []T, more bool, id func(T) string) ListResponse[T] {
	if items == nil {
		items = []T{}
	}
	r := ListResponse[T]{Data: items, HasMore: more}
	if more && len(items) > 0 {
		r.NextCursor = id(items[len(items)-1])
	}
	return r
}
