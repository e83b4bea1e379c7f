package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// loginData is the sign-in form as typed (never the password).
type loginData struct {
	Email string
}

// loginForm shows the sign-in form, or the dashboard to a signed-in browser.
func (p *pages) loginForm(c echo.Context) error {
	if _, _, err := p.Accounts.Session(c.Request().Context(), cookieValue(c, sessionCookie)); err == nil {
		return c.Redirect(http.StatusSeeOther, "/dashboard")
	}
	return p.render(c, http.StatusOK, "login", view{Title: "Sign in", Data: loginData{}})
}

// login checks the email and password. A wrong one (or an unknown email)
// re-shows the form with one generic message (401); too many failures
// re-show it with the throttling message (429).
func (p *pages) login(c echo.Context) error {
	email, err := formText(c, "email")
	if err != nil {
		return err
	}
	pw, err := formText(c, "password")
	if err != nil {
		return err
	}
	in, err := p.Accounts.SignIn(c.Request().Context(), email, pw, sessionMeta(c))
	switch code := attribution.ErrorCode(err); code {
	case "":
	case attribution.EUNAUTHORIZED, attribution.ERATELIMIT:
		return p.render(c, httpx.Status(err), "login", view{Title: "Sign in", Error: attribution.ErrorMessage(err),
			Data: loginData{Email: email}})
	default:
		return err
	}
	p.startSession(c, in.Token)
	return c.Redirect(http.StatusSeeOther, "/dashboard")
}

// logout ends the session and returns to the sign-in page.
func (p *pages) logout(c echo.Context) error {
	if err := p.Accounts.SignOut(c.Request().Context(), cookieValue(c, sessionCookie)); err != nil {
		return err
	}
	p.endSession(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}
