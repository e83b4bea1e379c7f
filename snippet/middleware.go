package snippet

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/tally-dev/tally/attribution"
)

// RateLimit limits the snippet's endpoints per client IP: perSecond
// requests a second (default 10) with a burst of burst (default 40).
func RateLimit(perSecond float64, burst int) echo.MiddlewareFunc {
	r := rate.Limit(perSecond)
	if perSecond <= 0 {
		r = 10
	}
	if burst <= 0 {
		burst = 40
	}
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: r, Burst: burst, ExpiresIn: 3 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return attribution.Errorf(attribution.EFORBIDDEN, "Cannot identify the client.")
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "1")
			return attribution.Errorf(attribution.ERATELIMIT, "Too many requests; slow down.")
		},
	})
}

// CORSErrors lets the page read errors raised before the vendor is known
// (unknown key, malformed body, rate limit), so the snippet can say why a
// call failed. allowOrigin withdraws the header for an origin the vendor
// does not allow.
func CORSErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if origin := c.Request().Header.Get("Origin"); origin != "" && c.Request().Method != http.MethodOptions {
			h := c.Response().Header()
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		return next(c)
	}
}
