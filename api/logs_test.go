package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// TestLogs_NoSecrets walks through everything this issue serves, including
// failures, then checks the logs hold no secret key, partner token, hash of
// either, click token, webhook secret or raw IP.
func TestLogs_NoSecrets(t *testing.T) {
	t.Parallel()
	const rawIP = "203.0.113.77"
	const webhookSecret = "whsec_logtest0123456789"
	e := testenv.New(t, func(c *app.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} })
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/p?plan=pro")

	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": webhookSecret}))
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+l.ID+"/qr.png", v.SecretKey, nil))
	r := e.Must(t, http.StatusFound, e.Click(t, l.Key+"?utm_source=x", "X-Forwarded-For", rawIP, "Referer", "https://www.facebook.com/"))
	token := refOf(t, r)
	e.Must(t, http.StatusFound, e.Click(t, l.Key, "X-Forwarded-For", rawIP, "User-Agent", curlUA))
	e.Must(t, http.StatusFound, e.Click(t, l.Key, "X-Forwarded-For", rawIP, "Cookie", "tally_ref="+token))

	// Failures log too: wrong keys, keys in the wrong place, bad bodies.
	e.Do(t, "GET", "/v1/vendor", v.SecretKey+"x", nil)
	e.Do(t, "GET", "/v1/vendor", p.Token, nil)
	e.Do(t, "GET", "/v1/vendor", v.PublicKey, nil)
	e.Do(t, "POST", "/admin/v1/vendors", v.SecretKey, map[string]string{"name": "X"})
	e.Do(t, "POST", "/v1/partners", v.SecretKey, `{"name": "`+v.SecretKey+`", "email": "`+p.Token+`"`)
	e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]string{"name": "Ada", "email": "ada@example.com"}) // conflict
	e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]string{"destination_url": "javascript:" + token})
	e.Do(t, "GET", "/v1/links?cursor="+token, v.SecretKey, nil)
	e.Do(t, "GET", "/r/"+token, "", nil)
	e.Do(t, "POST", "/v1/partners", v.SecretKey, oversized("name"))
	e.Do(t, "GET", "/nonexistent?key="+v.SecretKey, "", nil)
	e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil)
	e.Click(t, l.Key, "X-Forwarded-For", rawIP)

	logs := e.LogText()
	if !strings.Contains(logs, "/r/:key") || !strings.Contains(logs, "/v1/partners") {
		t.Fatalf("the walk-through logged nothing useful; the check below would prove nothing:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"secret key":           v.SecretKey,
		"secret key body":      v.SecretKey[3:],
		"secret key hash":      attribution.HashKey(v.SecretKey),
		"partner token":        p.Token,
		"partner token body":   p.Token[3:],
		"partner token hash":   attribution.HashKey(p.Token),
		"admin token":          testenv.AdminToken,
		"click token":          token,
		"click token (prefix)": token[:24],
		"webhook secret":       webhookSecret,
		"raw IP":               rawIP,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
}
