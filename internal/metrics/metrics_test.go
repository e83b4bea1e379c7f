package metrics

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Values a caller or a client chooses never become new label values.
func TestLabelsStayBounded(t *testing.T) {
	m := New()
	m.Email("sent")
	m.Email("bounced-to-" + "someone@example.com")
	m.Delivery("abandoned")
	m.Delivery("weird")
	m.StripeEvent("invoice.paid", "purchase")
	m.StripeEvent("payout.paid", "ignored")
	m.HTTPRequest("BREW", "/healthz", http.StatusMethodNotAllowed, time.Millisecond)
	m.HTTPRequest(http.MethodGet, "", http.StatusNotFound, time.Millisecond)
	m.HTTPRequest(http.MethodGet, "/r/:key", 0, time.Millisecond)

	checks := []struct {
		name string
		got  float64
	}{
		{"email sent", testutil.ToFloat64(m.emails.WithLabelValues(EmailSent))},
		{"email other", testutil.ToFloat64(m.emails.WithLabelValues("other"))},
		{"delivery abandoned", testutil.ToFloat64(m.deliveries.WithLabelValues(DeliveryAbandoned))},
		{"delivery other", testutil.ToFloat64(m.deliveries.WithLabelValues("other"))},
		{"stripe invoice.paid", testutil.ToFloat64(m.stripeEvents.WithLabelValues("invoice.paid", "purchase"))},
		{"stripe other", testutil.ToFloat64(m.stripeEvents.WithLabelValues("other", "ignored"))},
		{"method OTHER", testutil.ToFloat64(m.http.requests.WithLabelValues("/healthz", "OTHER", "4xx"))},
		{"unmatched route", testutil.ToFloat64(m.http.requests.WithLabelValues(unmatched, "GET", "4xx"))},
		{"no status is the server's fault", testutil.ToFloat64(m.http.requests.WithLabelValues("/r/:key", "GET", "5xx"))},
	}
	for _, c := range checks {
		if c.got != 1 {
			t.Errorf("%s = %v, want 1", c.name, c.got)
		}
	}
	if n := testutil.CollectAndCount(m.emails); n != 4 { // sent, failed, skipped, other
		t.Errorf("email series = %d, want 4", n)
	}
	if n := testutil.CollectAndCount(m.stripeEvents); n != 2 {
		t.Errorf("stripe series = %d, want 2", n)
	}
}

// A request of a route seen before costs no allocation: its series are
// resolved once (the redirect's hot path).
func TestHTTPRequestAllocations(t *testing.T) {
	m := New()
	m.HTTPRequest(http.MethodGet, "/r/:key", http.StatusFound, time.Millisecond)
	allocs := testing.AllocsPerRun(100, func() {
		m.HTTPRequest(http.MethodGet, "/r/:key", http.StatusFound, time.Millisecond)
		m.Redirected(false)
		m.Clicks().ClicksQueued(1)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request, want 0", allocs)
	}
}

// A nil *Metrics counts nothing and does not panic.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.Redirected(true)
	m.Email(EmailSent)
	m.Delivery(DeliveryFailed)
	m.StripeEvent("invoice.paid", "purchase")
	m.HTTPRequest(http.MethodGet, "/", http.StatusOK, time.Millisecond)
	m.Clicks().ClicksQueued(1)
	m.Clicks().BatchCommitted(1, time.Millisecond)
	m.WatchClickQueue(func() int64 { return 0 })
}
