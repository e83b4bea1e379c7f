package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/tally-dev/tally/attribution"
)

// The public program page, /join/{slug}: anyone may apply to the vendor's
// partner program. It has no dashboard navigation (no user in its view),
// works without JavaScript, and answers an application with the same
// thank-you page whether or not the email was known.

// joinData is the program page and its form as typed.
type joinData struct {
	Slug    string
	Program string
	Summary string // attribution.RewardSummary of the program's rule; "" without one
	Form    attribution.Application
}

func joinTitle(v *attribution.Vendor) string { return v.Name + " partner program" }

func joinDataOf(v *attribution.Vendor) joinData {
	return joinData{Slug: v.ProgramPage.Slug, Program: v.Name, Summary: attribution.RewardSummary(v.RewardRule)}
}

// joinPage answers GET /join/{slug}; 404 unless the vendor turned it on.
func (p *pages) joinPage(c echo.Context) error {
	v, err := p.Program.ProgramBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "join", view{Title: joinTitle(v), Data: joinDataOf(v)})
}

// apply answers POST /join/{slug}: a pending partner (or nothing, for an
// email the program knows), then the thank-you page (Post/Redirect/Get).
// A mistake shows the form again with what was typed.
func (p *pages) apply(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.Program.ProgramBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	d := joinDataOf(v)
	for name, dst := range map[string]*string{"name": &d.Form.Name, "email": &d.Form.Email, "website": &d.Form.Website} {
		if *dst, err = formText(c, name); err != nil {
			return err
		}
	}
	err = p.Program.Apply(ctx, v.ProgramPage.Slug, d.Form)
	if attribution.ErrorCode(err) == attribution.EINVALID {
		return p.render(c, http.StatusBadRequest, "join", view{Title: joinTitle(v), Error: attribution.ErrorMessage(err), Data: d})
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/join/"+v.ProgramPage.Slug+"/thanks")
}

// joinThanks answers GET /join/{slug}/thanks.
func (p *pages) joinThanks(c echo.Context) error {
	v, err := p.Program.ProgramBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "join_thanks", view{Title: "Thank you for applying", Data: joinDataOf(v)})
}

// Applications allowed per client address: a burst, then one every
// applyEvery. Enough for a household or an office sharing an address,
// too few to flood a vendor with partners.
const (
	applyBurst = 10
	applyEvery = 30 * time.Second
)

// applyLimit refuses, with a 429 page, an address that applies too often.
// RealIP trusts forwarded headers only from the configured proxies.
func applyLimit() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Every(applyEvery), Burst: applyBurst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return attribution.Errorf(attribution.EFORBIDDEN, "Cannot identify the client.")
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "60")
			return attribution.Errorf(attribution.ERATELIMIT, "Too many applications from your network. Try again in a few minutes.")
		},
	})
}
