package api

import (
	"crypto/subtle"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

const (
	ctxVendor  = "tally.vendor"
	ctxPartner = "tally.partner"
	ctxActor   = "tally.actor"
)

// bearer returns the token of an Authorization: Bearer header.
func bearer(c echo.Context) string {
	h := c.Request().Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// vendorAuth authenticates a secret key and puts its vendor in the context.
func (s *Server) vendorAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := bearer(c)
		if key == "" {
			return attribution.Errorf(attribution.EUNAUTHORIZED, "Authorization: Bearer sk_… is required.")
		}
		if !strings.HasPrefix(key, attribution.PrefixSecretKey) {
			return attribution.Errorf(attribution.EUNAUTHORIZED, "This endpoint takes a vendor secret key (sk_…).")
		}
		v, err := s.deps.Vendors.VendorBySecretKey(c.Request().Context(), key)
		if err != nil {
			return err
		}
		c.Set(ctxVendor, v)
		c.Set(ctxActor, "secret_key:"+key[:7]+"…")
		return next(c)
	}
}

// partnerAuth authenticates a partner token.
func (s *Server) partnerAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := bearer(c)
		if !strings.HasPrefix(token, attribution.PrefixPartnerToken) {
			return attribution.Errorf(attribution.EUNAUTHORIZED, "Authorization: Bearer pt_… is required.")
		}
		p, err := s.deps.Partners.PartnerByToken(c.Request().Context(), token)
		if err != nil {
			return err
		}
		c.Set(ctxPartner, p)
		c.Set(ctxActor, "partner:"+p.ID)
		return next(c)
	}
}

// adminAuth compares the admin token in constant time; with no token
// configured the admin API does not exist.
func (s *Server) adminAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.AdminToken == "" {
			return attribution.Errorf(attribution.ENOTFOUND, "The admin API is disabled: set TALLY_ADMIN_TOKEN.")
		}
		token := bearer(c)
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) != 1 {
			return attribution.Errorf(attribution.EUNAUTHORIZED, "Invalid admin token.")
		}
		c.Set(ctxActor, "admin")
		return next(c)
	}
}

// VendorOf returns the authenticated vendor.
func VendorOf(c echo.Context) *attribution.Vendor { return c.Get(ctxVendor).(*attribution.Vendor) }

// PartnerOf returns the authenticated partner.
func PartnerOf(c echo.Context) *attribution.Partner { return c.Get(ctxPartner).(*attribution.Partner) }

// ActorOf names who made the request, for the audit log, without the secret.
func ActorOf(c echo.Context) string {
	if a, ok := c.Get(ctxActor).(string); ok {
		return a
	}
	return "unknown"
}
