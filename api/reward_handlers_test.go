package api_test

import (
	"net/http"
	"testing"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// TestRewards_ActionReasons: approve and pay take an empty body or {};
// decline needs a reason.
func TestRewards_ActionReasons(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	setRule(t, e, v, map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 30})
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "c@example.com", "partner_id": p.ID, "reason": "phone signup",
	})).Map(t)["id"].(string)
	newReward := func(t *testing.T) string {
		pur := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
			"customer_id": cust, "amount": 1000, "currency": "usd", "reason": "wire",
		})).Map(t)
		return pur["rewards"].([]any)[0].(map[string]any)["id"].(string)
	}
	status := func(t *testing.T, id string) any {
		return e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+id, v.SecretKey, nil)).Map(t)["status"]
	}

	t.Run("EmptyBodies", func(t *testing.T) {
		id := newReward(t)
		e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/approve", v.SecretKey, nil))
		if s := status(t, id); s != "approved" {
			t.Fatalf("status = %v", s)
		}
		e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/pay", v.SecretKey, map[string]any{}))
		if s := status(t, id); s != "paid" {
			t.Fatalf("status = %v", s)
		}
		en := lastAudit(t, e, v, "reward", id)
		checkAudit(t, en, "secret_key:sk_", "reward.pay", id, "")
	})
	t.Run("EmptyStringBody", func(t *testing.T) {
		id := newReward(t)
		e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/approve", v.SecretKey, ""))
	})
	t.Run("ReasonKept", func(t *testing.T) {
		id := newReward(t)
		e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/approve", v.SecretKey, map[string]any{"reason": "checked the invoice"}))
		checkAudit(t, lastAudit(t, e, v, "reward", id), "secret_key:sk_", "reward.approve", id, "checked the invoice")
	})
	t.Run("DeclineNeedsReason", func(t *testing.T) {
		id := newReward(t)
		for _, body := range []any{nil, map[string]any{}, map[string]any{"reason": "  "}} {
			mustError(t, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/decline", v.SecretKey, body), http.StatusBadRequest, attribution.EINVALID)
		}
		if s := status(t, id); s != "pending" {
			t.Fatalf("refused decline changed the status to %v", s)
		}
		e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/decline", v.SecretKey, map[string]any{"reason": "fraud"}))
	})
	t.Run("BadBodies", func(t *testing.T) {
		id := newReward(t)
		for _, body := range []string{`{"reason": 1}`, `{"note": "x"}`, `{`, `[]`, `null`} {
			mustError(t, tick(e).Do(t, "POST", "/v1/rewards/"+id+"/approve", v.SecretKey, body), http.StatusBadRequest, attribution.EINVALID)
		}
		if s := status(t, id); s != "pending" {
			t.Fatalf("refused approve changed the status to %v", s)
		}
	})
}
