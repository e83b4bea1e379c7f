package webhooks_test

import (
	"net/http"
	"testing"
	"time"
)

// Test-mode events (livemode: false) create purchases and rewards marked
// livemode false, which are never approved automatically and cannot be paid.
func TestStripe_TestModeNeverPaid(t *testing.T) {
	s := newShop(t, map[string]any{"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 1})
	s.test = true
	s.send(t, "evt_test", "checkout.session.completed", session("cs_test", 10000, map[string]any{"client_reference_id": s.token(t)}))
	ps := s.purchases(t, "")
	if len(ps) != 1 || ps[0]["livemode"] != false {
		t.Fatalf("purchase = %v", ps)
	}
	s.e.Clock.Advance(10 * 24 * time.Hour)
	s.e.App.ApproveDueRewardsOnce(t.Context())
	rs := s.rewards(t, "")
	if len(rs) != 1 || rs[0]["livemode"] != false || rs[0]["status"] != "pending" {
		t.Fatalf("test-mode reward after its hold: %v", rs)
	}
	id := rs[0]["id"].(string)
	s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/rewards/"+id+"/approve", s.v.SecretKey, nil))
	s.e.Must(t, http.StatusConflict, s.e.Do(t, "POST", "/v1/rewards/"+id+"/pay", s.v.SecretKey, nil))
	if got := s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/rewards/"+id, s.v.SecretKey, nil)).Map(t); got["status"] != "approved" {
		t.Fatalf("after a refused pay: %v", got)
	}

	// Live mode, beside it: approved after the hold, then paid.
	s.test = false
	s.send(t, "evt_live", "checkout.session.completed", session("cs_live", 10000, map[string]any{"client_reference_id": s.token(t)}))
	s.e.Clock.Advance(2 * 24 * time.Hour)
	live := s.rewards(t, "?status=approved")
	if len(live) != 2 {
		t.Fatalf("approved = %v", live)
	}
	for _, r := range live {
		if r["livemode"] == true {
			s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/rewards/"+r["id"].(string)+"/pay", s.v.SecretKey, nil))
		}
	}
	if paid := s.rewards(t, "?status=paid"); len(paid) != 1 || paid[0]["livemode"] != true {
		t.Fatalf("paid = %v", paid)
	}
}

// Resold or transferred goods are not a sale: excluded by metadata or by
// hand, a purchase earns nothing and leaves the sales figures; included
// again, it earns as any purchase would.
func TestStripe_ExcludedPurchases(t *testing.T) {
	s := newShop(t, percent10)
	tok := s.token(t)
	s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": tok, "email": "x@example.com"}))
	// By metadata on the Checkout Session.
	s.send(t, "evt_resold", "checkout.session.completed", session("cs_resold", 10000, map[string]any{
		"customer_details": map[string]any{"email": "x@example.com"}, "metadata": map[string]any{"tally_exclude": "resale"},
	}))
	ps := s.purchases(t, "?status=excluded")
	if len(ps) != 1 || ps[0]["excluded_reason"] != "resale" {
		t.Fatalf("excluded = %v", ps)
	}
	if rs := s.rewards(t, ""); len(rs) != 0 {
		t.Fatalf("an excluded purchase earned %v", rs)
	}
	revenue := func() float64 {
		var a struct {
			Rows []struct {
				Purchases int                `json:"purchases"`
				Revenue   map[string]float64 `json:"revenue"`
			} `json:"rows"`
		}
		r := s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/analytics?group_by=partner&start=2026-01-01&end=2026-12-31", s.v.SecretKey, nil))
		r.JSON(t, &a)
		var sum float64
		for _, r := range a.Rows {
			sum += r.Revenue["usd"]
		}
		return sum
	}
	if got := revenue(); got != 0 {
		t.Fatalf("revenue with only an excluded purchase = %v", got)
	}
	s.send(t, "evt_sold", "checkout.session.completed", session("cs_sold", 5000, map[string]any{"customer_details": map[string]any{"email": "x@example.com"}}))
	if got := revenue(); got != 5000 {
		t.Fatalf("revenue beside an excluded purchase = %v, want the other purchase's 5000", got)
	}
	// Included again by hand: it earns its reward now.
	pid := ps[0]["id"].(string)
	s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/purchases/"+pid+"/include", s.v.SecretKey, nil))
	if rs := s.rewards(t, "?purchase_id="+pid); len(rs) != 1 || rs[0]["amount"] != 1000.0 {
		t.Fatalf("after include: %v", rs)
	}
	if got := revenue(); got != 15000 {
		t.Fatalf("revenue after include = %v", got)
	}
	// Excluded by hand after the reward was paid: a negative adjustment.
	rid := s.rewards(t, "?purchase_id="+pid)[0]["id"].(string)
	s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/rewards/"+rid+"/pay", s.v.SecretKey, nil))
	s.e.Must(t, http.StatusBadRequest, s.e.Do(t, "POST", "/v1/purchases/"+pid+"/exclude", s.v.SecretKey, map[string]any{"reason": "because"}))
	s.e.Must(t, http.StatusBadRequest, s.e.Do(t, "POST", "/v1/purchases/"+pid+"/exclude", s.v.SecretKey, nil))
	got := s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/purchases/"+pid+"/exclude", s.v.SecretKey, map[string]any{"reason": "transfer", "note": "ticket given away"})).Map(t)
	if got["status"] != "excluded" || got["excluded_note"] != "ticket given away" {
		t.Fatalf("excluded: %v", got)
	}
	adj := s.rewards(t, "?kind=adjustment")
	if len(adj) != 1 || adj[0]["amount"] != -1000.0 {
		t.Fatalf("adjustment = %v", adj)
	}
	if got := revenue(); got != 5000 {
		t.Fatalf("revenue after exclude = %v", got)
	}
	// Excluding again only changes the reason: nothing is clawed back twice.
	s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/purchases/"+pid+"/exclude", s.v.SecretKey, map[string]any{"reason": "fraud"}))
	if adj := s.rewards(t, "?kind=adjustment"); len(adj) != 1 {
		t.Fatalf("adjustments after a second exclude = %v", adj)
	}
	// Both changes are audited.
	var audit struct{ Data []map[string]any }
	s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/audit", s.v.SecretKey, nil)).JSON(t, &audit)
	actions := map[string]bool{}
	for _, a := range audit.Data {
		actions[a["action"].(string)] = true
	}
	if !actions["purchase.exclude"] || !actions["purchase.include"] {
		t.Fatalf("audit actions = %v", actions)
	}
}
