// Package web is the dashboard's HTML: pages rendered on the server from
// templates embedded in the binary, one stylesheet and a few small script
// modules that only enhance. Each page is a handler file (web/<page>.go)
// with its template beside it (web/templates/<page>.html), rendered inside
// one layout. A page handler decodes the form, calls the same domain
// service the JSON API calls, and renders; it holds no rule of its own.
package web

import (
	"embed"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

//go:embed templates static
var files embed.FS

// Deps are the domain services and settings the pages use.
type Deps struct {
	Accounts  attribution.AccountService
	Vendors   attribution.VendorService
	Partners  attribution.PartnerService
	Analytics attribution.AnalyticsService
	Rewards   RewardService
	// dash-a pages
	Dashboard attribution.DashboardService
	// Closing is closed when the server shuts down: live feeds end then.
	Closing <-chan struct{}

	Clock  attribution.Clock
	Logger *slog.Logger
	// PublicURL is the deployment's base URL; https makes cookies Secure.
	PublicURL string

	// dash-b pages: customers, purchases, rewards, audit, settings, gaps.
	Customers    attribution.CustomerService
	Diagnosis    attribution.DiagnosisService
	Purchases    attribution.PurchaseService
	Exports      attribution.ExportService
	Audit        attribution.AuditService
	Links        attribution.LinkService
	Health       attribution.HealthService
	Gaps         attribution.GapService
	Team         attribution.TeamService
	StripeEvents attribution.StripeEventService
	LinkChecker  LinkChecker

	// the partner portal (/partner) and the unsubscribe pages
	PartnerAccounts attribution.PartnerAccountService
	Portal          attribution.PartnerPortalService
	Payouts         attribution.PayoutService
	Unsubscribes    attribution.UnsubscribeService
	// Program: the public program page, applications and invites.
	Program attribution.ProgramService
	// MailEnabled is false when no email is sent: screens then show the
	// links an email would carry.
	MailEnabled bool
	// Webhooks: the outbound webhook endpoints of Settings.
	Webhooks attribution.WebhookService
}

// RewardService is what the pages do with rewards: list and change them,
// and sum them up for the overview.
type RewardService interface {
	attribution.RewardService
	attribution.RewardTotalsService
}

// pages serves the web interface.
type pages struct {
	Deps
	secure bool
	tmpl   *templates
}

// pageCSP is the Content-Security-Policy of every page: scripts and styles
// from this origin only (no inline script, no inline style), forms posting
// only here, never framed.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Mount adds the web interface's routes to e.
func Mount(e *echo.Echo, deps Deps) {
	if deps.Clock == nil {
		deps.Clock = attribution.SystemClock
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	p := &pages{Deps: deps, secure: strings.HasPrefix(deps.PublicURL, "https://"), tmpl: mustParseTemplates()}
	page := []echo.MiddlewareFunc{pageHeaders, p.errorPages}
	form := append(page, p.checkCSRF)

	e.GET("/static/*", serveStatic, staticCompression)
	e.GET("/login", p.loginForm, page...)
	e.POST("/login", p.login, form...)
	e.POST("/logout", p.logout, form...)
	e.GET("/setup/:token", p.setupForm, page...)
	e.POST("/setup/:token", p.setup, form...)
	e.GET("/password/reset", p.resetForm, page...)
	e.POST("/password/reset", p.requestReset, form...)
	e.GET("/password/reset/:token", p.newPasswordForm, page...)
	e.POST("/password/reset/:token", p.resetPassword, form...)

	// Everything under /dashboard needs a session; a change needs the CSRF
	// token and an admin, whatever the route, so no page can forget them.
	d := e.Group("/dashboard", append(page, p.signedIn, p.checkCSRF, p.changesNeedAdmin)...)
	d.GET("", p.overview)

	// dash-a pages
	d.GET("/feed", p.feed)
	d.GET("/analytics", p.analytics)
	d.GET("/analytics.csv", p.analyticsCSV)
	d.GET("/partners", p.partners)
	d.GET("/partners/new", p.newPartnerForm)
	d.POST("/partners/new", p.createPartner)
	d.GET("/partners/invite", p.invitePartnerForm)
	d.POST("/partners/invite", p.invitePartner)
	d.GET("/partners/:id", p.partner)
	d.POST("/partners/:id/approve", p.approvePartner)
	d.POST("/partners/:id/reject", p.rejectPartner)
	d.POST("/partners/:id/status", p.changePartnerStatus)
	d.GET("/links", p.links)
	d.GET("/links/new", p.newLinkForm)
	d.POST("/links/new", p.createLink)
	d.GET("/links/:id", p.link)
	d.POST("/links/:id/destination", p.changeDestination)
	d.GET("/links/:id/archive", p.archiveLinkForm)
	d.POST("/links/:id/archive", p.archiveLink)
	d.GET("/links/:id/qr.svg", p.linkQRSVG)
	d.GET("/links/:id/qr.png", p.linkQRPNG)
	// dash-b pages
	d.GET("/customers", p.customers)
	d.GET("/customers/:id", p.customer)
	d.POST("/customers/:id/credit", p.creditCustomer)
	d.GET("/purchases", p.purchases)
	d.POST("/purchases", p.recordPurchase)
	d.GET("/purchases.csv", p.purchasesCSV)
	d.POST("/purchases/:id/exclude", p.excludePurchase)
	d.POST("/purchases/:id/include", p.includePurchase)
	d.GET("/rewards", p.rewards)
	d.POST("/rewards", p.newReward)
	d.GET("/rewards.csv", p.rewardsCSV)
	d.POST("/rewards/bulk", p.bulkRewards)
	d.POST("/rewards/:id/:action", p.rewardAction)
	d.GET("/audit", p.audit)
	d.GET("/payouts", p.payouts)
	d.POST("/payouts", p.createPayouts)
	d.GET("/payouts/:id", p.payout)
	d.GET("/payouts/:id/:file", p.payoutFile)
	d.POST("/payouts/:id/paid", p.markPayoutPaid)
	d.GET("/settings", p.settings)
	d.POST("/settings/program", p.saveProgram)
	d.POST("/settings/reward-rule", p.saveRewardRule)
	d.POST("/settings/stripe", p.saveStripe)
	d.POST("/settings/keys/rotate", p.rotateKey)
	d.POST("/settings/team", p.invite)
	d.POST("/settings/sessions/:id/revoke", p.revokeSession)
	d.POST("/settings/webhooks", p.addWebhookEndpoint)
	d.GET("/settings/webhooks/:id", p.webhookEndpoint)
	d.POST("/settings/webhooks/:id/status", p.setWebhookEndpointStatus)
	d.POST("/settings/webhooks/:id/rotate", p.rotateWebhookSecret)
	d.GET("/settings/webhooks/:id/delete", p.deleteWebhookEndpointForm)
	d.POST("/settings/webhooks/:id/delete", p.deleteWebhookEndpoint)
	d.POST("/settings/webhooks/:id/deliveries/:delivery/retry", p.retryWebhookDelivery)
	d.GET("/gaps", p.gaps)
	d.GET("/gaps/diagnose", p.findCustomer)
	d.POST("/gaps/links/:id/check", p.checkLink)

	// program pages: public, no session; applying is rate-limited per
	// address. "invite" is not a slug (attribution.ValidProgramSlug).
	apply := append(append([]echo.MiddlewareFunc{}, page...), applyLimit(), p.checkCSRF)
	e.GET("/join/:slug", p.joinPage, page...)
	e.POST("/join/:slug", p.apply, apply...)
	e.GET("/join/:slug/thanks", p.joinThanks, page...)
	e.GET("/join/invite/:token", p.invitePage, page...)
	e.POST("/join/invite/:token", p.acceptInvite, form...)
	d.POST("/partners/:id/invite", p.sendInvite)
	p.mountPortal(e, page)
}

// pageHeaders give pages their own Content-Security-Policy (the API's is
// default-src 'none') and keep them out of shared caches.
func pageHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// unsafeMethod reports whether a request may change something.
func unsafeMethod(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
