package api

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tally-dev/tally/api/openapi"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
	"github.com/tally-dev/tally/snippet"
	"github.com/tally-dev/tally/snippet/check"
)

// handlerDeps are the domain services a handler struct may call; a
// handler struct never holds the Server.
type handlerDeps struct {
	Database  Database
	Vendors   attribution.VendorService
	Partners  attribution.PartnerService
	Links     attribution.LinkService
	Customers attribution.CustomerService
	Signups   attribution.SignupService
	Payments  PaymentQueue
	Health    attribution.HealthService
	Accounts  attribution.AccountService // a new vendor's owner (owner_email)
	Payouts   attribution.PayoutService
}

// routes registers every route of the binary, grouped by who may call it
// and how that caller is authenticated.
func (s *Server) routes() {
	e, d, cfg := s.Echo, s.deps, s.cfg
	stores := handlerDeps{
		Database: d.Database, Vendors: d.Vendors, Partners: d.Partners, Links: d.Links,
		Customers: d.Customers, Signups: d.Signups, Payments: d.Payments, Health: d.Health, Accounts: d.Accounts,
		Payouts: d.Payouts,
	}
	render := remedyRenderer{publicURL: cfg.PublicURL}

	probes := &probeHandlers{deps: stores}
	redirects := &redirectHandlers{
		deps: stores, tokens: d.Tokens, clicks: d.Clicks, agents: d.Agents, geo: d.Geo,
		clock: d.Clock, logger: d.Logger, public: s.public, hashes: clickinfo.NewHasher(cfg.IPSalt),
		clickWait: cfg.ClickWait, countryHeader: cfg.CountryHeader, metrics: d.Metrics,
	}
	vendors := &vendorHandlers{deps: stores, publicURL: cfg.PublicURL}
	status := &statusHandlers{deps: stores, clicks: d.Clicks}
	partners := &partnerHandlers{deps: stores}
	links := &linkHandlers{deps: stores, publicURL: cfg.PublicURL}
	signups := &signupHandlers{deps: stores, reader: d.SignupReader}
	customers := &customerHandlers{deps: stores}
	m := &money{
		purchases: d.Purchases, customers: d.Customers, partners: d.Partners,
		rewards: d.Rewards, audit: d.Audit, exports: d.Exports, clock: d.Clock,
	}
	health := &healthHandlers{
		deps: stores, clock: d.Clock, render: render,
		fetcher: check.New(check.Options{AllowPrivate: cfg.CheckAllowPrivate}),
	}
	diag := &diagnosis{diagnosis: d.Diagnosis, erasure: d.Erasure, render: render}
	analytics := &analyticsHandlers{svc: d.Analytics, clock: d.Clock}
	payouts := &payoutHandlers{payouts: d.Payouts, vendors: d.Vendors}
	stripeEvents := &stripeEventHandlers{events: d.StripeEvents}
	program := &programHandlers{partners: d.Partners, program: d.Program}
	hooks := &webhookHandlers{hooks: d.Webhooks}
	portal := &partnerPortal{
		vendors: d.Vendors, links: d.Links, customers: d.Customers, rewards: d.Rewards, portal: d.Portal,
		clock: d.Clock, publicURL: cfg.PublicURL,
	}

	// Public: probes, the referral redirect, the snippet script.
	e.GET("/healthz", probes.healthz)
	e.GET("/readyz", probes.readyz)
	e.GET("/v1/openapi.json", echo.WrapHandler(openapi.Handler()))
	e.GET("/r/:key", redirects.redirect)
	e.HEAD("/r/:key", redirects.redirect)
	if d.Snippet != nil {
		e.GET("/snippet.js", echo.WrapHandler(d.Snippet))
		e.HEAD("/snippet.js", echo.WrapHandler(d.Snippet))
	}

	// The snippet's endpoints: public, the public key names the vendor;
	// CORS answers on errors too, a rate limit per IP, small bodies.
	if sn := d.SnippetEndpoints; sn != nil {
		g := e.Group("/v1/snippet", snippet.CORSErrors, snippet.RateLimit(cfg.SnippetRate, cfg.SnippetBurst), middleware.BodyLimit("16K"))
		g.OPTIONS("/signup", sn.Preflight)
		g.OPTIONS("/ping", sn.Preflight)
		g.OPTIONS("/config", sn.Preflight)
		g.POST("/signup", sn.Signup)
		g.POST("/ping", sn.Ping)
		g.GET("/config", sn.Config)
	}

	// Stripe: authenticated by the vendor's signing secret, 1 MiB bodies
	// (the server-wide body limit skips /webhooks/).
	if d.StripeWebhook != nil {
		e.POST("/webhooks/stripe/:vendor_id", d.StripeWebhook)
	}

	// Operator: the admin token.
	admin := e.Group("/admin/v1", s.adminAuth)
	admin.POST("/vendors", vendors.createVendor)
	admin.GET("/status", status.status)
	// Prometheus scrapes GET /metrics with the admin token here, or
	// without one on its own listener (TALLY_METRICS_ADDR, wired in app).
	if d.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()), s.adminAuth)
	}

	// Vendor: a secret key (sk_).
	v1 := e.Group("/v1", s.vendorAuth)
	v1.GET("/vendor", vendors.getVendor)
	v1.PATCH("/vendor", vendors.patchVendor)
	v1.POST("/partners", partners.createPartner)
	v1.GET("/partners", partners.listPartners)
	v1.GET("/partners/:id", partners.getPartner)
	v1.PATCH("/partners/:id", partners.patchPartner)
	v1.POST("/partners/:id/codes", m.addPromotionCode)
	v1.GET("/partners/:id/codes", m.listPromotionCodes)
	v1.POST("/partners/:id/approve", program.decide(attribution.PartnerApprove))
	v1.POST("/partners/:id/reject", program.decide(attribution.PartnerReject))
	v1.POST("/partners/:id/invite", program.invite)
	v1.POST("/links", links.createLink)
	v1.GET("/links", links.listLinks)
	v1.GET("/links/:id", links.getLink)
	v1.PATCH("/links/:id", links.patchLink)
	v1.DELETE("/links/:id", links.archiveLink)
	v1.GET("/links/:id/qr.svg", links.linkQRSVG)
	v1.GET("/links/:id/qr.png", links.linkQRPNG)
	v1.POST("/links/:id/check", health.checkLink)
	v1.POST("/signups", signups.createSignup)
	v1.GET("/customers", customers.listCustomers)
	v1.GET("/customers/:id", customers.getCustomer)
	v1.POST("/customers", m.createCustomer)
	v1.POST("/customers/:id/attribution", m.reassignCustomer)
	v1.DELETE("/customers/:id", diag.eraseCustomer)
	v1.GET("/purchases", m.listPurchases)
	v1.POST("/purchases", m.createPurchase)
	v1.GET("/purchases.csv", m.exportPurchases)
	v1.GET("/purchases/:id", m.getPurchase)
	v1.POST("/purchases/:id/exclude", m.excludePurchase)
	v1.POST("/purchases/:id/include", m.includePurchase)
	v1.GET("/rewards", m.listRewards)
	v1.POST("/rewards", m.createReward)
	v1.GET("/rewards.csv", m.exportRewards)
	v1.GET("/rewards/:id", m.getReward)
	v1.POST("/rewards/:id/approve", m.rewardAction(attribution.RewardActionApprove))
	v1.POST("/rewards/:id/decline", m.rewardAction(attribution.RewardActionDecline))
	v1.POST("/rewards/:id/pay", m.rewardAction(attribution.RewardActionPay))
	v1.GET("/audit", m.listAudit)
	v1.GET("/health/snippet", health.snippetHealth)
	v1.GET("/diagnose", diag.diagnose)
	v1.GET("/analytics", analytics.getAnalytics)
	v1.GET("/gaps", (&gapHandlers{svc: d.Gaps, clock: d.Clock, render: render}).gaps)
	v1.GET("/payouts/due", payouts.due)
	v1.POST("/payouts", payouts.create)
	v1.GET("/payouts", payouts.list)
	v1.GET("/payouts/:id.csv", payouts.get) // the same route as the next (see payoutHandlers.get)
	v1.GET("/payouts/:id", payouts.get)
	v1.POST("/payouts/:id/paid", payouts.markPaid)
	v1.GET("/stripe_events", stripeEvents.listStripeEvents)
	v1.POST("/stripe_events/:id/retry", stripeEvents.retryStripeEvent)
	v1.POST("/webhook_endpoints", hooks.createEndpoint)
	v1.GET("/webhook_endpoints", hooks.listEndpoints)
	v1.GET("/webhook_endpoints/:id", hooks.getEndpoint)
	v1.PATCH("/webhook_endpoints/:id", hooks.patchEndpoint)
	v1.DELETE("/webhook_endpoints/:id", hooks.deleteEndpoint)
	v1.POST("/webhook_endpoints/:id/rotate_secret", hooks.rotateSecret)
	v1.GET("/webhook_endpoints/:id/deliveries", hooks.listDeliveries)
	v1.POST("/webhook_endpoints/:id/deliveries/:delivery_id/retry", hooks.retryDelivery)
	v1.GET("/events/:id", hooks.getEvent)

	// Partner: a partner token (pt_); every answer is the partner's own.
	partner := e.Group("/v1/partner", s.partnerAuth)
	partner.GET("/me", payouts.getPartnerMe)
	partner.PATCH("/me", payouts.patchPartnerMe)
	partner.GET("/payouts", payouts.partnerPayouts)
	partner.GET("/links", portal.listLinks)
	partner.POST("/links", portal.createLink)
	partner.GET("/rewards", portal.listRewards)
	partner.GET("/analytics", portal.analytics)
	partner.GET("/customers", portal.listCustomers)
}
