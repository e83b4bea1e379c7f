// Package hookworker delivers the webhook outbox: every instance runs its
// worker, which claims due deliveries with a lease, sends each one signed
// (Standard Webhooks 1.0) to its endpoint, and records the attempt; the
// store decides what follows (attribution.DecideWebhookAttempt). Sending
// refuses private and loopback addresses, as the link check does, at dial
// time (sender.go).
package hookworker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
)

// Worker tuning. A claim's lease outlasts sending a whole batch to one
// endpoint (each attempt takes at most attribution.WebhookTimeout: 4 × 15 s),
// so two workers never hold one delivery at the same time; and it is short,
// since a killed instance's claims wait for their lease to end before
// another instance sends them.
const (
	Batch      = 4
	Lease      = 90 * time.Second
	parallel   = 8 // endpoints served side by side
	pruneEvery = time.Hour
)

// Delivery results, as the metrics count them.
const (
	ResultSucceeded = "succeeded" // the receiver answered 2xx
	ResultFailed    = "failed"    // retried later
	ResultAbandoned = "abandoned" // the delivery failed for good
)

// Worker is the delivery worker of one instance.
type Worker struct {
	hooks  *store.Webhooks
	sender *Sender
	logger *slog.Logger
	// OnResult, when set, hears each attempt's result (ResultSucceeded,
	// ResultFailed, ResultAbandoned); app feeds it to the metrics.
	OnResult func(result string)
}

// New returns the worker delivering hooks' outbox through sender.
func New(hooks *store.Webhooks, sender *Sender, logger *slog.Logger) *Worker {
	return &Worker{hooks: hooks, sender: sender, logger: logger}
}

// Run delivers due deliveries until ctx ends: at once when this instance
// commits an event, and every poll for other instances' events and
// retries. Every hour it prunes old events.
func (w *Worker) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	var pruned time.Time
	for {
		n, _ := w.DeliverDue(ctx)
		if time.Since(pruned) >= pruneEvery {
			pruned = time.Now()
			if _, err := w.hooks.PruneWebhookEvents(ctx); err != nil && ctx.Err() == nil {
				w.logger.Warn("pruning old webhook events failed", "err", err)
			}
		}
		if n == Batch && ctx.Err() == nil {
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-w.hooks.WebhookWake():
		case <-t.C:
		}
	}
}

// DeliverDue claims up to Batch due deliveries and sends them: one
// endpoint's in order of creation, several endpoints side by side. It
// reports how many it claimed. If ctx ends, what was not tried is released.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	claimed, err := w.hooks.ClaimDue(ctx, Batch, Lease)
	if err != nil {
		if ctx.Err() == nil {
			w.logger.Warn("claiming webhook deliveries failed", "err", err)
		}
		return 0, err
	}
	var order []string
	byEndpoint := map[string][]store.ClaimedDelivery{}
	for _, c := range claimed {
		if _, ok := byEndpoint[c.EndpointID]; !ok {
			order = append(order, c.EndpointID)
		}
		byEndpoint[c.EndpointID] = append(byEndpoint[c.EndpointID], c)
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, parallel)
	for _, ep := range order {
		wg.Add(1)
		slots <- struct{}{}
		go func(list []store.ClaimedDelivery) {
			defer func() { <-slots; wg.Done() }()
			w.deliverAll(ctx, list)
		}(byEndpoint[ep])
	}
	wg.Wait()
	return len(claimed), nil
}

// deliverAll sends one endpoint's deliveries in order; it stops when the
// endpoint is disabled (the rest wait for it) or ctx ends.
func (w *Worker) deliverAll(ctx context.Context, list []store.ClaimedDelivery) {
	for i, c := range list {
		if ctx.Err() != nil {
			w.release(ctx, list[i:])
			return
		}
		at := w.hooks.Now()
		start := time.Now()
		res := w.sender.Send(ctx, c.URL, c.EventID, at, c.Payload, c.Secrets)
		if ctx.Err() != nil && res.Answer.Err != nil { // stopping cut the request: not the endpoint's fault
			w.release(ctx, list[i:])
			return
		}
		out, err := w.hooks.RecordAttempt(ctx, c, store.Attempt{Answer: res.Answer, At: at, Duration: time.Since(start), Excerpt: res.Excerpt})
		log := w.logger.With("delivery", c.ID, "event", c.EventID, "endpoint", c.EndpointID, "status", res.Answer.StatusCode)
		if err != nil {
			// Sent but not recorded: the lease keeps it from being resent
			// until it ends; then it is sent again with the same webhook-id.
			log.Error("recording a webhook attempt failed", "err", err, "send_err", res.Answer.Err)
			w.release(ctx, list[i+1:])
			return
		}
		w.observe(out)
		switch out.Delivery {
		case attribution.DeliverySucceeded:
			log.Debug("webhook delivered")
		case attribution.DeliveryPending:
			log.Warn("webhook delivery failed; it will be retried", "next_attempt_at", out.NextAttemptAt, "err", res.Answer.Err)
		default:
			log.Error("webhook delivery failed for good", "err", res.Answer.Err)
		}
		if out.Disable != "" {
			w.logger.Warn("webhook endpoint disabled; its admins are emailed", "endpoint", c.EndpointID, "reason", out.Disable)
			w.release(ctx, list[i+1:])
			return
		}
	}
}

func (w *Worker) observe(out attribution.WebhookAttemptOutcome) {
	if w.OnResult == nil {
		return
	}
	switch out.Delivery {
	case attribution.DeliverySucceeded:
		w.OnResult(ResultSucceeded)
	case attribution.DeliveryPending:
		w.OnResult(ResultFailed)
	default:
		w.OnResult(ResultAbandoned)
	}
}

func (w *Worker) release(ctx context.Context, list []store.ClaimedDelivery) {
	err := w.hooks.ReleaseDeliveries(context.WithoutCancel(ctx), list)
	if err != nil && !errors.Is(err, context.Canceled) {
		w.logger.Warn("releasing claimed webhook deliveries failed; they wait for their lease to end", "err", err)
	}
}
