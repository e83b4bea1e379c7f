package app

import (
	"strings"
	"testing"
)

func TestConfig_Defaults(t *testing.T) {
	c := Config{}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.WebhookQueue != "auto" || c.WebhookInline != 16 || c.WebhookWorkers != 4 || c.ClickMode != "durable" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestConfig_Refused(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"ClickMode":      {func(c *Config) { c.ClickMode = "later" }, "TALLY_CLICK_MODE"},
		"PublicURL":      {func(c *Config) { c.PublicURL = "ftp://x" }, "TALLY_PUBLIC_URL"},
		"WebhookQueue":   {func(c *Config) { c.WebhookQueue = "sometimes" }, "TALLY_WEBHOOK_QUEUE"},
		"WebhookInline":  {func(c *Config) { c.WebhookInline = -1 }, "TALLY_WEBHOOK_INLINE"},
		"WebhookWorkers": {func(c *Config) { c.WebhookWorkers = -2 }, "TALLY_WEBHOOK_WORKERS"},
		"Retention":      {func(c *Config) { c.RetentionDays = -1 }, "TALLY_RETENTION_DAYS"},
		"Proxies":        {func(c *Config) { c.TrustedProxies = []string{"not-an-ip"} }, "TALLY_TRUSTED_PROXIES"},
	} {
		t.Run(name, func(t *testing.T) {
			c := Config{}
			tc.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}
