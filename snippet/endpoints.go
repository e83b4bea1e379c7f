package snippet

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// Store is what the endpoints call.
type Store interface {
	VendorByPublicKey(ctx context.Context, key string) (*attribution.Vendor, error)
	VendorBySecretKey(ctx context.Context, key string) (*attribution.Vendor, error)
	RecordSignup(ctx context.Context, v *attribution.Vendor, r attribution.SignupRequest) (*attribution.SignupResult, error)
}

// Endpoints serve what the snippet calls: signup, ping and config. They
// are public (the public key names the vendor) and answer CORS only for
// the vendor's allowed origins (any when none are set); the route table
// adds CORSErrors, RateLimit and a body limit in front of them.
type Endpoints struct {
	store   Store
	pings   attribution.PingRecorder
	signups *SignupReader
	clock   attribution.Clock
}

// NewEndpoints builds the endpoints: signups are read by signups, page
// loads go to pings, stamped by clock.
func NewEndpoints(st Store, pings attribution.PingRecorder, signups *SignupReader, clock attribution.Clock) *Endpoints {
	if clock == nil {
		clock = attribution.SystemClock
	}
	return &Endpoints{store: st, pings: pings, signups: signups, clock: clock}
}

// Preflight answers CORS preflights. The vendor is named in the body, which
// a preflight does not carry, so it allows the asking origin; the request
// itself is then refused (403, no CORS headers) if the vendor does not
// allow that origin.
func (h *Endpoints) Preflight(c echo.Context) error {
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
		return attribution.Errorf(attribution.EFORBIDDEN, "Origin %s is not in this vendor's allowed_origins.", attribution.Clip(origin, 200))
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", origin)
	c.Response().Header().Set("Access-Control-Allow-Credentials", "true")
	return nil
}

func (h *Endpoints) vendor(c echo.Context, key string) (*attribution.Vendor, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, attribution.Errorf(attribution.EINVALID, "public_key is required: copy the data-key attribute from your Tally settings (pk_…).")
	}
	if !strings.HasPrefix(key, attribution.PrefixPublicKey) {
		return nil, attribution.Errorf(attribution.EUNAUTHORIZED, "public_key must be a public key (pk_…); never put a secret key in a page.")
	}
	return h.store.VendorByPublicKey(c.Request().Context(), key)
}

// SignupAnswer is what the public signup endpoint tells the page.
type SignupAnswer struct {
	Status     string `json:"status"`
	Attributed bool   `json:"attributed"`
}

// Signup records a signup from the vendor's page.
func (h *Endpoints) Signup(c echo.Context) error {
	var b SignupBody
	if err := httpx.DecodeJSON(c, &b); err != nil {
		return err
	}
	v, err := h.vendor(c, b.PublicKey)
	if err != nil {
		return err
	}
	if err := allowOrigin(c, v); err != nil {
		return err
	}
	res, err := h.store.RecordSignup(c.Request().Context(), v, h.signups.Read(c, v, b, attribution.SourceSnippet, ClientVisitor(c)))
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

// Ping records a page load. sendBeacon posts text/plain, so the body is
// parsed as JSON whatever its content type. Pings with a missing or wrong
// key are recorded too: they are how the health check finds a broken tag.
func (h *Endpoints) Ping(c echo.Context) error {
	var b PingBody
	data, err := io.ReadAll(c.Request().Body)
	if httpx.BodyTooLarge(err) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	} else if err != nil {
		return attribution.Errorf(attribution.EINVALID, "Could not read the body.")
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return attribution.Errorf(attribution.EINVALID, "The body must be a JSON object {public_key, url, ref_in_url, cookie_ok}.")
	}
	if httpx.HasJSONNUL(data) { // the database cannot store it
		return attribution.Errorf(attribution.EINVALID, "The body must not contain NUL characters.")
	}
	u, err := url.Parse(b.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return attribution.Errorf(attribution.EINVALID, "url must be the page's absolute http(s) URL.")
	}
	p := attribution.Ping{
		Origin: strings.ToLower(u.Scheme + "://" + u.Host), Path: attribution.Clip(u.EscapedPath(), 300),
		RefInURL: b.RefInURL, CookieOK: b.CookieOK, At: h.clock(),
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
	h.pings.RecordPing(p)
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
func (h *Endpoints) presentedKey(c echo.Context, k string) (string, error) {
	k = strings.TrimSpace(k)
	switch {
	case strings.HasPrefix(k, attribution.PrefixSecretKey):
		v, err := h.store.VendorBySecretKey(c.Request().Context(), k)
		switch attribution.ErrorCode(err) {
		case "":
			return attribution.LeakedSecretKey(v.PublicKey), nil
		case attribution.EUNAUTHORIZED, attribution.ENOTFOUND, attribution.EINVALID:
			return attribution.PrefixSecretKey, nil
		}
		return "", err
	case len(k) > 64:
		return attribution.Clip(k, 64), nil
	}
	return k, nil
}

// ConfigAnswer tells the snippet how long to keep the cookie and where.
type ConfigAnswer struct {
	AttributionWindowDays int    `json:"attribution_window_days"`
	CookieDomain          string `json:"cookie_domain"`
}

// Config answers the cookie settings of the vendor.
func (h *Endpoints) Config(c echo.Context) error {
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
