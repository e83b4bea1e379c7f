// Package metrics is Tally's Prometheus instrumentation: one registry of
// its own (never the global default), every metric defined here, and a
// small API the rest of the binary calls. Labels are bounded: route
// templates, methods, status classes, event types and outcomes from fixed
// lists; never a vendor, link or partner id, nor a raw path.
//
// Every method is safe on a nil *Metrics (it does nothing), so code built
// without metrics (tests of one package) needs no wiring.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "tally"

// Metrics holds Tally's registry and its metrics.
type Metrics struct {
	reg  *prometheus.Registry
	http *httpMetrics

	redirects    prometheus.Counter
	botRedirects prometheus.Counter

	clicksQueued       prometheus.Counter
	clicksCommitted    prometheus.Counter
	clicksDropped      prometheus.Counter
	clickBatchFailures prometheus.Counter
	clickBatchSize     prometheus.Histogram
	clickCommit        prometheus.Histogram

	stripeEvents *prometheus.CounterVec
	emails       *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
}

// New builds the registry with Tally's metrics and the Go runtime and
// process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:  reg,
		http: newHTTPMetrics(reg),
		redirects: counter(reg, "redirects_total",
			"Referral redirects answered to a visitor, a bot's included."),
		botRedirects: counter(reg, "bot_redirects_total",
			"Referral redirects answered to a bot (no token, never credited); part of tally_redirects_total."),
		clicksQueued: counter(reg, "clicks_queued_total",
			"Clicks handed to the click writer."),
		clicksCommitted: counter(reg, "clicks_committed_total",
			"Clicks committed to the database."),
		clicksDropped: counter(reg, "clicks_dropped_total",
			"Clicks never written: the queue was full or closed, or the database stayed down through shutdown."),
		clickBatchFailures: counter(reg, "click_batch_failures_total",
			"Click batch writes that failed (each is retried until written)."),
		clickBatchSize: histogram(reg, "click_batch_size",
			"Clicks per committed batch (group commit).", prometheus.ExponentialBuckets(1, 2, 11)),
		clickCommit: histogram(reg, "click_commit_seconds",
			"Time to write and commit one click batch.", latencyBuckets),
		stripeEvents: counterVec(reg, "stripe_events_total",
			"Stripe events by type and what became of them: an outcome of applying them, queued, attempt_failed (a queued event's failed try) or dead.",
			"type", "outcome"),
		emails: counterVec(reg, "emails_total",
			"Emails by result: sent, failed, skipped (no SMTP configured).", "result"),
		deliveries: counterVec(reg, "webhook_deliveries_total",
			"Outbound webhook deliveries by result: succeeded, failed (retried later), abandoned.", "result"),
	}
	for _, r := range emailResults {
		m.emails.WithLabelValues(r)
	}
	for _, r := range deliveryResults {
		m.deliveries.WithLabelValues(r)
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// latencyBuckets suit requests and commits that take from a fraction of
// a millisecond (a redirect) to seconds (an export).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Handler serves the registry in the Prometheus text format. A collector
// that fails (the database is down) leaves its samples out; the others are
// still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Redirected counts a referral redirect answered to a visitor or a bot.
func (m *Metrics) Redirected(bot bool) {
	if m == nil {
		return
	}
	m.redirects.Inc()
	if bot {
		m.botRedirects.Inc()
	}
}

// StripeEvent counts a Stripe event by type and outcome (the store's
// EventObserver). Types outside the ones Tally reads count as "other".
func (m *Metrics) StripeEvent(eventType, outcome string) {
	if m == nil {
		return
	}
	if !stripeTypes[eventType] {
		eventType = "other"
	}
	m.stripeEvents.WithLabelValues(eventType, outcome).Inc()
}

// stripeTypes are the Stripe event types Tally reads (webhooks.reduce);
// any other is "other", so a signed but unexpected type adds no series.
var stripeTypes = map[string]bool{
	"checkout.session.completed": true, "checkout.session.async_payment_succeeded": true,
	"invoice.paid": true, "invoice_payment.paid": true,
	"charge.refunded": true, "charge.refund.updated": true, "refund.created": true, "refund.updated": true,
	"customer.created": true, "customer.updated": true,
}

// Email results, for Email.
const (
	EmailSent    = "sent"    // the SMTP server accepted it
	EmailFailed  = "failed"  // it could not be sent
	EmailSkipped = "skipped" // no SMTP server is configured
)

var emailResults = []string{EmailSent, EmailFailed, EmailSkipped}

// Email counts an email by result (EmailSent, EmailFailed, EmailSkipped);
// another value counts as "other".
func (m *Metrics) Email(result string) {
	if m == nil {
		return
	}
	m.emails.WithLabelValues(oneOf(result, emailResults)).Inc()
}

// Outbound webhook delivery results, for Delivery.
const (
	DeliverySucceeded = "succeeded" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // this attempt failed; another follows
	DeliveryAbandoned = "abandoned" // the last attempt failed
)

var deliveryResults = []string{DeliverySucceeded, DeliveryFailed, DeliveryAbandoned}

// Delivery counts an outbound webhook delivery attempt by result
// (DeliverySucceeded, DeliveryFailed, DeliveryAbandoned); another value
// counts as "other".
func (m *Metrics) Delivery(result string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(oneOf(result, deliveryResults)).Inc()
}

func oneOf(v string, allowed []string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return "other"
}

// WatchDB reports the connection pool's statistics (sql.DBStats).
func (m *Metrics) WatchDB(db *sql.DB) {
	if m == nil {
		return
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, namespace))
}

// WatchClickQueue reports the clicks waiting for their commit, read at
// scrape time.
func (m *Metrics) WatchClickQueue(queued func() int64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "click_queue",
		Help: "Clicks of this instance waiting for their commit.",
	}, func() float64 { return float64(queued()) }))
}

// WatchWebhookQueue reports the webhook queue's depth and its dead events,
// counted in the database at scrape time (every instance's).
func (m *Metrics) WatchWebhookQueue(queued, dead func(context.Context) (int, error)) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		newCountCollector("webhook_queue", "Stripe events queued and not yet applied (every instance's).", queued),
		newCountCollector("webhook_dead", "Stripe events dead after their last attempt, waiting for their vendor's retry.", dead),
	)
}

// countCollector is a gauge counted by a query at scrape time; when the
// query fails the sample is left out (alert on its absence).
type countCollector struct {
	desc  *prometheus.Desc
	count func(context.Context) (int, error)
}

func newCountCollector(name, help string, count func(context.Context) (int, error)) *countCollector {
	return &countCollector{desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, nil, nil), count: count}
}

func (c *countCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *countCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := c.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

func counter(reg *prometheus.Registry, name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help})
	reg.MustRegister(c)
	return c
}

func counterVec(reg *prometheus.Registry, name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	reg.MustRegister(c)
	return c
}

func histogram(reg *prometheus.Registry, name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets})
	reg.MustRegister(h)
	return h
}
