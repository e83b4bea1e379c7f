package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WatchOutboxAge reports how long the oldest outbound webhook delivery and
// the oldest email have waited, read in the database at scrape time
// (every instance's): an age that keeps growing is a worker that stopped.
func (m *Metrics) WatchOutboxAge(webhooks, mail func(context.Context) (time.Duration, error)) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		newAgeCollector("webhook_outbox_oldest_seconds", "Age of the oldest undelivered outbound webhook delivery (0: none waits).", webhooks),
		newAgeCollector("mail_outbox_oldest_seconds", "Age of the oldest unsent email (0: none waits).", mail),
	)
}

// ageCollector is a gauge of seconds read by a query at scrape time; when
// the query fails the sample is left out, as countCollector's.
type ageCollector struct {
	desc *prometheus.Desc
	age  func(context.Context) (time.Duration, error)
}

func newAgeCollector(name, help string, age func(context.Context) (time.Duration, error)) *ageCollector {
	return &ageCollector{desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, nil, nil), age: age}
}

func (c *ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *ageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d, err := c.age(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, d.Seconds())
}
