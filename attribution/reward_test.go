package attribution_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func months(n int) *int { return &n }

func TestDecideReward(t *testing.T) {
	t0 := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	pct := func(bp int, dur *int, hold int) *attribution.RewardRule {
		return &attribution.RewardRule{Type: attribution.RewardPercent, Percent: bp, DurationMonths: dur, HoldDays: hold}
	}
	flat := &attribution.RewardRule{Type: attribution.RewardFlat, Amount: 500, Currency: "eur", HoldDays: 0}
	tests := []struct {
		name         string
		rule         *attribution.RewardRule
		amount       int64
		at, first    time.Time
		self         bool
		wantEarns    bool
		wantAmount   int64
		wantCurrency string
		wantStatus   string
		wantReason   string
		wantHold     time.Time
	}{
		{name: "NoRule", rule: nil, amount: 1000, at: t0, first: t0},
		{name: "ZeroAmount", rule: pct(2000, nil, 0), amount: 0, at: t0, first: t0},
		{name: "Percent", rule: pct(2000, nil, 0), amount: 1000, at: t0, first: t0, wantEarns: true, wantAmount: 200, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "PercentRoundsDown", rule: pct(2500, nil, 0), amount: 999, at: t0, first: t0, wantEarns: true, wantAmount: 249, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "PercentTinyRoundsToZero", rule: pct(1, nil, 0), amount: 99, at: t0, first: t0, wantEarns: true, wantAmount: 0, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "PercentOneBasisPoint", rule: pct(1, nil, 0), amount: 123456, at: t0, first: t0, wantEarns: true, wantAmount: 12, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "PercentFull", rule: pct(10000, nil, 0), amount: 777, at: t0, first: t0, wantEarns: true, wantAmount: 777, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "FlatInItsCurrency", rule: flat, amount: 10, at: t0, first: t0, wantEarns: true, wantAmount: 500, wantCurrency: "eur", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "Hold", rule: pct(1000, nil, 30), amount: 1000, at: t0, first: t0, wantEarns: true, wantAmount: 100, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0.AddDate(0, 0, 30)},
		{name: "DurationZeroFirst", rule: pct(1000, months(0), 0), amount: 1000, at: t0, first: t0, wantEarns: true, wantAmount: 100, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0},
		{name: "DurationZeroSecond", rule: pct(1000, months(0), 0), amount: 1000, at: t0.Add(time.Hour), first: t0},
		{name: "DurationNInside", rule: pct(1000, months(3), 0), amount: 1000, at: t0.AddDate(0, 3, 0).Add(-time.Second), first: t0, wantEarns: true, wantAmount: 100, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0.AddDate(0, 3, 0).Add(-time.Second)},
		{name: "DurationNBoundaryOutside", rule: pct(1000, months(3), 0), amount: 1000, at: t0.AddDate(0, 3, 0), first: t0},
		{name: "DurationNullForever", rule: pct(1000, nil, 0), amount: 1000, at: t0.AddDate(5, 0, 0), first: t0, wantEarns: true, wantAmount: 100, wantCurrency: "usd", wantStatus: attribution.RewardPending, wantHold: t0.AddDate(5, 0, 0)},
		{name: "SelfReferralDeclined", rule: pct(2000, nil, 0), amount: 1000, at: t0, first: t0, self: true, wantEarns: true, wantAmount: 200, wantCurrency: "usd", wantStatus: attribution.RewardDeclined, wantReason: attribution.ReasonSelfReferral, wantHold: t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := attribution.DecideReward(tt.rule, tt.amount, "usd", tt.at, tt.first, tt.self)
			if d.Earns != tt.wantEarns {
				t.Fatalf("Earns = %v, want %v (%+v)", d.Earns, tt.wantEarns, d)
			}
			if !tt.wantEarns {
				return
			}
			if d.Amount != tt.wantAmount || d.Currency != tt.wantCurrency || d.Status != tt.wantStatus || d.Reason != tt.wantReason || !d.HoldUntil.Equal(tt.wantHold) {
				t.Fatalf("got %+v", d)
			}
		})
	}
}

func TestRefundedReward(t *testing.T) {
	tests := []struct {
		name                        string
		original, purchase, refunds int64
		want                        int64
	}{
		{"NoRefund", 200, 1000, 0, 200},
		{"Half", 200, 1000, 500, 100},
		{"RoundsDown", 333, 1000, 1, 332}, // 333*999/1000 = 332.667
		{"Full", 200, 1000, 1000, 0},
		{"OverRefund", 200, 1000, 1500, 0},
		{"ZeroPurchase", 200, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attribution.RefundedReward(tt.original, tt.purchase, tt.refunds); got != tt.want {
				t.Fatalf("RefundedReward = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSettleReward(t *testing.T) {
	tests := []struct {
		name                                    string
		status, reason                          string
		amount, original, adjusted, total, refd int64
		excluded                                bool
		want                                    attribution.RefundOutcome
	}{
		{"PendingPartial", attribution.RewardPending, "", 200, 200, 0, 1000, 250, false, attribution.RefundOutcome{Amount: 150, Status: attribution.RewardPending}},
		{"ApprovedFull", attribution.RewardApproved, "", 200, 200, 0, 1000, 1000, false, attribution.RefundOutcome{Amount: 0, Status: attribution.RewardReversed}},
		{"PendingSecondPartialFromCumulative", attribution.RewardPending, "", 150, 200, 0, 1000, 500, false, attribution.RefundOutcome{Amount: 100, Status: attribution.RewardPending}},
		{"RedeliveredSameRefund", attribution.RewardPending, "", 150, 200, 0, 1000, 250, false, attribution.RefundOutcome{Amount: 150, Status: attribution.RewardPending}},
		{"PaidPartial", attribution.RewardPaid, "", 200, 200, 0, 1000, 250, false, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardPaid, Adjustment: -50}},
		{"PaidFullAfterPartialAdjusted", attribution.RewardPaid, "", 200, 200, -50, 1000, 1000, false, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardPaid, Adjustment: -150}},
		{"PaidAlreadyAdjusted", attribution.RewardPaid, "", 200, 200, -50, 1000, 250, false, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardPaid}},
		{"PaidAfterPartialReduction", attribution.RewardPaid, "", 150, 200, 0, 1000, 1000, false, attribution.RefundOutcome{Amount: 150, Status: attribution.RewardPaid, Adjustment: -150}},
		{"DeclinedUntouched", attribution.RewardDeclined, "x", 200, 200, 0, 1000, 1000, false, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardDeclined, Reason: "x"}},
		{"ReversedUntouched", attribution.RewardReversed, "", 0, 200, 0, 1000, 1000, false, attribution.RefundOutcome{Amount: 0, Status: attribution.RewardReversed}},
		{"ExcludedPending", attribution.RewardPending, "", 200, 200, 0, 1000, 0, true, attribution.RefundOutcome{Amount: 0, Status: attribution.RewardReversed, Reason: attribution.ReasonExcluded}},
		{"ExcludedPaid", attribution.RewardPaid, "", 200, 200, 0, 1000, 0, true, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardPaid, Adjustment: -200}},
		{"IncludedAgain", attribution.RewardReversed, attribution.ReasonExcluded, 0, 200, 0, 1000, 0, false, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardPending}},
		{"IncludedAgainPartlyRefunded", attribution.RewardReversed, attribution.ReasonExcluded, 0, 200, 0, 1000, 500, false, attribution.RefundOutcome{Amount: 100, Status: attribution.RewardPending}},
		{"IncludedAgainPaid", attribution.RewardPaid, "", 200, 200, -200, 1000, 0, false, attribution.RefundOutcome{Amount: 200, Status: attribution.RewardPaid, Adjustment: 200}},
		{"RefundedReversalStaysOnInclude", attribution.RewardReversed, "", 0, 200, 0, 1000, 1000, false, attribution.RefundOutcome{Amount: 0, Status: attribution.RewardReversed}},
		// A 3,000,000,000 IDR refund of a 6,000,000,000 purchase: the
		// product overflows int64, the answer does not.
		{"HugeAmounts", attribution.RewardPending, "", 3_000_000_000_000, 3_000_000_000_000, 0, 6_000_000_000_000, 3_000_000_000_000, false, attribution.RefundOutcome{Amount: 1_500_000_000_000, Status: attribution.RewardPending}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &attribution.Reward{Status: tt.status, Reason: tt.reason, Amount: tt.amount, OriginalAmount: tt.original}
			got := attribution.SettleReward(r, tt.adjusted, tt.total, tt.refd, tt.excluded)
			if got != tt.want {
				t.Fatalf("SettleReward = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMulDiv(t *testing.T) {
	tests := []struct {
		name    string
		a, b, c int64
		want    int64
	}{
		{"Small", 200, 750, 1000, 150},
		{"RoundsDown", 333, 999, 1000, 332},
		{"IDR", 3_000_000_000, 6_000_000_000, 6_000_000_000, 3_000_000_000},
		{"Int64Max", math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64, math.MaxInt64 - 1},
		{"QuotientTooLarge", math.MaxInt64, 4, 2, math.MaxInt64},
		{"ZeroDivisor", 5, 5, 0, 0},
		{"Negative", -5, 5, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attribution.MulDiv(tt.a, tt.b, tt.c); got != tt.want {
				t.Fatalf("MulDiv(%d, %d, %d) = %d, want %d", tt.a, tt.b, tt.c, got, tt.want)
			}
		})
	}
}

func TestReward_StatusAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Second)
	tests := []struct {
		name     string
		status   string
		livemode bool
		hold     *time.Time
		want     string
	}{
		{"HoldPassed", attribution.RewardPending, true, &past, attribution.RewardApproved},
		{"HoldEndsNow", attribution.RewardPending, true, &now, attribution.RewardApproved},
		{"HoldAhead", attribution.RewardPending, true, &future, attribution.RewardPending},
		{"NoHold", attribution.RewardPending, true, nil, attribution.RewardPending},
		{"TestModeNeverAutomatic", attribution.RewardPending, false, &past, attribution.RewardPending},
		{"DeclinedStays", attribution.RewardDeclined, true, &past, attribution.RewardDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &attribution.Reward{Status: tt.status, Livemode: tt.livemode, HoldUntil: tt.hold}
			if got := r.StatusAt(now); got != tt.want {
				t.Fatalf("StatusAt = %s, want %s", got, tt.want)
			}
			if got := r.At(now).Status; got != tt.want {
				t.Fatalf("At().Status = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReward_TransitionPayTestMode(t *testing.T) {
	r := &attribution.Reward{Status: attribution.RewardApproved, Livemode: false}
	if _, err := r.Transition(attribution.RewardActionPay, "", time.Now()); attribution.ErrorCode(err) != attribution.ECONFLICT {
		t.Fatalf("pay of a test-mode reward: %v, want ECONFLICT", err)
	}
	if r.Status != attribution.RewardApproved {
		t.Fatalf("status changed to %s", r.Status)
	}
}

func TestValidateActionReason(t *testing.T) {
	for _, action := range []string{attribution.RewardActionApprove, attribution.RewardActionPay} {
		reason := "  "
		if err := attribution.ValidateActionReason(action, &reason); err != nil {
			t.Errorf("%s without a reason: %v", action, err)
		}
	}
	reason := ""
	if err := attribution.ValidateActionReason(attribution.RewardActionDecline, &reason); attribution.ErrorCode(err) != attribution.EINVALID {
		t.Errorf("decline without a reason: %v, want EINVALID", err)
	}
}

func TestRewardRule_Validate(t *testing.T) {
	tests := []struct {
		name string
		json string
		ok   bool
	}{
		{"Percent", `{"type":"percent","percent":2000,"duration_months":null,"hold_days":30}`, true},
		{"Flat", `{"type":"flat","amount":500,"currency":"USD","duration_months":0,"hold_days":0}`, true},
		{"PercentTooHigh", `{"type":"percent","percent":10001}`, false},
		{"PercentZero", `{"type":"percent","percent":0}`, false},
		{"PercentWithAmount", `{"type":"percent","percent":10,"amount":5,"currency":"usd"}`, false},
		{"FlatNoCurrency", `{"type":"flat","amount":500}`, false},
		{"FlatBadCurrency", `{"type":"flat","amount":500,"currency":"dollars"}`, false},
		{"FlatZero", `{"type":"flat","amount":0,"currency":"usd"}`, false},
		{"FlatBeyondBound", `{"type":"flat","amount":9223372036854775807,"currency":"usd"}`, false},
		{"BadType", `{"type":"tiered","percent":10}`, false},
		{"NegativeDuration", `{"type":"percent","percent":10,"duration_months":-1}`, false},
		{"NegativeHold", `{"type":"percent","percent":10,"hold_days":-1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r attribution.RewardRule
			if err := json.Unmarshal([]byte(tt.json), &r); err != nil {
				t.Fatal(err)
			}
			err := r.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("code = %s", attribution.ErrorCode(err))
			}
		})
	}
}

func TestRewardRuleUpdate(t *testing.T) {
	var v attribution.Vendor
	var upd attribution.VendorUpdate
	if err := json.Unmarshal([]byte(`{"reward_rule":{"type":"percent","percent":1500,"duration_months":12,"hold_days":14}}`), &upd); err != nil {
		t.Fatal(err)
	}
	if err := upd.Apply(&v); err != nil || v.RewardRule == nil || v.RewardRule.Percent != 1500 || *v.RewardRule.DurationMonths != 12 {
		t.Fatalf("set: %v %+v", err, v.RewardRule)
	}
	upd = attribution.VendorUpdate{}
	if err := json.Unmarshal([]byte(`{"name":"Acme"}`), &upd); err != nil {
		t.Fatal(err)
	}
	if err := upd.Apply(&v); err != nil || v.RewardRule == nil {
		t.Fatalf("absent must keep the rule: %v %+v", err, v.RewardRule)
	}
	upd = attribution.VendorUpdate{}
	if err := json.Unmarshal([]byte(`{"reward_rule":null}`), &upd); err != nil {
		t.Fatal(err)
	}
	if err := upd.Apply(&v); err != nil || v.RewardRule != nil {
		t.Fatalf("null must remove the rule: %v %+v", err, v.RewardRule)
	}
	upd = attribution.VendorUpdate{}
	if err := json.Unmarshal([]byte(`{"reward_rule":{"type":"percent","pct":5}}`), &upd); err == nil {
		t.Fatal("unknown field inside reward_rule accepted")
	}
}
