package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tally-dev/tally/api"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/attribution/store/ingest"
	"github.com/tally-dev/tally/internal/hookworker"
	"github.com/tally-dev/tally/internal/mailer"
	"github.com/tally-dev/tally/internal/metrics"
	"github.com/tally-dev/tally/snippet"
	"github.com/tally-dev/tally/snippet/check"
	"github.com/tally-dev/tally/web"
	"github.com/tally-dev/tally/webhooks"
)

// App is a running Tally: its store, click writer, ping buffer and HTTP server.
type App struct {
	Config Config
	Store  *store.Store
	Clicks *ingest.ClickWriter
	Server *api.Server
	Tokens *attribution.TokenCodec
	Pings  *ingest.PingBuffer
	Logger *slog.Logger
	geo    *clickinfo.Geo
	// stopJobs ends the background jobs (reward approval, rollups and
	// retention, the webhook queue); jobs waits for them to return.
	stopJobs context.CancelFunc
	jobs     sync.WaitGroup

	// Accounts are the dashboard's users, sessions and one-time links.
	Accounts *store.Accounts

	// closing is closed when the server starts shutting down, so that
	// long-lived answers (the dashboard's live feed) end.
	closing   chan struct{}
	closeOnce sync.Once
	// Metrics is the instance's Prometheus registry (GET /metrics);
	// metricsServer serves it on TALLY_METRICS_ADDR when that is set.
	Metrics       *metrics.Metrics
	metricsServer *http.Server
	metricsLn     net.Listener
	// Mailer sends the mail outbox; Enabled tells whether mail is on.
	Mailer *mailer.Mailer
	// Hooks delivers the outbound webhooks' outbox.
	Hooks *hookworker.Worker
}

// New opens the database, migrates it, loads or creates the keys and builds
// the server. Close releases everything.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = attribution.SystemClock
	}
	proxies, _ := cfg.trustedProxies()
	st, err := store.Open(cfg.DatabaseURL, store.Options{Clock: cfg.Clock, LinkCacheTTL: cfg.LinkCacheTTL, PublicURL: cfg.PublicURL})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Logger: logger, Metrics: metrics.New()}
	ok := false
	defer func() {
		if !ok {
			a.Close(context.Background())
		}
	}()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		logger.Info("database migrated", "applied", applied)
	}
	if a.Tokens, err = tokenCodec(ctx, st, cfg); err != nil {
		return nil, err
	}
	box, err := secretBox(ctx, st, cfg)
	if err != nil {
		return nil, err
	}
	st.Vendors.SetSecrets(box)
	salt, err := ipSalt(ctx, st)
	if err != nil {
		return nil, err
	}
	if a.geo, err = clickinfo.OpenGeo(cfg.GeoIPDB); err != nil {
		return nil, fmt.Errorf("TALLY_GEOIP_DB: %w", err)
	}
	script, err := snippet.NewScript()
	if err != nil {
		return nil, err
	}
	st.Payments.SetLegacyEventVerifier(func(v *attribution.Vendor, ev *attribution.PaymentEvent) { webhooks.VerifyToken(a.Tokens, v, ev) })
	st.Payments.SetMaxAttempts(cfg.WebhookMaxAttempts)
	st.Payments.SetEventObserver(a.Metrics.StripeEvent)
	a.Pings = ingest.NewPingBuffer(st.Pings, time.Second, logger)
	a.Clicks = ingest.NewClickWriter(st.Clicks, ingest.ClickWriterOptions{
		QueueSize: cfg.ClickQueue, Async: cfg.ClickMode == "async", Logger: logger,
		Writers: cfg.ClickWriters, Observer: a.Metrics.Clicks(),
	})
	a.Metrics.WatchDB(st.DB().DB)
	a.Metrics.WatchClickQueue(a.Clicks.Queued)
	a.Metrics.WatchWebhookQueue(st.Payments.QueuedPaymentEvents, st.Payments.DeadPaymentEvents)
	a.Accounts = store.NewAccounts(st.DB(), cfg.Clock, st.Vendors)
	a.Accounts.SetMail(st.Mail)
	a.Mailer = mailer.New(cfg.mail, st.Mail, logger)
	a.Mailer.OnResult = a.Metrics.Email
	sender := hookworker.NewSender(hookworker.SenderOptions{AllowPrivate: cfg.CheckAllowPrivate, Resolve: cfg.WebhookResolver})
	st.Webhooks.SetSecrets(box)
	st.Webhooks.SetDestinationCheck(sender.CheckDestination)
	a.Hooks = hookworker.New(st.Webhooks, sender, logger)
	a.Hooks.OnResult = a.Metrics.Delivery
	a.Metrics.WatchOutboxAge(st.Webhooks.OldestUndeliveredAge, st.Mail.OldestUnsentAge)
	agents := clickinfo.NewAgentParser(50_000)
	signups := snippet.NewSignupReader(a.Tokens, agents, salt, cfg.Clock)
	a.Server = api.New(api.Config{
		PublicURL: cfg.PublicURL, AdminToken: cfg.AdminToken, TrustedProxies: proxies,
		CountryHeader: cfg.CountryHeader, ClickWait: cfg.ClickWait, IPSalt: salt,
		SnippetRate: cfg.SnippetRate, SnippetBurst: cfg.SnippetBurst,
		CheckAllowPrivate: cfg.CheckAllowPrivate,
	}, api.Deps{
		Database: st, Vendors: st.Vendors, Partners: st.Partners, Links: st.Links, Customers: st.Customers,
		Signups: st.Customers, Purchases: st.Purchases, Payments: st.Payments, Rewards: st.Rewards, Audit: st.Audit,
		Exports: st.Exports, Health: st.Health, Diagnosis: st.Diagnosis, Erasure: st.Erasure, Portal: st.Portal,
		Analytics: st.Analytics, Payouts: st.Payouts, Program: st.Program,
		Tokens: a.Tokens, Clicks: a.Clicks, Agents: agents,
		Geo: a.geo, Clock: cfg.Clock, Logger: logger, Snippet: script, Pings: a.Pings, StripeEvents: st.Payments, Metrics: a.Metrics, Webhooks: st.Webhooks,
		Accounts:         a.Accounts,
		Gaps:             st.Gaps,
		SnippetEndpoints: snippet.NewEndpoints(snippetStore{st.Vendors, st.Customers}, a.Pings, signups, cfg.Clock),
		StripeWebhook:    webhooks.NewStripeHandler(webhookStore{st.Vendors, st.Payments}, logger, webhooks.Options{Queue: cfg.WebhookQueue, Inline: cfg.WebhookInline, Tokens: a.Tokens}),
		SignupReader:     signups,
	})
	// The web interface's pages have their own route table (web/web.go),
	// as miniflux keeps its UI's beside its API's.
	a.closing = make(chan struct{})
	web.Mount(a.Server.Echo, web.Deps{
		Accounts: a.Accounts, Vendors: st.Vendors, Partners: st.Partners, Analytics: st.Analytics, Rewards: st.Rewards,
		Dashboard: st.Dashboard, Closing: a.closing,
		Clock: cfg.Clock, Logger: logger, PublicURL: cfg.PublicURL,
		// dash-b pages
		Customers: st.Customers, Diagnosis: st.Diagnosis, Purchases: st.Purchases, Exports: st.Exports, Audit: st.Audit,
		Links: st.Links, Health: st.Health, Gaps: st.Gaps, Team: a.Accounts, StripeEvents: st.Payments,
		LinkChecker: check.New(check.Options{AllowPrivate: cfg.CheckAllowPrivate}),
		// the partner portal
		PartnerAccounts: st.PartnerAccounts, Portal: st.Portal, Payouts: st.Payouts, Unsubscribes: st.Unsubscribes,
		Program: st.Program, MailEnabled: a.Mailer.Enabled(), Webhooks: st.Webhooks,
	})
	if cfg.MetricsAddr != "" {
		if err := a.serveMetrics(cfg.MetricsAddr); err != nil {
			return nil, err
		}
	}
	jobs, stop := context.WithCancel(context.Background())
	a.stopJobs = stop
	a.jobs.Add(5)
	go func() { defer a.jobs.Done(); a.approveRewards(jobs, time.Minute) }()
	go func() { defer a.jobs.Done(); a.rollupAndRetention(jobs, time.Minute, time.Hour) }()
	go func() { defer a.jobs.Done(); a.applyQueuedEvents(jobs, time.Second) }()
	go func() { defer a.jobs.Done(); a.Mailer.Run(jobs, time.Second) }()
	go func() { defer a.jobs.Done(); a.Hooks.Run(jobs, time.Second) }()
	a.jobs.Add(1)
	go func() { defer a.jobs.Done(); a.weeklySummaries(jobs, time.Hour) }()
	a.jobs.Add(1)
	go func() { defer a.jobs.Done(); a.clickPartitions(jobs, time.Hour) }()
	ok = true
	return a, nil
}

// snippetStore is what the snippet's endpoints call: the vendors and the
// signups.
type snippetStore struct {
	*store.Vendors
	*store.Customers
}

// webhookStore is what the Stripe webhook calls: the vendors, through their
// cache, and the payments.
type webhookStore struct {
	*store.Vendors
	*store.Payments
}

// Handler is the HTTP handler of the whole application.
func (a *App) Handler() http.Handler { return a.Server }

// Serve listens on cfg.Addr until ctx ends, then shuts down gracefully:
// in-flight requests finish, queued clicks are written.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(a.EndStreams)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Logger.Info("tally listening", "addr", ln.Addr().String(), "public_url", a.Config.PublicURL, "database", a.Store.Dialect())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownWait)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// EndStreams ends the long-lived answers (the dashboard's live feeds), so
// that a server shutting down does not wait for them: the browser
// reconnects to another instance. Serve calls it when shutting down.
func (a *App) EndStreams() { a.closeOnce.Do(func() { close(a.closing) }) }

// serveMetrics serves GET /metrics, without the admin token, on a listener
// of its own; opened here so a wrong address stops the start, closed by Close.
func (a *App) serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("TALLY_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	a.metricsLn = ln
	a.metricsServer = &http.Server{
		Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := a.metricsServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("metrics listener stopped", "err", err)
		}
	}()
	a.Logger.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}

// MetricsAddr is the address of the TALLY_METRICS_ADDR listener; nil when
// it is not set.
func (a *App) MetricsAddr() net.Addr {
	if a.metricsLn == nil {
		return nil
	}
	return a.metricsLn.Addr()
}

// approveRewards approves the rewards whose hold has passed, every period
// (reads approve due rewards too, so a missed tick is never visible). With
// several instances, one of them approves per tick (advisory lock).
func (a *App) approveRewards(ctx context.Context, period time.Duration) {
	every(ctx, period, func() { a.ApproveDueRewardsOnce(ctx) })
}

// every calls tick once per period until ctx ends; the first call is one
// period after the start.
func every(ctx context.Context, period time.Duration, tick func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick()
		}
	}
}

// ApproveDueRewardsOnce is one tick of the reward approval job: it approves
// the due rewards unless another instance is doing it right now, and
// reports whether this instance ran it and how many rewards it approved.
func (a *App) ApproveDueRewardsOnce(ctx context.Context) (n int, ran bool) {
	n, ran, err := a.Store.Rewards.ApproveDueRewardsJob(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.Logger.Warn("approving due rewards failed", "err", err)
	case !ran:
		a.Logger.Debug("reward approval skipped: another instance holds the job lock")
	case n > 0:
		a.Logger.Info("rewards approved after their hold", "count", n)
	}
	return n, ran
}

// RollUpOnce is one tick of the rollup job: it rolls up the complete hours
// of clicks unless another instance is doing it right now (ran == false).
func (a *App) RollUpOnce(ctx context.Context) (ran bool, err error) {
	ran, err = a.Store.RunJob(ctx, store.JobRollup, func(ctx context.Context) error {
		_, err := a.Store.Analytics.RollUpClicks(ctx)
		return err
	})
	if err != nil && ctx.Err() == nil {
		a.Logger.Warn("click rollup failed; analytics read raw clicks meanwhile", "err", err)
	} else if !ran {
		a.Logger.Debug("click rollup skipped: another instance holds the job lock")
	}
	return ran, err
}

// RetentionOnce is one run of the retention job (old raw clicks, snippet
// page aggregates) unless another instance is doing it right now.
func (a *App) RetentionOnce(ctx context.Context) (ran bool, err error) {
	ran, err = a.Store.RunJob(ctx, store.JobRetention, func(ctx context.Context) error {
		res, err := a.Store.Retention.ApplyRetention(ctx, a.Config.RetentionDays)
		if err == nil && (res.ClicksDeleted > 0 || res.ClicksKept > 0 || res.PartitionsDropped > 0) {
			a.Logger.Info("retention applied", "before", res.Before, "clicks_deleted", res.ClicksDeleted,
				"attributing_clicks_erased", res.ClicksKept, "partitions_dropped", res.PartitionsDropped, "pings_pruned", res.PingsPruned)
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		a.Logger.Warn("retention failed", "err", err)
	} else if !ran {
		a.Logger.Debug("retention skipped: another instance holds the job lock")
	}
	return ran, err
}

// rollupAndRetention rolls up the complete hours of clicks for analytics
// every period and, every retentionPeriod, deletes the raw clicks and pings
// older than TALLY_RETENTION_DAYS that are rolled up. The first run is one
// period after start. With several instances each run happens on one of
// them at a time (advisory locks; the others skip that tick).
func (a *App) rollupAndRetention(ctx context.Context, period, retentionPeriod time.Duration) {
	var lastRetention time.Time
	every(ctx, period, func() {
		if _, err := a.RollUpOnce(ctx); err != nil {
			return
		}
		if a.Config.RetentionDays > 0 && time.Since(lastRetention) >= retentionPeriod {
			lastRetention = time.Now()
			a.RetentionOnce(ctx)
		}
	})
}

// applyQueuedEvents applies the webhook queue: at once when this instance
// queues an event, and every period for events queued by other instances
// or left by a stop. A queued event stays stored until it is applied, so
// stopping mid-way loses nothing.
func (a *App) applyQueuedEvents(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if n, _ := a.ApplyQueuedEventsOnce(ctx); n > 0 {
			continue // more may be waiting; a failing event alone waits for the next tick
		}
		select {
		case <-ctx.Done():
			return
		case <-a.Store.Payments.PaymentEventsQueued():
		case <-t.C:
		}
	}
}

// ApplyQueuedEventsOnce applies up to 200 due queued webhook events with
// TALLY_WEBHOOK_WORKERS transactions side by side (the store uses one on
// SQLite), and reports how many it applied.
func (a *App) ApplyQueuedEventsOnce(ctx context.Context) (int, error) {
	run, err := a.Store.Payments.ApplyQueuedPaymentEvents(ctx, 200, a.Config.WebhookWorkers)
	if run.Dead > 0 {
		a.Logger.Error("Stripe events dead after their last attempt: their vendors see them in GET /v1/stripe_events?status=dead and retry them there",
			"count", run.Dead, "attempts", a.Config.WebhookMaxAttempts, "err", err)
	}
	if err != nil && ctx.Err() == nil {
		a.Logger.Warn("applying queued Stripe events failed; they are retried after a backoff", "applied", run.Applied, "failed", run.Failed, "err", err)
	} else if run.Applied > 0 {
		a.Logger.Debug("queued Stripe events applied", "count", run.Applied)
	}
	return run.Applied, err
}

// Close drains the click queue and closes the database.
func (a *App) Close(ctx context.Context) {
	if a.stopJobs != nil {
		a.stopJobs()
		a.jobs.Wait()
	}
	if a.metricsServer != nil {
		a.metricsServer.Close()
	}
	if a.Clicks != nil {
		dctx, cancel := context.WithTimeout(ctx, a.Config.ShutdownWait)
		if lost := a.Clicks.Close(dctx); lost > 0 {
			a.Logger.Error("clicks lost at shutdown: the database stayed unreachable", "count", lost)
		}
		cancel()
	}
	if a.Pings != nil {
		if err := a.Pings.Close(ctx); err != nil {
			a.Logger.Error("snippet pings lost at shutdown", "err", err)
		}
	}
	if a.geo != nil {
		a.geo.Close()
	}
	if a.Store != nil {
		a.Store.Close()
	}
}
