package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// partnersData is the partner list.
type partnersData struct {
	Status   string // the status filter, "" for all
	Statuses []string
	Partners []*attribution.Partner
	Next     string // the next page's URL; "" on the last
}

// partners answers GET /dashboard/partners?status=.
func (p *pages) partners(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	status, err := formText(c, "status")
	if err != nil {
		return err
	}
	if status != "" && !slices.Contains(attribution.PartnerStatuses, status) {
		return attribution.Errorf(attribution.EINVALID, "There is no partner status %q.", status)
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Partners.ListPartners(ctx, v.ID, attribution.PartnerFilter{Status: status, Page: page})
	if err != nil {
		return err
	}
	d := partnersData{Status: status, Statuses: attribution.PartnerStatuses, Partners: list}
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.render(c, http.StatusOK, "partners", view{Title: "Partners", Nav: "partners", User: u, Vendor: v, Data: d})
}

// partnerForm is the new-partner and invite form as typed.
type partnerForm struct {
	Invite      bool
	Name, Email string
}

// mustChange refuses, with 403, a form page to a viewer: they could not
// send it (changesNeedAdmin refuses the post).
func mustChange(c echo.Context) error {
	if !userOf(c).MayChange() {
		return attribution.Errorf(attribution.EFORBIDDEN, "Viewers can see everything but change nothing. Ask an admin.")
	}
	return nil
}

func (p *pages) newPartnerForm(c echo.Context) error    { return p.partnerFormPage(c, false) }
func (p *pages) invitePartnerForm(c echo.Context) error { return p.partnerFormPage(c, true) }

func (p *pages) partnerFormPage(c echo.Context, invite bool) error {
	if err := mustChange(c); err != nil {
		return err
	}
	return p.showPartnerForm(c, http.StatusOK, partnerForm{Invite: invite}, "")
}

func (p *pages) showPartnerForm(c echo.Context, status int, f partnerForm, msg string) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	title := "New partner"
	if f.Invite {
		title = "Invite partner"
	}
	return p.render(c, status, "partner_new", view{Title: title, Nav: "partners", User: u, Vendor: v, Error: msg, Data: f})
}

// createPartner answers POST /dashboard/partners/new: an active partner.
func (p *pages) createPartner(c echo.Context) error { return p.addPartner(c, false) }

// invitePartner answers POST /dashboard/partners/invite: an invited
// partner, active once they accept (or the vendor approves them).
func (p *pages) invitePartner(c echo.Context) error { return p.addPartner(c, true) }

func (p *pages) addPartner(c echo.Context, invite bool) error {
	u := userOf(c)
	var f partnerForm
	var err error
	f.Invite = invite
	if f.Name, err = formText(c, "name"); err != nil {
		return err
	}
	if f.Email, err = formText(c, "email"); err != nil {
		return err
	}
	status := attribution.PartnerActive
	if invite {
		status = attribution.PartnerInvited
	}
	np, err := p.Partners.CreatePartner(c.Request().Context(), u.VendorID, u.Email,
		attribution.PartnerCreate{Name: f.Name, Email: f.Email, Status: status})
	if code := attribution.ErrorCode(err); code == attribution.EINVALID || code == attribution.ECONFLICT {
		return p.showPartnerForm(c, httpx.Status(err), f, attribution.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	if invite {
		return p.invited(c, np.Partner.ID) // join_invite.go
	}
	return c.Redirect(http.StatusSeeOther, "/dashboard/partners/"+np.Partner.ID)
}

// partnerData is one partner's page.
type partnerData struct {
	Partner   *attribution.Partner
	Rule      *attribution.RewardRule // the rule that applies: override or the vendor's
	Override  bool
	Links     []*attribution.Link
	Customers []*attribution.Customer
	Rewards   []*attribution.Reward
	Codes     []*attribution.PromotionCode
	Statuses  []string // what the status form offers
	InviteURL string   // a new invite link to copy, on the answer that made it (email is off)
}

// partner answers GET /dashboard/partners/{id}.
func (p *pages) partner(c echo.Context) error { return p.partnerPage(c, c.Param("id"), "") }

// partnerPage renders partner id's page, with inviteURL when set.
func (p *pages) partnerPage(c echo.Context, id, inviteURL string) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	pa, err := p.Partners.FindPartner(ctx, v.ID, id)
	if err != nil {
		return err
	}
	d := partnerData{Partner: pa, Rule: attribution.RuleFor(v, pa), Override: pa.RewardRule != nil,
		Statuses: []string{attribution.PartnerActive, attribution.PartnerDisabled}, InviteURL: inviteURL}
	page := attribution.Page{Limit: 20}
	if d.Links, _, err = p.Links.ListLinks(ctx, v.ID, attribution.LinkFilter{PartnerID: pa.ID, Page: attribution.Page{Limit: attribution.MaxPageLimit}}); err != nil {
		return err
	}
	if d.Customers, _, err = p.Customers.ListCustomers(ctx, v.ID, attribution.CustomerFilter{PartnerID: pa.ID, Page: page}); err != nil {
		return err
	}
	if d.Rewards, _, err = p.Rewards.ListRewards(ctx, v.ID, attribution.RewardFilter{PartnerID: pa.ID, Page: page}); err != nil {
		return err
	}
	if d.Codes, err = p.Partners.ListPromotionCodes(ctx, v.ID, pa.ID); err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "partner", view{Title: pa.Name, Nav: "partners", User: u, Vendor: v, Data: d})
}

// approvePartner answers POST /dashboard/partners/{id}/approve.
func (p *pages) approvePartner(c echo.Context) error {
	return p.decidePartner(c, attribution.PartnerApprove)
}

// rejectPartner answers POST /dashboard/partners/{id}/reject {reason}.
func (p *pages) rejectPartner(c echo.Context) error {
	return p.decidePartner(c, attribution.PartnerReject)
}

func (p *pages) decidePartner(c echo.Context, decision string) error {
	u := userOf(c)
	reason, err := formText(c, "reason")
	if err != nil {
		return err
	}
	pa, err := p.Partners.DecideApplication(c.Request().Context(), u.VendorID, u.Email, c.Param("id"), decision, reason)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/dashboard/partners/"+pa.ID)
}

// changePartnerStatus answers POST /dashboard/partners/{id}/status
// {status}: disable a partner or make them active again.
func (p *pages) changePartnerStatus(c echo.Context) error {
	u := userOf(c)
	status, err := formText(c, "status")
	if err != nil {
		return err
	}
	pa, err := p.Partners.UpdatePartner(c.Request().Context(), u.VendorID, u.Email, c.Param("id"), attribution.PartnerUpdate{Status: &status})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/dashboard/partners/"+pa.ID)
}
