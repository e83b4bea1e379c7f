package attribution_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestQueuedEventFailed(t *testing.T) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		attempts, max int
		outcome       string
		wait          time.Duration
	}{
		{1, 10, attribution.OutcomeQueued, 15 * time.Second},
		{2, 10, attribution.OutcomeQueued, 30 * time.Second},
		{3, 10, attribution.OutcomeQueued, time.Minute},
		{8, 10, attribution.OutcomeQueued, 32 * time.Minute},
		{9, 10, attribution.OutcomeQueued, time.Hour}, // capped
		{10, 10, attribution.OutcomeDead, 0},
		{11, 10, attribution.OutcomeDead, 0},
		{1, 1, attribution.OutcomeDead, 0},
		{60, 100, attribution.OutcomeQueued, time.Hour}, // no overflow
	}
	for _, tt := range tests {
		outcome, next := attribution.QueuedEventFailed(tt.attempts, tt.max, now)
		if outcome != tt.outcome {
			t.Errorf("attempt %d of %d: outcome %s, want %s", tt.attempts, tt.max, outcome, tt.outcome)
		}
		if tt.outcome == attribution.OutcomeDead {
			if !next.IsZero() {
				t.Errorf("attempt %d of %d: a dead event has a next attempt %v", tt.attempts, tt.max, next)
			}
			continue
		}
		if got := next.Sub(now); got != tt.wait {
			t.Errorf("attempt %d of %d: waits %v, want %v", tt.attempts, tt.max, got, tt.wait)
		}
	}
}

func TestQueuedEventAttemptCounts(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{attribution.Errorf(attribution.EUNAVAILABLE, "database down"), false},
		{attribution.Errorf(attribution.EINTERNAL, "unreadable payload"), true},
		{attribution.Errorf(attribution.ENOTFOUND, "vendor not found"), true},
		{errors.New("a constraint refused the row"), true},
	}
	for _, tt := range tests {
		if got := attribution.QueuedEventAttemptCounts(tt.err); got != tt.want {
			t.Errorf("%v counts: %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestCheckStripeEventRetry(t *testing.T) {
	if err := attribution.CheckStripeEventRetry(attribution.OutcomeDead); err != nil {
		t.Errorf("dead: %v", err)
	}
	for _, o := range []string{attribution.OutcomeQueued, attribution.OutcomePurchase, attribution.OutcomeIgnored} {
		if code := attribution.ErrorCode(attribution.CheckStripeEventRetry(o)); code != attribution.ECONFLICT {
			t.Errorf("%s: %s, want ECONFLICT", o, code)
		}
	}
}
