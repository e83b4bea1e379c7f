package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// portalLoginData is the portal's sign-in form, and after a request the
// links made when mail is off (shown on screen, as an email would carry them).
type portalLoginData struct {
	Email   string
	Sent    bool
	MailOff bool
	Links   []attribution.SignInLinkSent
}

// portalLoginForm answers GET /partner/login, or sends a signed-in partner home.
func (p *pages) portalLoginForm(c echo.Context) error {
	if _, _, err := p.PartnerAccounts.PartnerSession(c.Request().Context(), cookieValue(c, partnerSessionCookie)); err == nil {
		return c.Redirect(http.StatusSeeOther, "/partner")
	}
	return p.render(c, http.StatusOK, "portal_login", view{Title: "Partner sign-in", CSRF: p.portalCSRF(c),
		Data: portalLoginData{MailOff: !p.MailEnabled}})
}

// portalRequestLink answers POST /partner/login {email}: the same page
// whether or not the email belongs to a partner ("if … we sent a link");
// when mail is off, the links themselves.
func (p *pages) portalRequestLink(c echo.Context) error {
	email, err := formText(c, "email")
	if err != nil {
		return err
	}
	d := portalLoginData{Email: email, MailOff: !p.MailEnabled}
	links, err := p.PartnerAccounts.RequestSignIn(c.Request().Context(), email, sessionMeta(c))
	switch attribution.ErrorCode(err) {
	case "":
	case attribution.EINVALID, attribution.ERATELIMIT:
		return p.render(c, httpx.Status(err), "portal_login", view{Title: "Partner sign-in", CSRF: p.portalCSRF(c),
			Error: attribution.ErrorMessage(err), Data: d})
	default:
		return err
	}
	d.Sent = true
	if !p.MailEnabled {
		d.Links = links
		if len(links) > 0 {
			p.Logger.Warn("mail is off: a partner sign-in link was shown on screen; set TALLY_SMTP_URL in a real deployment")
		}
	}
	return p.render(c, http.StatusOK, "portal_login", view{Title: "Check your email", CSRF: p.portalCSRF(c), Data: d})
}

// portalSignInForm answers GET /partner/sign-in/{token}: a page with a
// "Sign in" button. Opening the link spends nothing, so a mail scanner
// that fetches it leaves it working.
func (p *pages) portalSignInForm(c echo.Context) error {
	if _, err := p.PartnerAccounts.SignInLink(c.Request().Context(), c.Param("token")); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "portal_sign_in", view{Title: "Sign in to the partner portal", CSRF: p.portalCSRF(c)})
}

// portalSignIn answers POST /partner/sign-in/{token}: it spends the link,
// starts the partner's session and opens the portal.
func (p *pages) portalSignIn(c echo.Context) error {
	in, err := p.PartnerAccounts.SpendSignInLink(c.Request().Context(), c.Param("token"), sessionMeta(c))
	if err != nil {
		return err
	}
	p.startPartnerSession(c, in.Token)
	return c.Redirect(http.StatusSeeOther, "/partner")
}

// portalLogout answers POST /partner/logout.
func (p *pages) portalLogout(c echo.Context) error {
	if err := p.PartnerAccounts.SignOut(c.Request().Context(), cookieValue(c, partnerSessionCookie)); err != nil {
		return err
	}
	p.endPartnerSession(c)
	return c.Redirect(http.StatusSeeOther, "/partner/login")
}
