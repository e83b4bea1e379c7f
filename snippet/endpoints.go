package snippet

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/tally-dev/tally/api"
	"github.com/tally-dev/tally/attribution"
)

// Mount adds the endpoints the snippet calls: signup, ping and config. They
// are public (the public key names the vendor), rate-limited per IP, and
// answer CORS only for the vendor's allowed origins (any when none are set).
func Mount(s *api.Server) {
	cfg := s.Config()
	r := rate.Limit(cfg.SnippetRate)
	if cfg.SnippetRate <= 0 {
		r = 10
	}
	burst := cfg.SnippetBurst
	if burst <= 0 {
		burst = 40
	}
	limiter := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
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
	h := &handlers{s: s}
	// BodyLimit bounds what a public, unauthenticated endpoint reads.
	g := s.Echo.Group("/v1/snippet", corsErrors, limiter, middleware.BodyLimit("16K"))
	g.OPTIONS("/signup", h.preflight)
	g.OPTIONS("/ping", h.preflight)
	g.OPTIONS("/config", h.preflight)
	g.POST("/signup", h.signup)
	g.POST("/ping", h.ping)
	g.GET("/config", h.config)
}

type handlers struct{ s *api.Server }

// corsErrors lets the page read errors raised before the vendor is known
// (unknown key, malformed body, rate limit), so the snippet can say why a
// call failed. allowOrigin withdraws the header for an origin the vendor
// does not allow.
func corsErrors(next echo.HandlerFunc) echo.HandlerFunc {
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

// preflight answers CORS preflights. The vendor is named in the body, which
// a preflight does not carry, so it allows the asking origin; the request
// itself is then refused (403, no CORS headers) if the vendor does not
// allow that origin.
func (h *handlers) preflight(c echo.Context) error {
	origin := c.Request().Header.Get("Origin")
	hd := c.Response().Header()
	hd.Add("Vary", "Origin")
	if origin == "" {
		return c.NoContent(http.StatusNoContent)
	}
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Set("Access-Control-Allow-Credentials", "true")
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", "Content-Type")
	hd.Set("Access-Control-Max-Age", "7200")
	return c.NoContent(http.StatusNoContent)
}

// allowOrigin sets the CORS answer headers for a vendor, or refuses.
func allowOrigin(c echo.Context, v *attribution.Vendor) error {
	origin := c.Request().Header.Get("Origin")
	if origin == "" {
		return nil // not a browser cross-origin call
	}
	if !v.AllowsOrigin(origin) {
		c.Response().Header().Del("Access-Control-Allow-Origin")
		c.Response().Header().Del("Access-Control-Allow-Credentials")
		return attribution.Errorf(attribution.EFORBIDDEN, "Origin %s is not in this vendor's allowed_origins.", api.Clip(origin, 200))
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", origin)
	c.Response().Header().Set("Access-Control-Allow-Credentials", "true")
	return nil
}

func (h *handlers) vendor(c echo.Context, key string) (*attribution.Vendor, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, attribution.Errorf(attribution.EINVALID, "public_key is required: copy the data-key attribute from your Tally settings (pk_…).")
	}
	if !strings.HasPrefix(key, attribution.PrefixPublicKey) {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "public_key must be a public key (pk_…); never put a secret key in a page.")
	}
	return h.s.Deps().Vendors.VendorByPublicKey(c.Request().Context(), key)
}

// SignupAnswer is what the public signup endpoint tells the page.
type SignupAnswer struct {
	Status     string `json:"status"`
	Attributed bool   `json:"attributed"`
}

func (h *handlers) signup(c echo.Context) error {
	var b api.SignupBody
	if err := api.DecodeJSON(c, &b); err != nil {
		return err
	}
	v, err := h.vendor(c, b.PublicKey)
	if err != nil {
		return err
	}
	if err := allowOrigin(c, v); err != nil {
		return err
	}
	res, err := h.s.Deps().Signups.RecordSignup(c.Request().Context(), v, h.s.SignupRequest(c, v, b, attribution.SourceSnippet))
	if err != nil {
		return err
	}
	// The same answer whether or not the customer existed: the public key
	// is in every page, so the answer must tell nobody who is a customer.
	return c.JSON(http.StatusCreated, SignupAnswer{Status: "recorded", Attributed: res.TokenValid})
}

// PingBody is what the snippet beacons on every page load.
type PingBody struct {
	PublicKey string `json:"public_key"`
	URL       string `json:"url"`
	RefInURL  bool   `json:"ref_in_url"`
	CookieOK  bool   `json:"cookie_ok"`
}

// ping records a page load. sendBeacon posts text/plain, so the body is
// parsed as JSON whatever its content type. Pings with a missing or wrong
// key are recorded too: they are how the health check finds a broken tag.
func (h *handlers) ping(c echo.Context) error {
	var b PingBody
	data, err := io.ReadAll(c.Request().Body)
	if api.BodyTooLarge(err) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	} else if err != nil {
		return attribution.Errorf(attribution.EINVALID, "Could not read the body.")
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return attribution.Errorf(attribution.EINVALID, "The body must be a JSON object {public_key, url, ref_in_url, cookie_ok}.")
	}
	if api.HasJSONNUL(data) { // the database cannot store it
		return attribution.Errorf(attribution.EINVALID, "The body must not contain NUL characters.")
	}
	u, err := url.Parse(b.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return attribution.Errorf(attribution.EINVALID, "url must be the page's absolute http(s) URL.")
	}
	p := attribution.Ping{
		Origin: strings.ToLower(u.Scheme + "://" + u.Host), Path: api.Clip(u.EscapedPath(), 300),
		RefInURL: b.RefInURL, CookieOK: b.CookieOK, At: h.s.Deps().Clock(),
	}
	if p.Path == "" {
		p.Path = "/"
	}
	v, err := h.vendor(c, b.PublicKey)
	switch code := attribution.ErrorCode(err); {
	case err == nil && v.AllowsOrigin(p.Origin):
		p.VendorID, p.PublicKey = v.ID, v.PublicKey
	case err == nil:
		p.PublicKey = v.PublicKey // on a page of an origin the vendor does not allow
	case code == attribution.EINVALID || code == attribution.EUNAUTHORIZED:
		if p.PublicKey, err = h.presentedKey(c, b.PublicKey); err != nil {
			return err
		}
	default:
		return err
	}
	h.s.Deps().Pings.RecordPing(p)
	if v != nil {
		if err := allowOrigin(c, v); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// presentedKey keeps a bad key's shape for diagnosis without ever storing
// a secret: a vendor's secret key is kept as whose it is, so the ping is
// that vendor's alone (attribution.LeakedSecretKey).
func (h *handlers) presentedKey(c echo.Context, k string) (string, error) {
	k = strings.TrimSpace(k)
	switch {
	case strings.HasPrefix(k, attribution.PrefixSecretKey):
		v, err := h.s.Deps().Vendors.VendorBySecretKey(c.Request().Context(), k)
		switch attribution.ErrorCode(err) {
		case "":
			return attribution.LeakedSecretKey(v.PublicKey), nil
		case attribution.EUNAUTHORIZED, attribution.ENOTFOUND, attribution.EINVALID:
			return attribution.PrefixSecretKey, nil
		}
		return "", err
	case len(k) > 64:
		return api.Clip(k, 64), nil
	}
	return k, nil
}

// ConfigAnswer tells the snippet how long to keep the cookie and where.
type ConfigAnswer struct {
	AttributionWindowDays int    `json:"attribution_window_days"`
	CookieDomain          string `json:"cookie_domain"`
}

func (h *handlers) config(c echo.Context) error {
	v, err := h.vendor(c, c.QueryParam("public_key"))
	if err != nil {
		return err
	}
	if err := allowOrigin(c, v); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, ConfigAnswer{AttributionWindowDays: v.WindowDays(), CookieDomain: v.CookieDomain})
}
