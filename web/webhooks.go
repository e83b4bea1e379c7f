package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// Settings → Webhook endpoints: the list and the form "Add endpoint" are a
// section of /dashboard/settings; each endpoint has its page
// (/dashboard/settings/webhooks/{id}) with its deliveries and attempts,
// "Retry" per delivery, enable or disable, "Rotate secret" and delete.
// Every change calls the WebhookService the JSON API calls.

// webhookSettings is the settings section: the endpoints and the form.
type webhookSettings struct {
	Endpoints []*attribution.WebhookEndpoint
	More      bool
	Events    []string // the event types offered as checkboxes
	// The form "Add endpoint" as typed, after a refusal.
	URL, Description string
	Checked          []string
}

// maxEndpointsListed is how many endpoints Settings lists: all of them, a
// program having at most 20.
const maxEndpointsListed = 50

// loadWebhookSettings reads the settings section of the vendor's endpoints,
// with the form as typed when it was refused.
func (p *pages) loadWebhookSettings(c echo.Context, vendorID string) (webhookSettings, error) {
	w := webhookSettings{Events: append([]string{attribution.WebhookAllEvents}, attribution.WebhookEventTypes...)}
	var err error
	w.Endpoints, w.More, err = p.Webhooks.ListWebhookEndpoints(c.Request().Context(), vendorID, attribution.Page{Limit: maxEndpointsListed})
	w.Checked = []string{attribution.WebhookAllEvents}
	if c.Request().Method == http.MethodPost && c.Path() == "/dashboard/settings/webhooks" {
		w.URL, w.Description, w.Checked = c.FormValue("url"), c.FormValue("description"), c.Request().Form["events"]
	}
	return w, err
}

// webhookEndpointData is an endpoint's page.
type webhookEndpointData struct {
	Endpoint   *attribution.WebhookEndpoint
	Deliveries []*attribution.WebhookDelivery
	Status     string
	Statuses   []string
	Next       string
	Here       string
	Secret     string // shown once: on the answer of the creation or rotation
	Created    bool
}

// addWebhookEndpoint answers "Add endpoint" (POST /v1/webhook_endpoints):
// the new endpoint's page, with its secret shown this once (never stored
// in clear, never redirected to).
func (p *pages) addWebhookEndpoint(c echo.Context) error {
	u := userOf(c)
	var in attribution.WebhookEndpointCreate
	var err error
	if in.URL, err = formText(c, "url"); err != nil {
		return err
	}
	if in.Description, err = formText(c, "description"); err != nil {
		return err
	}
	in.Events = c.Request().Form["events"]
	if len(in.Events) == 0 {
		return p.refused(c, attribution.Errorf(attribution.EINVALID, "Choose at least one event."), p.settings)
	}
	if len(in.Events) > len(attribution.WebhookEventTypes)+1 {
		return attribution.Errorf(attribution.EINVALID, "Too many events.")
	}
	ne, err := p.Webhooks.CreateWebhookEndpoint(c.Request().Context(), u.VendorID, u.Email, in)
	if err != nil {
		return p.refused(c, err, p.settings)
	}
	return p.webhookEndpointPage(c, ne.ID, webhookEndpointData{Secret: ne.Secret, Created: true})
}

// webhookEndpoint answers GET /dashboard/settings/webhooks/{id}?status=.
func (p *pages) webhookEndpoint(c echo.Context) error {
	return p.webhookEndpointPage(c, c.Param("id"), webhookEndpointData{})
}

func (p *pages) webhookEndpointPage(c echo.Context, id string, d webhookEndpointData) error {
	ctx := c.Request().Context()
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	if d.Endpoint, err = p.Webhooks.FindWebhookEndpoint(ctx, v.ID, id); err != nil {
		return err
	}
	d.Statuses = attribution.DeliveryStatuses
	d.Here = "/dashboard/settings/webhooks/" + id
	if c.Request().Method == http.MethodGet {
		d.Here = c.Request().URL.RequestURI()
	}
	if d.Status, err = queryText(c, "status"); err != nil {
		return err
	}
	if d.Status != "" && !slices.Contains(attribution.DeliveryStatuses, d.Status) {
		return attribution.Errorf(attribution.EINVALID, "Status must be one of %s.", strings.Join(attribution.DeliveryStatuses, ", "))
	}
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	list, more, err := p.Webhooks.ListWebhookDeliveries(ctx, v.ID, id, attribution.WebhookDeliveryFilter{Status: d.Status, Page: page})
	if err != nil {
		return err
	}
	d.Deliveries = list
	if len(list) > 0 {
		d.Next = nextPage(c, more, list[len(list)-1].ID)
	}
	return p.render(c, http.StatusOK, "webhook_endpoint", view{Title: "Webhook endpoint", Nav: "settings", User: userOf(c), Vendor: v, Data: d})
}

// setWebhookEndpointStatus answers "Enable" and "Disable".
func (p *pages) setWebhookEndpointStatus(c echo.Context) error {
	u, id := userOf(c), c.Param("id")
	status := c.FormValue("status")
	if status != attribution.WebhookEnabled && status != attribution.WebhookDisabled {
		return attribution.Errorf(attribution.EINVALID, "Choose Enable or Disable.")
	}
	if _, err := p.Webhooks.UpdateWebhookEndpoint(c.Request().Context(), u.VendorID, u.Email, id, attribution.WebhookEndpointUpdate{Status: &status}); err != nil {
		return p.refused(c, err, p.webhookEndpoint)
	}
	return done(c, "/dashboard/settings/webhooks/"+id)
}

// rotateWebhookSecret answers "Rotate secret": the new secret is on this
// answer only; the previous one still signs for a day.
func (p *pages) rotateWebhookSecret(c echo.Context) error {
	u, id := userOf(c), c.Param("id")
	ne, err := p.Webhooks.RotateWebhookSecret(c.Request().Context(), u.VendorID, u.Email, id)
	if err != nil {
		return p.refused(c, err, p.webhookEndpoint)
	}
	return p.webhookEndpointPage(c, id, webhookEndpointData{Secret: ne.Secret})
}

// deleteWebhookEndpointForm answers GET /dashboard/settings/webhooks/{id}/delete:
// the confirmation, a plain form, so deleting needs no script.
func (p *pages) deleteWebhookEndpointForm(c echo.Context) error {
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	ep, err := p.Webhooks.FindWebhookEndpoint(c.Request().Context(), v.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "webhook_delete", view{Title: "Delete webhook endpoint", Nav: "settings", User: userOf(c), Vendor: v, Data: ep})
}

// deleteWebhookEndpoint deletes the endpoint with its deliveries.
func (p *pages) deleteWebhookEndpoint(c echo.Context) error {
	u := userOf(c)
	if err := p.Webhooks.DeleteWebhookEndpoint(c.Request().Context(), u.VendorID, u.Email, c.Param("id")); err != nil {
		return p.refused(c, err, p.deleteWebhookEndpointForm)
	}
	return done(c, "/dashboard/settings#webhooks")
}

// retryWebhookDelivery answers a delivery's "Retry": due now, with a
// fresh retry schedule.
func (p *pages) retryWebhookDelivery(c echo.Context) error {
	u, id := userOf(c), c.Param("id")
	reason, err := formText(c, "reason")
	if err != nil {
		return err
	}
	if _, err := p.Webhooks.RetryWebhookDelivery(c.Request().Context(), u.VendorID, u.Email, id, c.Param("delivery"), reason); err != nil {
		return p.refused(c, err, p.webhookEndpoint)
	}
	return done(c, backTo(c, "/dashboard/settings/webhooks/"+id))
}

// endpointStatusView is what the template "webhook-status" shows.
type endpointStatusView struct {
	Endpoint *attribution.WebhookEndpoint
	Vendor   *attribution.Vendor
}

func init() {
	funcs["endpointStatus"] = func(e *attribution.WebhookEndpoint, v *attribution.Vendor) endpointStatusView {
		return endpointStatusView{Endpoint: e, Vendor: v}
	}
}
