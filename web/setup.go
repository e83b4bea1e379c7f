package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// setupData is the setup form: the first run asks for the program and its
// admin; a user's setup link only for a password.
type setupData struct {
	FirstRun    bool
	Email       string // the user's email, or as typed on the first run
	ProgramName string
	Domain      string
}

func (p *pages) setupForm(c echo.Context) error {
	l, u, err := p.Accounts.Link(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	if l.Kind == attribution.LinkReset { // only /password/reset/{token} takes it
		return attribution.ErrNoSuchLink()
	}
	d := setupData{FirstRun: l.Kind == attribution.LinkFirstRun}
	if u != nil {
		d.Email = u.Email
	}
	return p.render(c, http.StatusOK, "setup", view{Title: setupTitle(d), Data: d})
}

func setupTitle(d setupData) string {
	if d.FirstRun {
		return "Create your program"
	}
	return "Choose your password"
}

// setup spends the link: it creates the program and its admin (first run)
// or sets the user's password, then signs in. A mistake re-shows the form
// with what was typed (never the password) and leaves the link unspent.
func (p *pages) setup(c echo.Context) error {
	ctx, token := c.Request().Context(), c.Param("token")
	l, u, err := p.Accounts.Link(ctx, token)
	if err != nil {
		return err
	}
	pw, err := formText(c, "password")
	if err != nil {
		return err
	}
	d := setupData{FirstRun: l.Kind == attribution.LinkFirstRun}
	var in *attribution.SignedIn
	if d.FirstRun {
		f := attribution.FirstRun{Password: pw}
		for name, dst := range map[string]*string{"program_name": &f.ProgramName, "domain": &f.Domain, "email": &f.Email} {
			if *dst, err = formText(c, name); err != nil {
				return err
			}
		}
		d.ProgramName, d.Domain, d.Email = f.ProgramName, f.Domain, f.Email
		in, err = p.Accounts.CompleteFirstRun(ctx, token, f, sessionMeta(c))
	} else {
		d.Email = u.Email
		in, err = p.Accounts.CompleteSetup(ctx, token, pw, sessionMeta(c))
	}
	switch attribution.ErrorCode(err) {
	case "":
	case attribution.EINVALID, attribution.ECONFLICT:
		return p.render(c, httpx.Status(err), "setup", view{Title: setupTitle(d), Error: attribution.ErrorMessage(err), Data: d})
	default:
		return err
	}
	p.startSession(c, in.Token)
	return c.Redirect(http.StatusSeeOther, "/dashboard")
}
