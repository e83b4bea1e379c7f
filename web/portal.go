package web

import (
	"crypto/subtle"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// The partner portal (/partner): the pages a partner sees after signing in
// with an emailed link (portal_login.go). Its session cookie, context keys
// and CSRF tokens are its own: a partner is never a dashboard user, and a
// browser signed in to both keeps them apart.

const partnerSessionCookie = "tally_partner_session"

// Context keys of the signed-in partner and their session's token.
const (
	ctxPartner      = "web.partner"
	ctxPartnerToken = "web.partner_session_token"
	ctxPartnerSess  = "web.partner_session_id"
)

// portalView is what the layout needs to draw the portal's navigation.
type portalView struct {
	Partner *attribution.Partner
	Nav     string // the navigation item of this page
}

// mountPortal adds the portal's routes; page is the middleware of every page.
func (p *pages) mountPortal(e *echo.Echo, page []echo.MiddlewareFunc) {
	form := append(append([]echo.MiddlewareFunc{}, page...), p.checkPortalCSRF)
	e.GET("/partner/login", p.portalLoginForm, page...)
	e.POST("/partner/login", p.portalRequestLink, form...)
	e.GET("/partner/sign-in/:token", p.portalSignInForm, page...)
	e.POST("/partner/sign-in/:token", p.portalSignIn, form...)
	// The token in the path is the credential, and a mail client's one-click
	// unsubscribe (RFC 8058) posts without a form token: no CSRF check.
	for _, path := range []string{"/partner/unsubscribe/:token", "/unsubscribe/:token"} {
		e.GET(path, p.unsubscribeForm, page...)
		e.POST(path, p.unsubscribe, page...)
	}

	// Everything else under /partner needs a partner session; a change
	// needs the session's CSRF token, whatever the route.
	g := e.Group("/partner", append(append([]echo.MiddlewareFunc{}, page...), p.partnerSignedIn, p.checkPortalCSRF)...)
	g.GET("", p.portalHome)
	g.POST("/logout", p.portalLogout)
	g.GET("/links", p.portalLinks)
	g.POST("/links", p.portalCreateLink)
	g.GET("/links/:id/qr.svg", p.portalLinkQRSVG)
	g.GET("/links/:id/qr.png", p.portalLinkQRPNG)
	g.GET("/customers", p.portalCustomers)
	g.GET("/rewards", p.portalRewards)
	g.GET("/payouts", p.portalPayouts)
	g.POST("/payouts/method", p.portalSavePayoutMethod)
	g.GET("/notifications", p.portalNotifications)
	g.POST("/notifications", p.portalSaveNotifications)
	g.POST("/sessions/:id/revoke", p.portalRevokeSession)
}

// partnerSignedIn lets a request through with its partner, or sends the
// browser to the portal's sign-in page. Only the portal's cookie counts:
// neither a user's session nor a partner token opens a portal page.
func (p *pages) partnerSignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := cookieValue(c, partnerSessionCookie)
		session, partner, err := p.PartnerAccounts.PartnerSession(c.Request().Context(), token)
		if attribution.ErrorCode(err) == attribution.EUNAUTHORIZED {
			if token != "" {
				p.endPartnerSession(c)
			}
			return c.Redirect(http.StatusSeeOther, "/partner/login")
		} else if err != nil {
			return err
		}
		c.Set(ctxPartner, partner)
		c.Set(ctxPartnerToken, token)
		c.Set(ctxPartnerSess, session.ID)
		if !unsafeMethod(c.Request()) {
			p.startPartnerSession(c, token) // renew the cookie with the idle timeout
		}
		return next(c)
	}
}

func (p *pages) startPartnerSession(c echo.Context, token string) {
	c.SetCookie(p.cookie(partnerSessionCookie, token, int(attribution.SessionIdleTimeout.Seconds())))
}

func (p *pages) endPartnerSession(c echo.Context) {
	c.SetCookie(p.cookie(partnerSessionCookie, "", -1))
}

// partnerOf returns the signed-in partner.
func partnerOf(c echo.Context) *attribution.Partner { return c.Get(ctxPartner).(*attribution.Partner) }

// portalCSRF is the token of the portal's forms: derived from the partner
// session when signed in, else the pre-session cookie's (sign-in forms).
func (p *pages) portalCSRF(c echo.Context) string {
	if token, _ := c.Get(ctxPartnerToken).(string); token != "" {
		return attribution.CSRFToken("partner:" + token)
	}
	return p.preSessionCSRF(c)
}

// checkPortalCSRF refuses, with 403, a portal change whose form does not
// carry this browser's portal token (see checkCSRF).
func (p *pages) checkPortalCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !unsafeMethod(c.Request()) {
			return next(c)
		}
		want := cookieValue(c, csrfCookie)
		if token, _ := c.Get(ctxPartnerToken).(string); token != "" {
			want = attribution.CSRFToken("partner:" + token)
		}
		got := c.FormValue(csrfField)
		if len(want) < 32 || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return attribution.Errorf(attribution.EFORBIDDEN,
				"This form has expired or did not come from Tally. Go back, reload the page and try again.")
		}
		return next(c)
	}
}

// portalVendor returns the signed-in partner's program.
func (p *pages) portalVendor(c echo.Context) (*attribution.Vendor, error) {
	return p.Vendors.FindVendor(c.Request().Context(), partnerOf(c).VendorID)
}

// renderPortal renders a signed-in portal page with the portal's navigation.
func (p *pages) renderPortal(c echo.Context, status int, page, title, nav string, v *attribution.Vendor, data any) error {
	return p.render(c, status, page, view{Title: title, Vendor: v, CSRF: p.portalCSRF(c),
		Portal: &portalView{Partner: partnerOf(c), Nav: nav}, Data: data})
}
