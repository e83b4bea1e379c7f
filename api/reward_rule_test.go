package api_test

import (
	"net/http"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestRewardRule_VendorAndPartner(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")

	got := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)
	if rr, ok := got["reward_rule"]; !ok || rr != nil {
		t.Fatalf("new vendor reward_rule = %v (present %v), want null", rr, ok)
	}
	rule := map[string]any{"type": "percent", "percent": 2000, "duration_months": 12, "hold_days": 30}
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"reward_rule": rule}))
	got = e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)
	rr, _ := got["reward_rule"].(map[string]any)
	if rr["type"] != "percent" || rr["percent"] != 2000.0 || rr["duration_months"] != 12.0 || rr["hold_days"] != 30.0 {
		t.Fatalf("reward_rule = %v", got["reward_rule"])
	}
	// Another field leaves the rule alone.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme 2"}))
	got = e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)
	if got["reward_rule"] == nil {
		t.Fatal("PATCH without reward_rule removed it")
	}
	// Bad rules are refused and change nothing.
	for _, bad := range []any{
		map[string]any{"type": "percent", "percent": 20000},
		map[string]any{"type": "flat", "amount": 100},
		map[string]any{"type": "percent", "percent": 10, "bogus": 1},
		"20%",
	} {
		r := e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"reward_rule": bad})
		if r.StatusCode != http.StatusBadRequest || r.ErrorCode() != "invalid" {
			t.Fatalf("bad rule %v: %d %s", bad, r.StatusCode, r.Body)
		}
	}
	got = e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)
	if rr, _ := got["reward_rule"].(map[string]any); rr["percent"] != 2000.0 {
		t.Fatalf("a refused PATCH changed the rule: %v", got["reward_rule"])
	}

	// Partner override: set, read back, then null follows the vendor again.
	flat := map[string]any{"type": "flat", "amount": 1500, "currency": "EUR", "duration_months": nil, "hold_days": 0}
	pp := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"reward_rule": flat})).Map(t)
	if pr, _ := pp["reward_rule"].(map[string]any); pr["currency"] != "eur" || pr["amount"] != 1500.0 {
		t.Fatalf("partner reward_rule = %v", pp["reward_rule"])
	}
	pp = e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+p.ID, v.SecretKey, nil)).Map(t)
	if pp["reward_rule"] == nil {
		t.Fatal("partner override not stored")
	}
	pp = e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"reward_rule": nil})).Map(t)
	if pp["reward_rule"] != nil {
		t.Fatalf("null did not remove the override: %v", pp["reward_rule"])
	}
	// Vendor removes its rule.
	got = e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"reward_rule": nil})).Map(t)
	if got["reward_rule"] != nil {
		t.Fatalf("null did not remove the vendor rule: %v", got["reward_rule"])
	}
}
