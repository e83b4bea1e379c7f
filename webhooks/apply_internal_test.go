package webhooks

import (
	"context"
	"testing"

	"github.com/tally-dev/tally/attribution"
)

// blockingStore applies inline until released, and records what it was asked.
type blockingStore struct {
	Store
	entered chan string
	release chan struct{}
}

func (b *blockingStore) ApplyPaymentEvent(_ context.Context, _ *attribution.Vendor, ev attribution.PaymentEvent) (string, error) {
	b.entered <- ev.ID
	<-b.release
	return attribution.OutcomePurchase, nil
}

func (b *blockingStore) QueuePaymentEvent(_ context.Context, _ *attribution.Vendor, ev attribution.PaymentEvent) (string, error) {
	return attribution.OutcomeQueued, nil
}

// With QueueAuto, events are applied inline up to the limit; the next one,
// arriving while the limit is reached, is queued; once a slot frees, events
// are applied inline again.
func TestApply_AutoQueuesBeyondInlineLimit(t *testing.T) {
	st := &blockingStore{entered: make(chan string), release: make(chan struct{})}
	h := &handler{store: st, queue: QueueAuto, inline: make(chan struct{}, 2)}
	v := &attribution.Vendor{ID: "ven_x"}
	ctx := context.Background()
	done := make(chan string, 2)
	for _, id := range []string{"evt_1", "evt_2"} {
		go func() {
			out, _ := h.apply(ctx, v, attribution.PaymentEvent{ID: id})
			done <- out
		}()
		<-st.entered // applying inline, holding a slot
	}
	if out, err := h.apply(ctx, v, attribution.PaymentEvent{ID: "evt_3"}); err != nil || out != attribution.OutcomeQueued {
		t.Fatalf("third event while two apply inline: %q, %v; want queued", out, err)
	}
	st.release <- struct{}{}
	if out := <-done; out != attribution.OutcomePurchase {
		t.Fatalf("inline outcome = %q", out)
	}
	go func() {
		out, _ := h.apply(ctx, v, attribution.PaymentEvent{ID: "evt_4"})
		done <- out
	}()
	if id := <-st.entered; id != "evt_4" {
		t.Fatalf("entered %s", id)
	}
	close(st.release)
	for range 2 {
		if out := <-done; out != attribution.OutcomePurchase {
			t.Fatalf("inline outcome = %q", out)
		}
	}

	st.entered = make(chan string, 2) // release is closed: nothing blocks now
	for mode, want := range map[string]string{QueueAlways: attribution.OutcomeQueued, QueueNever: attribution.OutcomePurchase} {
		h := &handler{store: st, queue: mode, inline: make(chan struct{}, 2)}
		if out, _ := h.apply(ctx, v, attribution.PaymentEvent{ID: "evt_m"}); out != want {
			t.Errorf("%s: outcome %q, want %q", mode, out, want)
		}
	}
}
