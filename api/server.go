// Package api is Tally's HTTP surface: the server, its middleware, the
// route table of the whole binary (routes.go), the vendor, partner and
// admin handlers and the referral redirect. Handlers decode, call the
// domain, encode.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
	"github.com/tally-dev/tally/internal/httpx"
	"github.com/tally-dev/tally/internal/metrics"
	"github.com/tally-dev/tally/snippet"
)

// Config is what the HTTP layer needs to know about the deployment.
type Config struct {
	PublicURL         string         // base of referral links and the snippet URL
	AdminToken        string         // enables /admin/v1 when set
	TrustedProxies    []netip.Prefix // forwarded-for headers are read only from these
	CountryHeader     string         // a CDN header carrying the visitor's country, trusted when set
	ClickWait         time.Duration  // the longest a redirect waits for its click's commit
	IPSalt            []byte         // salts IP hashes
	SnippetRate       float64        // snippet requests per second per IP
	SnippetBurst      int            // and the burst above that rate
	CheckAllowPrivate bool           // the link check may fetch private addresses
}

// Database answers the readiness check.
type Database interface {
	Ping(ctx context.Context) error
}

// PaymentQueue tells the operator how far the webhook queue is behind.
type PaymentQueue interface {
	// QueuedPaymentEvents counts the Stripe events waiting in the queue.
	QueuedPaymentEvents(ctx context.Context) (int, error)
	// DeadPaymentEvents counts the events dead after their last attempt.
	DeadPaymentEvents(ctx context.Context) (int, error)
}

// Deps are the server's collaborators, wired in app: one domain service per
// aggregate, so each handler group takes only the services it calls.
type Deps struct {
	Database  Database
	Vendors   attribution.VendorService
	Partners  attribution.PartnerService
	Links     attribution.LinkService
	Customers attribution.CustomerService
	Signups   attribution.SignupService
	Purchases attribution.PurchaseService
	Payments  PaymentQueue
	Rewards   attribution.RewardService
	Audit     attribution.AuditService
	Exports   attribution.ExportService
	Health    attribution.HealthService
	Diagnosis attribution.DiagnosisService
	Erasure   attribution.ErasureService
	Portal    attribution.PartnerPortalService
	Analytics attribution.AnalyticsService
	Gaps      attribution.GapService
	Payouts   attribution.PayoutService
	// Program: applications' decisions and partner invites.
	Program attribution.ProgramService

	Tokens  *attribution.TokenCodec
	Clicks  attribution.ClickRecorder
	Agents  *clickinfo.AgentParser
	Geo     *clickinfo.Geo
	Clock   attribution.Clock
	Logger  *slog.Logger
	Pings   attribution.PingRecorder
	Snippet http.Handler // serves /snippet.js
	// Accounts creates a new vendor's owner (owner_email).
	Accounts attribution.AccountService
	// StripeEvents lists a vendor's Stripe events and retries dead ones.
	StripeEvents attribution.StripeEventService
	// Webhooks manages the outbound webhook endpoints and their deliveries.
	Webhooks attribution.WebhookService
	// Metrics counts requests and redirects and serves GET /metrics; nil
	// counts nothing and serves no /metrics.
	Metrics *metrics.Metrics

	// Built by their own packages and registered in the route table
	// (routes.go); the routes of one left nil are not registered.
	SnippetEndpoints *snippet.Endpoints    // /v1/snippet/*
	StripeWebhook    echo.HandlerFunc      // POST /webhooks/stripe/{vendor_id}
	SignupReader     *snippet.SignupReader // reads POST /v1/signups as the snippet's signup is read
}

// Server is the Echo application.
type Server struct {
	Echo   *echo.Echo
	cfg    Config
	deps   Deps
	public *url.URL
}

// New builds the router.
func New(cfg Config, deps Deps) *Server {
	if deps.Clock == nil {
		deps.Clock = attribution.SystemClock
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if cfg.ClickWait == 0 {
		cfg.ClickWait = 2 * time.Second
	}
	public, err := url.Parse(cfg.PublicURL)
	if err != nil || public.Host == "" {
		public, _ = url.Parse("http://localhost:8080")
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = httpx.ErrorHandler(deps.Logger)
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s := &Server{Echo: e, cfg: cfg, deps: deps, public: public}

	e.Use(httpMetrics(deps.Metrics))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			deps.Logger.Error("panic", "path", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(securityHeaders(public.Scheme == "https"))
	e.Use(requestLog(deps.Logger))
	e.Use(rejectBadText) // see hostile.go
	// The API takes small JSON documents. Stripe events can be larger; the
	// webhook sets its own 1 MiB limit.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   "256K",
		Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/webhooks/") },
	}))

	s.routes()
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Echo.ServeHTTP(w, r) }

// Deps returns the collaborators, for tests that rebuild the server.
func (s *Server) Deps() Deps { return s.deps }

// Config returns the deployment configuration.
func (s *Server) Config() Config { return s.cfg }

// ipExtractor trusts X-Forwarded-For only from configured proxies; otherwise
// anyone could spoof click IPs and dodge rate limits.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	var opts []echo.TrustOption
	opts = append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(netipToIPNet(p)))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// securityHeaders are set on every answer; Strict-Transport-Security too
// when the public URL is https (behind a TLS-terminating proxy the request
// itself may arrive over plain HTTP, so the public URL decides).
// The values are made once and shared by every answer (keys canonical, set
// straight into the map): header values are never written in place.
func securityHeaders(https bool) echo.MiddlewareFunc {
	var (
		nosniff  = []string{"nosniff"}
		deny     = []string{"DENY"}
		referrer = []string{"strict-origin-when-cross-origin"}
		hsts     = []string{"max-age=31536000; includeSubDomains"}
		csp      = []string{"default-src 'none'; frame-ancestors 'none'"}
	)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h["X-Content-Type-Options"] = nosniff
			h["X-Frame-Options"] = deny
			h["Referrer-Policy"] = referrer
			if https {
				h["Strict-Transport-Security"] = hsts
			}
			if !strings.HasPrefix(c.Request().URL.Path, "/snippet.js") {
				h["Content-Security-Policy"] = csp
			}
			return next(c)
		}
	}
}

// requestLog logs each request without query strings, keys or IPs: the
// query of a redirect may carry tokens and the headers carry secrets.
func requestLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			level := slog.LevelDebug
			if status >= 500 {
				level = slog.LevelWarn
			}
			// Checked first: building the attributes costs allocations on
			// the redirect's hot path even when the level is off.
			if logger.Enabled(c.Request().Context(), level) {
				logger.Log(c.Request().Context(), level, "http", "method", c.Request().Method, "route", c.Path(),
					"status", status, "duration_ms", time.Since(start).Milliseconds())
			}
			return nil
		}
	}
}
