package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

// scrape is a parsed /metrics answer.
type scrape map[string]*dto.MetricFamily

// parseMetrics reads the Prometheus text format, failing on anything the
// parser refuses.
func parseMetrics(t *testing.T, body []byte) scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, body)
	}
	return fams
}

// value sums the samples of a counter or gauge (a histogram's counts)
// whose labels include want (name=value pairs); 0 when there are none, as
// a labelled metric has no sample before its first event.
func (s scrape) value(t *testing.T, name string, want ...string) float64 {
	t.Helper()
	f, ok := s[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, m := range f.GetMetric() {
		if !hasLabels(m, want...) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want ...string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == want[i] && l.GetValue() == want[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func metricsOf(t *testing.T, e *testenv.Env) scrape {
	t.Helper()
	r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/metrics", testenv.AdminToken, nil))
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type = %q, want the text format", ct)
	}
	return parseMetrics(t, r.Body)
}

// postStripe posts a signed Stripe event and returns the webhook's answer.
func postStripe(t *testing.T, e *testenv.Env, vendorID, secret, id, typ string, obj map[string]any) *testenv.Response {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": e.Clock.Now().Unix(), "livemode": true, "data": map[string]any{"object": obj},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	return e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header)
}

func TestMetrics_AdminTokenRequired(t *testing.T) {
	e := testenv.New(t)
	e.Must(t, http.StatusUnauthorized, e.Do(t, "GET", "/metrics", "", nil))
	e.Must(t, http.StatusUnauthorized, e.Do(t, "GET", "/metrics", "wrong-token", nil))
	e.Must(t, http.StatusUnauthorized, e.Do(t, "GET", "/metrics", "sk_not_the_admin", nil))
	s := metricsOf(t, e)
	// Tally's own metrics, and the runtime, process and database pool
	// collectors.
	for _, name := range []string{
		"tally_redirects_total", "tally_bot_redirects_total", "tally_clicks_queued_total", "tally_clicks_committed_total",
		"tally_clicks_dropped_total", "tally_click_batch_failures_total", "tally_click_batch_size", "tally_click_commit_seconds",
		"tally_webhook_queue", "tally_webhook_dead", "tally_click_queue", "tally_emails_total", "tally_webhook_deliveries_total",
		"go_goroutines", "process_cpu_seconds_total", "go_sql_open_connections",
	} {
		if _, ok := s[name]; !ok {
			t.Errorf("no metric %s", name)
		}
	}
	// Emails and outbound deliveries are defined before anything sends one.
	if got := s.value(t, "tally_emails_total", "result", "sent"); got != 0 {
		t.Errorf("emails sent = %v, want 0", got)
	}
	if got := s.value(t, "tally_webhook_deliveries_total", "result", "succeeded"); got != 0 {
		t.Errorf("deliveries = %v, want 0", got)
	}
}

func TestMetrics_AdminDisabled(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.AdminToken = "" })
	e.Must(t, http.StatusNotFound, e.Do(t, "GET", "/metrics", "", nil))
}

// On TALLY_METRICS_ADDR, /metrics needs no token and nothing else is served.
func TestMetrics_OwnListener(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.MetricsAddr = "127.0.0.1:0" })
	addr := e.App.MetricsAddr()
	if addr == nil {
		t.Fatal("no metrics listener")
	}
	get := func(path string) (int, []byte) {
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/healthz", "", nil))
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics on the metrics listener: %d %s", code, body)
	}
	s := parseMetrics(t, body)
	if got := s.value(t, "tally_http_requests_total", "route", "/healthz", "status_class", "2xx"); got != 1 {
		t.Errorf("GET /healthz counted %v times, want 1", got)
	}
	if code, _ := get("/healthz"); code != http.StatusNotFound {
		t.Errorf("GET /healthz on the metrics listener: %d, want 404", code)
	}
	// The main listener still takes the admin token.
	e.Must(t, http.StatusUnauthorized, e.Do(t, "GET", "/metrics", "", nil))
}

// The counters move with the traffic, and no label carries an id, a key or
// a raw path.
func TestMetrics_CountTraffic(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@partner.example")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"status": "active"}))
	l := e.NewLink(t, v, p, "https://shop.example/")
	const secret = "whsec_metrics_0123456789"
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": secret}))
	before := metricsOf(t, e)

	for range 3 {
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
	}
	e.Must(t, http.StatusFound, e.Do(t, "GET", "/r/"+l.Key, "", nil, "User-Agent", "curl/8.5.0"))
	e.Must(t, http.StatusNotFound, e.Click(t, "no-such-key"))
	e.Must(t, http.StatusNotFound, e.Do(t, "GET", "/no/such/path/"+p.ID, "", nil))
	e.Must(t, http.StatusOK, postStripe(t, e, v.ID, secret, "evt_metrics_1", "customer.created", map[string]any{
		"id": "cus_Metrics1", "object": "customer", "email": "nobody@customer.example",
	}))
	e.Must(t, http.StatusOK, postStripe(t, e, v.ID, secret, "evt_metrics_2", "payout.paid", map[string]any{"id": "po_1", "object": "payout"}))
	e.Must(t, http.StatusOK, postStripe(t, e, v.ID, secret, "evt_metrics_2", "payout.paid", map[string]any{"id": "po_1", "object": "payout"}))
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+p.ID, v.SecretKey, nil))

	after := metricsOf(t, e)
	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		if got := after.value(t, name, labels...) - before.value(t, name, labels...); got != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, got, want)
		}
	}
	moved("tally_redirects_total", 4)
	moved("tally_bot_redirects_total", 1)
	moved("tally_clicks_queued_total", 4)
	moved("tally_clicks_committed_total", 4) // durable clicks: committed before their 302
	moved("tally_clicks_dropped_total", 0)
	moved("tally_click_batch_failures_total", 0)
	if after.value(t, "tally_click_batch_size") < 1 || after.value(t, "tally_click_commit_seconds") < 1 {
		t.Error("no click batch observed")
	}
	moved("tally_http_requests_total", 4, "route", "/r/:key", "method", "GET", "status_class", "3xx")
	moved("tally_http_requests_total", 1, "route", "/r/:key", "method", "GET", "status_class", "4xx")
	moved("tally_http_requests_total", 1, "route", "/v1/partners/:id", "method", "GET", "status_class", "2xx")
	moved("tally_http_requests_total", 3, "route", "/webhooks/stripe/:vendor_id", "method", "POST", "status_class", "2xx")
	moved("tally_http_request_duration_seconds", 5, "route", "/r/:key", "method", "GET")
	moved("tally_stripe_events_total", 1, "type", "customer.created", "outcome", "customer_unmatched")
	moved("tally_stripe_events_total", 1, "type", "other", "outcome", "ignored")
	moved("tally_stripe_events_total", 1, "type", "other", "outcome", "duplicate")
	if got := after.value(t, "tally_webhook_queue"); got != 0 {
		t.Errorf("webhook queue = %v, want 0", got)
	}

	// Bounded labels: route templates, never the ids, keys or raw paths.
	secrets := []string{v.ID, p.ID, l.ID, l.Key, "no-such-key", "/no/such/path", "evt_metrics", "cus_Metrics1", "payout.paid"}
	for name, f := range after {
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				for _, s := range secrets {
					if strings.Contains(lp.GetValue(), s) {
						t.Errorf("%s{%s=%q} carries %q", name, lp.GetName(), lp.GetValue(), s)
					}
				}
			}
		}
	}
}
