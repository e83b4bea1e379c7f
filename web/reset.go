package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// Password reset by emailed link: /password/reset asks for the email and
// answers the same whether or not it has a user; the email's link opens
// /password/reset/{token}, where the user chooses a new password. With
// email off no link can reach its owner, and showing it here would hand
// any account to any visitor: the page says to ask an admin instead.

// resetData is the page that asks for a reset link.
type resetData struct {
	Email   string
	Sent    bool // a request was answered
	MailOff bool
	Valid   string // how long a reset link works
}

func (p *pages) resetView(d resetData, errMsg string) view {
	d.MailOff, d.Valid = !p.MailEnabled, attribution.HumanDuration(attribution.LinkLifetime(attribution.LinkReset))
	title := "Reset your password"
	if d.Sent {
		title = "Check your email"
	}
	return view{Title: title, Error: errMsg, Data: d}
}

// resetForm answers GET /password/reset (?sent after a request).
func (p *pages) resetForm(c echo.Context) error {
	_, sent := c.QueryParams()["sent"]
	return p.render(c, http.StatusOK, "reset", p.resetView(resetData{Sent: sent && p.MailEnabled}, ""))
}

// requestReset answers "Email me a reset link", then shows the same page
// whatever the email (Post/Redirect/Get). With email off it sends nothing.
func (p *pages) requestReset(c echo.Context) error {
	if !p.MailEnabled {
		return done(c, "/password/reset")
	}
	email, err := formText(c, "email")
	if err != nil {
		return err
	}
	err = p.Accounts.RequestPasswordReset(c.Request().Context(), email, sessionMeta(c))
	switch attribution.ErrorCode(err) {
	case "":
	case attribution.EINVALID, attribution.ERATELIMIT:
		return p.render(c, httpx.Status(err), "reset", p.resetView(resetData{Email: email}, attribution.ErrorMessage(err)))
	default:
		return err
	}
	return done(c, "/password/reset?sent")
}

// newPasswordData is the page a reset link opens.
type newPasswordData struct {
	Email string
}

// resetLinkUser returns the user of a usable reset link; any other link
// is no reset link. ENOTFOUND.
func (p *pages) resetLinkUser(c echo.Context) (*attribution.User, error) {
	l, u, err := p.Accounts.Link(c.Request().Context(), c.Param("token"))
	if err != nil {
		return nil, err
	}
	if l.Kind != attribution.LinkReset || u == nil {
		return nil, attribution.ErrNoSuchLink()
	}
	return u, nil
}

// newPasswordForm answers GET /password/reset/{token}: opening the link
// spends nothing, so a mail scanner that fetches it leaves it working.
func (p *pages) newPasswordForm(c echo.Context) error {
	u, err := p.resetLinkUser(c)
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "reset_password", view{Title: "Choose a new password", Data: newPasswordData{Email: u.Email}})
}

// resetPassword answers "Set password": it spends the link, sets the
// password, signs the user out everywhere else and in here. A password the
// policy refuses re-shows the form and leaves the link unspent.
func (p *pages) resetPassword(c echo.Context) error {
	u, err := p.resetLinkUser(c)
	if err != nil {
		return err
	}
	pw, err := formText(c, "password")
	if err != nil {
		return err
	}
	in, err := p.Accounts.CompletePasswordReset(c.Request().Context(), c.Param("token"), pw, sessionMeta(c))
	switch attribution.ErrorCode(err) {
	case "":
	case attribution.EINVALID:
		return p.render(c, httpx.Status(err), "reset_password", view{Title: "Choose a new password",
			Error: attribution.ErrorMessage(err), Data: newPasswordData{Email: u.Email}})
	default:
		return err
	}
	p.startSession(c, in.Token)
	return c.Redirect(http.StatusSeeOther, "/dashboard")
}
