// Package app wires Tally together: configuration, storage, the HTTP server
// and background work. cmd/tally and the end-to-end tests both build on it.
package app

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/hookworker"
	"github.com/tally-dev/tally/internal/mailer"
	"github.com/tally-dev/tally/webhooks"
)

// Config is read from the environment; see the README's configuration table.
type Config struct {
	Addr           string        `env:"TALLY_ADDR" envDefault:":8080"`
	DatabaseURL    string        `env:"TALLY_DATABASE_URL" envDefault:"sqlite:tally.db"`
	PublicURL      string        `env:"TALLY_PUBLIC_URL" envDefault:"http://localhost:8080"`
	AdminToken     string        `env:"TALLY_ADMIN_TOKEN"`
	HashKey        string        `env:"TALLY_HASH_KEY"`
	BlockKey       string        `env:"TALLY_BLOCK_KEY"`
	SecretKey      string        `env:"TALLY_SECRET_KEY"` // encrypts stored secrets at rest; see app/keys.go
	GeoIPDB        string        `env:"TALLY_GEOIP_DB"`
	TrustedProxies []string      `env:"TALLY_TRUSTED_PROXIES" envSeparator:","`
	CountryHeader  string        `env:"TALLY_COUNTRY_HEADER"`
	ClickMode      string        `env:"TALLY_CLICK_MODE" envDefault:"durable"`
	ClickWait      time.Duration `env:"TALLY_CLICK_WAIT" envDefault:"2s"`
	ClickQueue     int           `env:"TALLY_CLICK_QUEUE" envDefault:"200000"`
	ClickWriters   int           `env:"TALLY_CLICK_WRITERS" envDefault:"1"`
	ShutdownWait   time.Duration `env:"TALLY_SHUTDOWN_TIMEOUT" envDefault:"30s"`
	// WebhookQueue: auto applies Stripe events while Stripe waits up to
	// WebhookInline at once and queues the rest for the worker; always
	// queues every event; never applies every event inline.
	WebhookQueue   string        `env:"TALLY_WEBHOOK_QUEUE" envDefault:"auto"`
	WebhookInline  int           `env:"TALLY_WEBHOOK_INLINE" envDefault:"16"`
	WebhookWorkers int           `env:"TALLY_WEBHOOK_WORKERS" envDefault:"4"`
	LinkCacheTTL   time.Duration `env:"TALLY_LINK_CACHE_TTL" envDefault:"10s"`
	SnippetRate    float64       `env:"TALLY_SNIPPET_RATE" envDefault:"10"`
	SnippetBurst   int           `env:"TALLY_SNIPPET_BURST" envDefault:"40"`
	LogLevel       string        `env:"TALLY_LOG_LEVEL" envDefault:"info"`
	LogFormat      string        `env:"TALLY_LOG_FORMAT" envDefault:"text"`
	// RetentionDays: raw clicks and pings older than this are deleted once
	// rolled up (analytics keep their aggregates); 0 keeps them forever.
	RetentionDays int `env:"TALLY_RETENTION_DAYS" envDefault:"400"`
	// CheckAllowPrivate lets POST /v1/links/{id}/check fetch private,
	// loopback and link-local addresses, and outbound webhook endpoints be
	// on them (tests, private deployments).
	CheckAllowPrivate bool `env:"TALLY_CHECK_ALLOW_PRIVATE"`
	// SMTPURL and MailFrom turn email on (internal/mailer); unset, nothing
	// is sent and screens show the links to copy.
	SMTPURL  string `env:"TALLY_SMTP_URL"`
	MailFrom string `env:"TALLY_MAIL_FROM"`
	// SMTPTLSConfig is for tests that trust their own SMTP certificate.
	SMTPTLSConfig *tls.Config `env:"-"`
	// mail is SMTPURL and MailFrom as read by Validate.
	mail mailer.Settings

	// WebhookMaxAttempts: a queued Stripe event that fails this many times
	// is dead (listed to its vendor, retried by hand), never retried forever.
	WebhookMaxAttempts int `env:"TALLY_WEBHOOK_MAX_ATTEMPTS" envDefault:"10"`
	// MetricsAddr, when set, serves GET /metrics without the admin token on
	// a listener of its own (keep it private); /metrics on TALLY_ADDR
	// always takes the admin token.
	MetricsAddr string `env:"TALLY_METRICS_ADDR"`

	// WebhookResolver, for tests, replaces the system resolver of outbound
	// webhooks (their addresses are still checked at dial time).
	WebhookResolver hookworker.Resolver `env:"-"`

	// Clock is for tests; nil means the system clock.
	Clock attribution.Clock `env:"-"`
}

// ConfigFromEnv reads and checks the configuration.
func ConfigFromEnv() (Config, error) {
	var cfg Config
	if err := env.Parse(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// Validate reports configuration mistakes before anything starts.
func (c *Config) Validate() error {
	c.applyDefaults()
	if c.ClickMode != "durable" && c.ClickMode != "async" {
		return fmt.Errorf("TALLY_CLICK_MODE must be durable or async, got %q", c.ClickMode)
	}
	if err := attribution.ValidateHTTPURL("TALLY_PUBLIC_URL", c.PublicURL); err != nil {
		return fmt.Errorf("TALLY_PUBLIC_URL must be an absolute http(s) URL, got %q", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.WebhookQueue != webhooks.QueueAuto && c.WebhookQueue != webhooks.QueueAlways && c.WebhookQueue != webhooks.QueueNever {
		return fmt.Errorf("TALLY_WEBHOOK_QUEUE must be auto, always or never, got %q", c.WebhookQueue)
	}
	if c.WebhookInline < 1 || c.WebhookWorkers < 1 {
		return fmt.Errorf("TALLY_WEBHOOK_INLINE and TALLY_WEBHOOK_WORKERS must be 1 or more, got %d and %d", c.WebhookInline, c.WebhookWorkers)
	}
	if c.WebhookMaxAttempts < 1 {
		return fmt.Errorf("TALLY_WEBHOOK_MAX_ATTEMPTS must be 1 or more, got %d", c.WebhookMaxAttempts)
	}
	if c.RetentionDays < 0 {
		return fmt.Errorf("TALLY_RETENTION_DAYS must be 0 (keep forever) or more, got %d", c.RetentionDays)
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	mail, err := mailer.ParseSettings(c.SMTPURL, c.MailFrom)
	if err != nil {
		return err
	}
	mail.TLSConfig = c.SMTPTLSConfig
	c.mail = mail
	return nil
}

func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("TALLY_TRUSTED_PROXIES: %q is not an IP or CIDR range", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("TALLY_TRUSTED_PROXIES: %q is not an IP or CIDR range", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// applyDefaults fills what a Config built in code (tests) left zero.
func (c *Config) applyDefaults() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:tally.db"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8080"
	}
	if c.ClickMode == "" {
		c.ClickMode = "durable"
	}
	if c.ClickWait == 0 {
		c.ClickWait = 2 * time.Second
	}
	if c.ClickQueue == 0 {
		c.ClickQueue = 200_000
	}
	if c.ShutdownWait == 0 {
		c.ShutdownWait = 30 * time.Second
	}
	if c.LinkCacheTTL == 0 {
		c.LinkCacheTTL = 10 * time.Second
	}
	if c.WebhookQueue == "" {
		c.WebhookQueue = webhooks.QueueAuto
	}
	if c.WebhookInline == 0 {
		c.WebhookInline = 16
	}
	if c.WebhookWorkers == 0 {
		c.WebhookWorkers = 4
	}
	if c.WebhookMaxAttempts == 0 {
		c.WebhookMaxAttempts = attribution.DefaultWebhookMaxAttempts
	}
}
