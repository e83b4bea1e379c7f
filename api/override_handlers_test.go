package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// auditEntries lists a vendor's audit log.
func auditEntries(t *testing.T, e *testenv.Env, v testenv.Vendor, query string) []map[string]any {
	t.Helper()
	var list struct {
		Data []map[string]any `json:"data"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit"+query, v.SecretKey, nil)).JSON(t, &list)
	return list.Data
}

// overrideEntries lists a vendor's audit entries about customers,
// purchases and rewards: the manual overrides.
func overrideEntries(t *testing.T, e *testenv.Env, v testenv.Vendor) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, en := range auditEntries(t, e, v, "?limit=100") {
		switch en["object_type"] {
		case "customer", "purchase", "reward":
			out = append(out, en)
		}
	}
	return out
}

// tick advances the frozen test clock by a millisecond: IDs order lists,
// and within one millisecond their order is random.
func tick(e *testenv.Env) *testenv.Env {
	e.Clock.Advance(time.Millisecond)
	return e
}

func setRule(t *testing.T, e *testenv.Env, v testenv.Vendor, rule map[string]any) {
	t.Helper()
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"reward_rule": rule}))
}

func TestOverrides_AuditTrail(t *testing.T) {
	e := testenv.New(t)

	v := e.NewVendor(t, "Acme")
	p1 := e.NewPartner(t, v, "Ada", "ada@example.com")
	p2 := e.NewPartner(t, v, "Bob", "bob@example.com")
	setRule(t, e, v, map[string]any{"type": "percent", "percent": 2000, "duration_months": nil, "hold_days": 30})

	// Create a customer by hand: reason required, nothing written without it.
	r := tick(e).Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{"email": "c@example.com", "partner_id": p1.ID})
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("no reason: %d %s", r.StatusCode, r.Body)
	}
	if n := len(overrideEntries(t, e, v)); n != 0 {
		t.Fatalf("refused override wrote %d audit entries", n)
	}
	cust := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "C@Example.com", "external_id": "u1", "partner_id": p1.ID, "reason": "signed up by phone",
	})).Map(t)
	custID := cust["id"].(string)
	if cust["partner_id"] != p1.ID || cust["attributed_by"] != "manual" || cust["email"] != "c@example.com" {
		t.Fatalf("customer = %v", cust)
	}
	e.Must(t, http.StatusConflict, tick(e).Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"external_id": "u1", "partner_id": p1.ID, "reason": "again",
	}))

	// Record a purchase by hand: its reward follows the rule.
	pur := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": custID, "amount": 4999, "currency": "USD", "reason": "invoice paid by wire",
	})).Map(t)
	rewards := pur["rewards"].([]any)
	if pur["partner_id"] != p1.ID || pur["source"] != "manual" || len(rewards) != 1 {
		t.Fatalf("purchase = %v", pur)
	}
	rw := rewards[0].(map[string]any)
	if rw["amount"] != 999.0 || rw["currency"] != "usd" || rw["status"] != "pending" {
		t.Fatalf("reward = %v", rw)
	}
	rwID := rw["id"].(string)

	// Paying a pending reward is refused; after the hold it reads approved.
	e.Must(t, http.StatusConflict, tick(e).Do(t, "POST", "/v1/rewards/"+rwID+"/pay", v.SecretKey, map[string]any{"reason": "payout"}))
	e.Clock.Advance(31 * 24 * time.Hour)
	got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+rwID, v.SecretKey, nil)).Map(t)
	if got["status"] != "approved" {
		t.Fatalf("after hold: %v", got["status"])
	}
	e.Must(t, http.StatusBadRequest, tick(e).Do(t, "POST", "/v1/rewards/"+rwID+"/pay", v.SecretKey, map[string]any{"reason": 7}))
	e.Must(t, http.StatusBadRequest, tick(e).Do(t, "POST", "/v1/rewards/"+rwID+"/decline", v.SecretKey, map[string]any{})) // decline needs a reason
	got = e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+rwID+"/pay", v.SecretKey, map[string]any{"reason": "March payout"})).Map(t)
	if got["status"] != "paid" || got["paid_at"] == nil {
		t.Fatalf("paid: %v", got)
	}
	e.Must(t, http.StatusConflict, tick(e).Do(t, "POST", "/v1/rewards/"+rwID+"/decline", v.SecretKey, map[string]any{"reason": "too late"}))

	// Another purchase, approved then declined by hand.
	pur2 := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": custID, "amount": 1000, "currency": "usd", "reason": "second order",
	})).Map(t)
	rw2 := pur2["rewards"].([]any)[0].(map[string]any)["id"].(string)
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+rw2+"/approve", v.SecretKey, map[string]any{"reason": "verified"}))
	got = e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+rw2+"/decline", v.SecretKey, map[string]any{"reason": "fraud"})).Map(t)
	if got["status"] != "declined" || got["reason"] != "fraud" {
		t.Fatalf("declined: %v", got)
	}

	// A third purchase's pending reward moves with the customer when asked.
	pur3 := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": custID, "amount": 500, "currency": "usd", "reason": "third order",
	})).Map(t)
	rw3 := pur3["rewards"].([]any)[0].(map[string]any)["id"].(string)
	res := e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/customers/"+custID+"/attribution", v.SecretKey, map[string]any{
		"partner_id": p2.ID, "reason": "Bob closed the deal", "move_rewards": true,
	})).Map(t)
	if moved := res["moved_rewards"].([]any); len(moved) != 1 || moved[0] != rw3 {
		t.Fatalf("moved = %v", res["moved_rewards"])
	}
	if got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+rwID, v.SecretKey, nil)).Map(t); got["partner_id"] != p1.ID {
		t.Fatalf("a paid reward moved: %v", got)
	}
	if got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+rw3, v.SecretKey, nil)).Map(t); got["partner_id"] != p2.ID {
		t.Fatalf("pending reward did not move: %v", got)
	}
	// Future purchases follow the new partner.
	pur4 := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": custID, "amount": 100, "currency": "usd", "reason": "fourth order",
	})).Map(t)
	if pur4["partner_id"] != p2.ID {
		t.Fatalf("future purchase partner = %v", pur4["partner_id"])
	}
	// Without move_rewards nothing moves.
	res = e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/customers/"+custID+"/attribution", v.SecretKey, map[string]any{
		"partner_id": p1.ID, "reason": "back to Ada",
	})).Map(t)
	if moved := res["moved_rewards"].([]any); len(moved) != 0 {
		t.Fatalf("moved without asking: %v", moved)
	}

	// A manual reward for any partner.
	man := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/rewards", v.SecretKey, map[string]any{
		"partner_id": p2.ID, "amount": 2500, "currency": "eur", "reason": "launch bonus",
	})).Map(t)
	if man["kind"] != "manual" || man["status"] != "approved" {
		t.Fatalf("manual reward = %v", man)
	}

	// Every override wrote one entry, newest first, with actor, reason, before and after.
	entries := overrideEntries(t, e, v)
	wantActions := []string{"reward.create", "customer.reassign", "purchase.create", "customer.reassign", "purchase.create",
		"reward.decline", "reward.approve", "purchase.create", "reward.pay", "purchase.create", "customer.create"}
	if len(entries) != len(wantActions) {
		t.Fatalf("%d audit entries, want %d: %v", len(entries), len(wantActions), entries)
	}
	for i, want := range wantActions {
		en := entries[i]
		if en["action"] != want {
			t.Fatalf("entry %d action = %v, want %s", i, en["action"], want)
		}
		if a, _ := en["actor"].(string); len(a) < 15 || a[:14] != "secret_key:sk_" || en["reason"] == "" {
			t.Fatalf("entry %d actor/reason = %v / %v", i, en["actor"], en["reason"])
		}
		if en["after"] == nil {
			t.Fatalf("entry %d has no after", i)
		}
	}
	pay := entries[8]
	if pay["object_id"] != rwID || pay["before"].(map[string]any)["status"] != "approved" || pay["after"].(map[string]any)["status"] != "paid" {
		t.Fatalf("pay entry = %v", pay)
	}
	if f := auditEntries(t, e, v, "?object_type=reward&object_id="+rw2); len(f) != 2 || f[0]["action"] != "reward.decline" {
		t.Fatalf("filtered = %v", f)
	}
	e.Must(t, http.StatusBadRequest, e.Do(t, "GET", "/v1/audit?object_type=vendors", v.SecretKey, nil))
}

func TestOverrides_OtherVendorRefused(t *testing.T) {
	e := testenv.New(t)
	a := e.NewVendor(t, "A")
	b := e.NewVendor(t, "B")
	pa := e.NewPartner(t, a, "Ada", "ada@example.com")
	pb := e.NewPartner(t, b, "Bea", "bea@example.com")
	setRule(t, e, a, map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 0})
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", a.SecretKey, map[string]any{
		"email": "c@example.com", "partner_id": pa.ID, "reason": "r",
	})).Map(t)["id"].(string)
	pur := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", a.SecretKey, map[string]any{
		"customer_id": cust, "amount": 1000, "currency": "usd", "reason": "r",
	})).Map(t)
	purID := pur["id"].(string)
	rw := pur["rewards"].([]any)[0].(map[string]any)["id"].(string)
	before, beforeB := len(auditEntries(t, e, a, "")), len(auditEntries(t, e, b, ""))

	tests := []struct {
		name, method, path string
		body               any
	}{
		{"CustomerWithOthersPartner", "POST", "/v1/customers", map[string]any{"email": "x@example.com", "partner_id": pa.ID, "reason": "r"}},
		{"PurchaseOnOthersCustomer", "POST", "/v1/purchases", map[string]any{"customer_id": cust, "amount": 1, "currency": "usd", "reason": "r"}},
		{"ReassignOthersCustomer", "POST", "/v1/customers/" + cust + "/attribution", map[string]any{"partner_id": pb.ID, "reason": "r"}},
		{"ReassignToOthersPartner", "POST", "/v1/customers/" + cust + "/attribution", map[string]any{"partner_id": pa.ID, "reason": "r"}},
		{"RewardForOthersPartner", "POST", "/v1/rewards", map[string]any{"partner_id": pa.ID, "amount": 1, "currency": "usd", "reason": "r"}},
		{"RewardOnOthersPurchase", "POST", "/v1/rewards", map[string]any{"partner_id": pb.ID, "purchase_id": purID, "amount": 1, "currency": "usd", "reason": "r"}},
		{"ApproveOthersReward", "POST", "/v1/rewards/" + rw + "/approve", map[string]any{"reason": "r"}},
		{"DeclineOthersReward", "POST", "/v1/rewards/" + rw + "/decline", map[string]any{"reason": "r"}},
		{"PayOthersReward", "POST", "/v1/rewards/" + rw + "/pay", map[string]any{"reason": "r"}},
		{"GetOthersReward", "GET", "/v1/rewards/" + rw, nil},
		{"GetOthersPurchase", "GET", "/v1/purchases/" + purID, nil},
		{"CodeForOthersPartner", "POST", "/v1/partners/" + pa.ID + "/codes", map[string]any{"code": "SAVE10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(t, tt.method, tt.path, b.SecretKey, tt.body)
			if r.StatusCode != http.StatusNotFound || r.ErrorCode() != "not_found" {
				t.Fatalf("%d %s", r.StatusCode, r.Body)
			}
		})
	}
	if n := len(auditEntries(t, e, b, "")); n != beforeB {
		t.Fatalf("vendor B has %d audit entries, want %d", n, beforeB)
	}
	if n := len(auditEntries(t, e, a, "")); n != before {
		t.Fatalf("vendor A has %d audit entries, want %d", n, before)
	}
	got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+rw, a.SecretKey, nil)).Map(t)
	if got["status"] != "approved" || got["partner_id"] != pa.ID {
		t.Fatalf("A's reward changed: %v", got)
	}
	var list struct{ Data []any }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/purchases", b.SecretKey, nil)).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("B lists A's purchases: %v", list.Data)
	}
}
