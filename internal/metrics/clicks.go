package metrics

import "time"

// Clicks observes the click writer (ingest.ClickObserver); a nil
// *Metrics gives an observer that counts nothing.
func (m *Metrics) Clicks() ClickObserver { return ClickObserver{m} }

// ClickObserver counts what the click writer does.
type ClickObserver struct{ m *Metrics }

// ClicksQueued counts clicks handed to the writer.
func (o ClickObserver) ClicksQueued(n int) {
	if o.m != nil {
		o.m.clicksQueued.Add(float64(n))
	}
}

// ClicksDropped counts clicks that will never be written.
func (o ClickObserver) ClicksDropped(n int) {
	if o.m != nil {
		o.m.clicksDropped.Add(float64(n))
	}
}

// BatchCommitted counts a committed batch: its clicks, its size and how
// long its write took.
func (o ClickObserver) BatchCommitted(size int, took time.Duration) {
	if o.m != nil {
		o.m.clicksCommitted.Add(float64(size))
		o.m.clickBatchSize.Observe(float64(size))
		o.m.clickCommit.Observe(took.Seconds())
	}
}

// BatchFailed counts a failed write of a batch (it is retried).
func (o ClickObserver) BatchFailed(size int) {
	if o.m != nil {
		o.m.clickBatchFailures.Inc()
	}
}
