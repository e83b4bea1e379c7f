package attribution_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestValidIBAN(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"DE89 3704 0044 0532 0130 00", true},
		{"de89370400440532013000", true},
		{"GB82 WEST 1234 5698 7654 32", true},
		{"FR14 2004 1010 0505 0001 3M02 606", true},
		{"NL91 ABNA 0417 1643 00", true},
		{"BE68 5390 0754 7034", true},          // 16 characters
		{"NO93 8601 1117 947", true},           // 15, the shortest
		{"DE88 3704 0044 0532 0130 00", false}, // wrong check digits
		{"DE89 3704 0044 0532 0130 01", false}, // one digit mistyped
		{"GB82 WEST 1234 5698 7654 23", false}, // two digits swapped
		{"DE89370400440532013000X", false},
		{"D189 3704 0044 0532 0130 00", false}, // country must be letters
		{"DEAB 3704 0044 0532 0130 00", false}, // check digits must be digits
		{"DE89-3704-0044-0532-0130-00", false},
		{"NO93 8601 1117 94", false}, // too short
		{"", false},
		{"=HYPERLINK(\"x\")", false},
	}
	for _, tt := range tests {
		if got := attribution.ValidIBAN(attribution.NormalizeIBAN(tt.in)); got != tt.want {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidBIC(t *testing.T) {
	for in, want := range map[string]bool{
		"DEUTDEFF": true, "DEUTDEFF500": true, "NEDSZAJJXXX": true, "ABNANL2A": true,
		"DEUTDEF": false, "DEUTDEFF50": false, "1EUTDEFF": false, "DEUT1EFF": false, "DEUTDE-F": false,
	} {
		if got := attribution.ValidBIC(in); got != want {
			t.Errorf("ValidBIC(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestPayoutMethod_Validate(t *testing.T) {
	tests := []struct {
		name string
		m    attribution.PayoutMethod
		ok   bool
	}{
		{"PayPal", attribution.PayoutMethod{Type: "paypal", Email: " Ada@Example.com "}, true},
		{"PayPalNoEmail", attribution.PayoutMethod{Type: "paypal"}, false},
		{"PayPalWithIBAN", attribution.PayoutMethod{Type: "paypal", Email: "a@b.co", IBAN: "DE89370400440532013000"}, false},
		{"Wise", attribution.PayoutMethod{Type: "wise", Name: "Ada L", IBAN: "de89 3704 0044 0532 0130 00", BIC: "deutdeff", Currency: "EUR"}, true},
		{"WiseNoBIC", attribution.PayoutMethod{Type: "wise", Name: "Ada L", IBAN: "DE89370400440532013000", Currency: "eur"}, true},
		{"WiseBadIBAN", attribution.PayoutMethod{Type: "wise", Name: "Ada L", IBAN: "DE88370400440532013000", Currency: "eur"}, false},
		{"WiseBadBIC", attribution.PayoutMethod{Type: "wise", Name: "Ada L", IBAN: "DE89370400440532013000", BIC: "DEUT", Currency: "eur"}, false},
		{"WiseNoName", attribution.PayoutMethod{Type: "wise", IBAN: "DE89370400440532013000", Currency: "eur"}, false},
		{"WiseNoCurrency", attribution.PayoutMethod{Type: "wise", Name: "Ada", IBAN: "DE89370400440532013000"}, false},
		{"Unknown", attribution.PayoutMethod{Type: "cheque"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			err := m.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tt.ok)
			}
			if err != nil && attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("code = %s", attribution.ErrorCode(err))
			}
		})
	}
	m := attribution.PayoutMethod{Type: "wise", Name: "Ada", IBAN: "DE89 3704 0044 0532 0130 00", BIC: "deutdeff", Currency: "EUR"}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	if m.IBAN != "DE89370400440532013000" || m.BIC != "DEUTDEFF" || m.Currency != "eur" {
		t.Fatalf("normalized: %+v", m)
	}
	if got := m.Masked().IBAN; got != "******************3000" {
		t.Fatalf("masked IBAN = %q", got)
	}
	if m.IBAN != "DE89370400440532013000" {
		t.Fatal("Masked changed the method itself")
	}
}

func TestPartnerSettingsUpdate(t *testing.T) {
	var upd attribution.PartnerSettingsUpdate
	if err := json.Unmarshal([]byte(`{"payout_method":{"type":"paypal","email":"ada@example.com"},"notifications":{"new_reward":false}}`), &upd); err != nil {
		t.Fatal(err)
	}
	s := &attribution.PartnerSettings{}
	if err := upd.Apply(s); err != nil {
		t.Fatal(err)
	}
	if s.PayoutMethod == nil || s.PayoutMethod.Email != "ada@example.com" {
		t.Fatalf("method = %+v", s.PayoutMethod)
	}
	if s.Notifications.Wants(attribution.MailNewReward) || !s.Notifications.Wants(attribution.MailPayoutSent) {
		t.Fatalf("notifications = %v", s.Notifications)
	}
	// Absent leaves the method; null removes it.
	var keep attribution.PartnerSettingsUpdate
	json.Unmarshal([]byte(`{"notifications":{"payout_sent":false}}`), &keep)
	if err := keep.Apply(s); err != nil || s.PayoutMethod == nil || s.Notifications.Wants(attribution.MailPayoutSent) {
		t.Fatalf("absent method: %v %+v", err, s)
	}
	var remove attribution.PartnerSettingsUpdate
	json.Unmarshal([]byte(`{"payout_method":null}`), &remove)
	if err := remove.Apply(s); err != nil || s.PayoutMethod != nil {
		t.Fatalf("null method: %v %+v", err, s)
	}
	var bad attribution.PartnerSettingsUpdate
	json.Unmarshal([]byte(`{"notifications":{"sign_in":false}}`), &bad)
	if err := bad.Apply(s); attribution.ErrorCode(err) != attribution.EINVALID {
		t.Fatalf("unknown kind: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"payout_method":{"type":"paypal","emial":"x"}}`), &bad); err == nil {
		t.Fatal("an unknown payout_method field was accepted")
	}
}

func TestMajorUnits(t *testing.T) {
	tests := []struct {
		amount   int64
		currency string
		want     string
	}{
		{1999, "usd", "19.99"},
		{5, "usd", "0.05"},
		{100, "eur", "1.00"},
		{0, "usd", "0.00"},
		{-5, "usd", "-0.05"},
		{-12345, "usd", "-123.45"},
		{1999, "jpy", "1999"},
		{-1999, "jpy", "-1999"},
		{1999, "kwd", "1.999"},
		{7, "bhd", "0.007"},
		{math.MaxInt64, "usd", "92233720368547758.07"},
		{math.MinInt64, "usd", "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := attribution.MajorUnits(tt.amount, tt.currency); got != tt.want {
			t.Errorf("MajorUnits(%d, %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
}

func TestDuePayouts(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	n := 0
	reward := func(partner, currency string, amount int64, status string, live bool, hold time.Time) *attribution.Reward {
		n++
		return &attribution.Reward{ID: "rwd_" + string(rune('a'+n)), PartnerID: partner, Currency: currency, Amount: amount,
			Status: status, Livemode: live, HoldUntil: &hold}
	}
	cand := func(r *attribution.Reward, excluded bool) attribution.PayoutCandidate {
		return attribution.PayoutCandidate{Reward: r, PurchaseExcluded: excluded}
	}
	cands := []attribution.PayoutCandidate{
		cand(reward("par_a", "usd", 4000, "approved", true, past), false),
		cand(reward("par_a", "usd", 2500, "pending", true, past), false),   // hold passed: approved now
		cand(reward("par_a", "usd", 9999, "pending", true, future), false), // still held
		cand(reward("par_a", "usd", -500, "approved", true, past), false),  // an adjustment after a refund
		cand(reward("par_a", "usd", 7777, "approved", false, past), false), // test mode
		cand(reward("par_a", "usd", 6666, "approved", true, past), true),   // earned by an excluded purchase
		cand(reward("par_a", "usd", -1000, "approved", true, past), true),  // takes back a paid excluded one
		cand(reward("par_a", "usd", 4444, "declined", true, past), false),  // declined
		cand(reward("par_a", "jpy", 4000, "approved", true, past), false),  // under the minimum in yen
		cand(reward("par_b", "usd", 4999, "approved", true, past), false),  // under the minimum
		cand(reward("par_b", "eur", 6000, "approved", true, past), false),  // reaches it in euros
		cand(reward("par_c", "usd", 8000, "approved", true, past), false),  //
		cand(reward("par_c", "usd", -9000, "approved", true, past), false), // owes more than it earned
		cand(reward("par_d", "kwd", 5000, "approved", true, past), false),  // exactly the minimum
	}
	due, err := attribution.DuePayouts(cands, 5000, now)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		partner, currency string
		amount            int64
		rewards           int
	}
	var got []row
	for _, d := range due {
		got = append(got, row{d.PartnerID, d.Currency, d.Amount, d.RewardCount})
	}
	want := []row{
		{"par_b", "eur", 6000, 1},
		{"par_d", "kwd", 5000, 1},
		{"par_a", "usd", 4000 + 2500 - 500 - 1000, 4},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("due = %v\nwant %v", got, want)
	}

	// With no minimum, any positive total is due; zero and negative never.
	due, _ = attribution.DuePayouts(cands, 0, now)
	if len(due) != 5 {
		t.Fatalf("no minimum: %d due", len(due))
	}
	for _, d := range due {
		if d.Amount <= 0 || d.PartnerID == "par_c" {
			t.Fatalf("due %+v", d)
		}
	}

	// An overflowing sum is an error, not a wrong figure.
	big := []attribution.PayoutCandidate{
		cand(reward("par_a", "usd", math.MaxInt64, "approved", true, past), false),
		cand(reward("par_a", "usd", 1, "approved", true, past), false),
	}
	if _, err := attribution.DuePayouts(big, 0, now); attribution.ErrorCode(err) != attribution.EINTERNAL {
		t.Fatalf("overflow: %v", err)
	}
}

func TestNewPayouts(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	due := []*attribution.PayoutDue{
		{PartnerID: "par_b", Currency: "eur", Amount: 6000, RewardCount: 1, Rewards: []attribution.PayoutReward{{RewardID: "rwd_1", Amount: 6000}}},
		{PartnerID: "par_a", Currency: "usd", Amount: 4000, RewardCount: 2, Rewards: []attribution.PayoutReward{{RewardID: "rwd_2", Amount: 4500}, {RewardID: "rwd_3", Amount: -500}}},
		{PartnerID: "par_b", Currency: "usd", Amount: 100, RewardCount: 1, Rewards: []attribution.PayoutReward{{RewardID: "rwd_4", Amount: 100}}},
	}
	ps, err := attribution.NewPayouts("ven_1", due, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Currency != "eur" || ps[1].Currency != "usd" {
		t.Fatalf("payouts = %+v", ps)
	}
	usd := ps[1]
	if usd.Amount != 4100 || usd.PartnerCount != 2 || usd.RewardCount != 3 || len(usd.Items) != 2 || usd.Status != attribution.PayoutPending {
		t.Fatalf("usd batch = %+v", usd)
	}
	if !slices.Equal(usd.Items[0].RewardIDs, []string{"rwd_2", "rwd_3"}) || usd.Items[0].PayoutID != usd.ID {
		t.Fatalf("item = %+v", usd.Items[0])
	}
	if !attribution.ValidID(attribution.PrefixPayout, usd.ID) || usd.ID == ps[0].ID {
		t.Fatalf("ids %s %s", ps[0].ID, usd.ID)
	}
	if err := usd.MarkPaid(now); err != nil || usd.Status != attribution.PayoutPaid || usd.PaidAt == nil {
		t.Fatalf("MarkPaid: %v %+v", err, usd)
	}
	if err := usd.MarkPaid(now); attribution.ErrorCode(err) != attribution.ECONFLICT {
		t.Fatalf("paid twice: %v", err)
	}
}

func TestPaidReward(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	hold := now.Add(-time.Hour)
	tests := []struct {
		name   string
		r      attribution.Reward
		batch  int64
		drift  bool
		reason string
	}{
		{"Unchanged", attribution.Reward{Amount: 1000, Status: "approved"}, 1000, false, ""},
		{"PendingPastHold", attribution.Reward{Amount: 1000, Status: "pending", HoldUntil: &hold}, 1000, false, ""},
		{"RefundedMeanwhile", attribution.Reward{Amount: 600, Status: "approved"}, 1000, true, ""},
		{"ReversedMeanwhile", attribution.Reward{Amount: 0, Status: "reversed", ReversedAt: &now}, 1000, true, ""},
		{"ExcludedMeanwhile", attribution.Reward{Amount: 0, Status: "reversed", Reason: "excluded", ReversedAt: &now}, 1000, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paid, drift := attribution.PaidReward(&tt.r, tt.batch, now)
			if drift != tt.drift || paid.Status != "paid" || paid.Amount != tt.batch || paid.PaidAt == nil ||
				paid.ApprovedAt == nil || paid.ReversedAt != nil || paid.Reason != tt.reason {
				t.Fatalf("PaidReward = %+v, drift %v", paid, drift)
			}
		})
	}
}

func TestPayoutFileRows(t *testing.T) {
	p := &attribution.Payout{ID: "po_1", Currency: "jpy", Items: []*attribution.PayoutItem{
		{PartnerID: "par_a", Amount: 1999, Partner: &attribution.PayoutPartner{Name: "=cmd|' /C calc'!A0", Email: "ada@example.com"}},
		{PartnerID: "par_b", Amount: 500, Partner: &attribution.PayoutPartner{Name: "Bob", Email: "bob@example.com",
			PayoutMethod: &attribution.PayoutMethod{Type: "paypal", Email: "-bob@pay.example"}}},
		{PartnerID: "par_c", Amount: 700, Partner: &attribution.PayoutPartner{Name: "Cy", Email: "cy@example.com",
			PayoutMethod: &attribution.PayoutMethod{Type: "wise", Name: "@Cy Bank", IBAN: "DE89370400440532013000", BIC: "DEUTDEFF", Currency: "eur"}}},
	}}
	pp, err := attribution.PayoutFileRows(p, "paypal", "+Acme")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"ada@example.com", "1999", "JPY", "par_a", "Payout po_1 from +Acme", "PAYPAL"},
		{"'-bob@pay.example", "500", "JPY", "par_b", "Payout po_1 from +Acme", "PAYPAL"},
		{"cy@example.com", "700", "JPY", "par_c", "Payout po_1 from +Acme", "PAYPAL"},
	}
	if !slices.EqualFunc(pp, want, slices.Equal) {
		t.Fatalf("paypal rows = %q\nwant %q", pp, want)
	}
	wise, err := attribution.PayoutFileRows(p, "wise", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(wise) != 4 || wise[0][0] != "name" {
		t.Fatalf("wise rows = %q", wise)
	}
	if got := wise[1]; got[0] != "'=cmd|' /C calc'!A0" || got[5] != "1999" || got[6] != "JPY" || got[8] != "" {
		t.Fatalf("wise row without details = %q", got)
	}
	if got := wise[3]; got[0] != "'@Cy Bank" || got[7] != "EUR" || got[8] != "DE89370400440532013000" || got[9] != "DEUTDEFF" {
		t.Fatalf("wise row with details = %q", got)
	}
	if _, err := attribution.PayoutFileRows(p, "xls", "Acme"); attribution.ErrorCode(err) != attribution.EINVALID {
		t.Fatalf("unknown format: %v", err)
	}
}
