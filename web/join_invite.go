package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// Partner invites: the dashboard sends one ("Send invite"); the partner
// opens /join/invite/{token}, sees the program and accepts. Opening the
// link changes nothing (a mail scanner's prefetch must not accept it);
// the button does.

// inviteData is the invite page.
type inviteData struct {
	Program string
	Name    string // the invited partner's
	Email   string
	Summary string // the reward rule that applies to them
}

// invitePage answers GET /join/invite/{token}.
func (p *pages) invitePage(c echo.Context) error {
	inv, v, err := p.Program.Invite(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	d := inviteData{Program: v.Name, Name: inv.Partner.Name, Email: inv.Partner.Email,
		Summary: attribution.RewardSummary(attribution.RuleFor(v, inv.Partner))}
	return p.render(c, http.StatusOK, "join_invite", view{Title: joinTitle(v), Data: d})
}

// acceptInvite answers "Accept invite": the partner is active, with a
// first link, and is signed in to the portal.
func (p *pages) acceptInvite(c echo.Context) error {
	in, err := p.Program.AcceptInvite(c.Request().Context(), c.Param("token"), sessionMeta(c))
	if err != nil {
		return err
	}
	p.startPartnerSession(c, in.Token)
	return c.Redirect(http.StatusSeeOther, "/partner")
}

// sendInvite answers the partner page's "Send invite": a new invite link,
// emailed; with email off, the page shows it to copy.
func (p *pages) sendInvite(c echo.Context) error {
	return p.invited(c, c.Param("id"))
}

// invited sends partner id an invite link and shows their page: after a
// redirect when the link went by email, else with the link to copy (shown
// once, so on this answer).
func (p *pages) invited(c echo.Context, id string) error {
	u := userOf(c)
	inv, err := p.Program.InvitePartner(c.Request().Context(), u.VendorID, u.Email, id)
	if err != nil {
		return err
	}
	if p.MailEnabled {
		return c.Redirect(http.StatusSeeOther, "/dashboard/partners/"+inv.PartnerID)
	}
	return p.partnerPage(c, inv.PartnerID, inv.URL)
}
