package webhooks_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/webhooks"
)

// The background worker applies a queued event by itself, woken by the
// queueing: nothing in the test applies the queue.
func TestStripeQueue_WorkerAppliesInBackground(t *testing.T) {
	s := newShop(t, percent10, webhooks.QueueAlways)
	tok := s.token(t)
	r := s.e.Must(t, http.StatusOK, s.sendRaw(t, s.v.ID, secret, s.payload("evt_bg", "checkout.session.completed", session("cs_bg", 5000, map[string]any{
		"client_reference_id": tok, "customer_details": map[string]any{"email": "bg@example.com"},
	})), time.Now()))
	if string(r.Body) != `{"received":true,"outcome":"queued"}`+"\n" {
		t.Fatalf("answer = %s", r.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.purchases(t, "")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not apply the queued event in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ps := s.purchases(t, "")
	if ps[0]["partner_id"] != s.p.ID || ps[0]["amount"] != 5000.0 {
		t.Fatalf("purchase = %v", ps[0])
	}
	if rs := s.rewards(t, ""); len(rs) != 1 || rs[0]["amount"] != 500.0 {
		t.Fatalf("rewards = %v", rs)
	}
	// A redelivery after it was applied is a duplicate, as inline.
	if out := s.send(t, "evt_bg", "checkout.session.completed", session("cs_bg", 5000, nil)); out != "duplicate" {
		t.Fatalf("redelivery = %s", out)
	}
}

// Many queued events, their redeliveries, and several appliers at once (the
// background worker and three more, as other instances would be): every
// event is applied exactly once.
func TestStripeQueue_AppliedOnceByConcurrentWorkers(t *testing.T) {
	s := newShop(t, percent10, webhooks.QueueAlways)
	tok := s.token(t)
	const n = 60
	var wantReward int64
	var wg sync.WaitGroup
	for i := range n {
		amount := int64(1000 + 10*i)
		wantReward += amount / 10
		payload := s.payload(fmt.Sprintf("evt_q%d", i), "checkout.session.completed", session(fmt.Sprintf("cs_q%d", i), amount, map[string]any{
			"client_reference_id": tok, "customer_details": map[string]any{"email": fmt.Sprintf("q%d@example.com", i)},
		}))
		for range 2 { // each event delivered twice, concurrently
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := s.sendRaw(t, s.v.ID, secret, payload, time.Now()); r.StatusCode != http.StatusOK {
					t.Errorf("delivery: %d %s", r.StatusCode, r.Body)
				}
			}()
		}
	}
	wg.Wait()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.e.App.ApplyQueuedEventsOnce(t.Context()); err != nil {
				t.Errorf("apply: %v", err)
			}
		}()
	}
	wg.Wait()
	s.drain(t)
	if got := s.count(t, "stripe_events"); got != n {
		t.Fatalf("events = %d, want %d", got, n)
	}
	if got := s.count(t, "purchases"); got != n {
		t.Fatalf("purchases = %d, want %d", got, n)
	}
	var total int64
	for _, r := range s.rewards(t, "?limit=100") {
		total += int64(r["amount"].(float64))
	}
	if total != wantReward || s.count(t, "rewards") != n {
		t.Fatalf("rewards total %d in %d rows, want %d in %d", total, s.count(t, "rewards"), wantReward, n)
	}
	var outcomes []string
	if err := s.e.App.Store.DB().NewSelect().Table("stripe_events").Column("outcome").Where("payload <> ''").Scan(t.Context(), &outcomes); err != nil {
		t.Fatal(err)
	}
	if len(outcomes) != 0 {
		t.Fatalf("applied events kept their payload: %v", outcomes)
	}
}

// An event that cannot be applied stays queued and is retried; it does not
// hold up the events behind it.
func TestStripeQueue_FailingEventDoesNotBlockOthers(t *testing.T) {
	s := newShop(t, percent10, webhooks.QueueAlways)
	if _, err := s.e.App.Store.DB().ExecContext(t.Context(), "INSERT INTO stripe_events (vendor_id, id, type, outcome, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)",
		s.v.ID, "evt_broken", "invoice.paid", "queued", "{not json", s.e.Clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	payload := s.payload("evt_after", "invoice.paid", inv("in_after", 1200, "cus_after", nil))
	s.e.Must(t, http.StatusOK, s.sendRaw(t, s.v.ID, secret, payload, time.Now()))
	deadline := time.Now().Add(10 * time.Second)
	for len(s.purchases(t, "")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the event behind the broken one was not applied")
		}
		s.e.App.ApplyQueuedEventsOnce(t.Context())
		time.Sleep(20 * time.Millisecond)
	}
	// A pass reports the broken event's failure (the background worker may
	// hold it at the moment of one pass: then that pass skips it). Each
	// failure puts the next try off: the clock passes the backoff.
	failed := false
	for range 50 {
		s.e.Clock.Advance(time.Minute)
		if _, err := s.e.App.ApplyQueuedEventsOnce(t.Context()); err != nil {
			failed = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !failed {
		t.Fatal("the broken event never reported its failure")
	}
	if n, err := s.e.App.Store.Payments.QueuedPaymentEvents(t.Context()); err != nil || n != 1 {
		t.Fatalf("queued = %d, %v; want the broken event still queued", n, err)
	}
}
