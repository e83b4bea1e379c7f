package webhooks_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

var percent10 = map[string]any{"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 0}

func TestStripe_Verification(t *testing.T) {
	s := newShop(t, percent10)
	ok := s.payload("evt_verify", "checkout.session.completed", session("cs_verify", 1000, nil))
	tests := []struct {
		name     string
		vendor   string
		secret   string
		payload  []byte
		ts       time.Time
		wantCode int
	}{
		{"UnknownVendor", "ven_01jd0000000000000000000000", secret, ok, time.Now(), http.StatusNotFound},
		{"GarbageVendor", "nope", secret, ok, time.Now(), http.StatusNotFound},
		{"ForgedSignature", s.v.ID, "whsec_someone_else", ok, time.Now(), http.StatusBadRequest},
		{"StaleTimestamp", s.v.ID, secret, ok, time.Now().Add(-10 * time.Minute), http.StatusBadRequest},
		{"MalformedJSON", s.v.ID, secret, []byte(`{"id":"evt_x","type":`), time.Now(), http.StatusBadRequest},
		{"WrongTypes", s.v.ID, secret, []byte(`{"id":"evt_x","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1","amount_paid":"lots"}}}`), time.Now(), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.sendRaw(t, tt.vendor, tt.secret, tt.payload, tt.ts)
			if r.StatusCode != tt.wantCode || !strings.Contains(string(r.Body), `"error"`) {
				t.Fatalf("%d %s", r.StatusCode, r.Body)
			}
		})
	}
	r := s.e.Do(t, "POST", "/webhooks/stripe/"+s.v.ID, "", ok) // no signature header
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsigned: %d", r.StatusCode)
	}
	if n := s.count(t, "stripe_events"); n != 0 {
		t.Fatalf("%d events stored from refused deliveries", n)
	}
	// A vendor without a signing secret refuses every event.
	other := s.e.NewVendor(t, "NoSecret")
	if r := s.sendRaw(t, other.ID, secret, ok, time.Now()); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("no secret: %d %s", r.StatusCode, r.Body)
	}
}

func TestStripe_CheckoutAttributesByToken(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		for _, version := range []string{"2020-08-27", "2023-10-16", "2025-01-27.acacia"} {
			t.Run(version, func(t *testing.T) {
				s := newShop(t, percent10, mode)
				s.version = version
				tok := s.token(t)
				s.e.Clock.Advance(time.Hour)
				obj := session("cs_tok1", 4999, map[string]any{
					"client_reference_id": tok, "customer": "cus_stripe1",
					"customer_details": map[string]any{"email": "Buyer@Example.com", "name": "B"},
				})
				if out := s.send(t, "evt_1", "checkout.session.completed", obj); out != "purchase" {
					t.Fatalf("outcome = %s", out)
				}
				ps := s.purchases(t, "")
				if len(ps) != 1 || ps[0]["partner_id"] != s.p.ID || ps[0]["attributed_by"] != "click" || ps[0]["amount"] != 4999.0 ||
					ps[0]["currency"] != "usd" || ps[0]["email"] != "buyer@example.com" || ps[0]["link_id"] != s.link.ID {
					t.Fatalf("purchases = %v", ps)
				}
				rs := s.rewards(t, "")
				if len(rs) != 1 || rs[0]["amount"] != 499.0 || rs[0]["status"] != "approved" {
					t.Fatalf("rewards = %v", rs)
				}
				var custs struct{ Data []map[string]any }
				s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/customers", s.v.SecretKey, nil)).JSON(t, &custs)
				if len(custs.Data) != 1 || custs.Data[0]["stripe_customer_id"] != "cus_stripe1" || custs.Data[0]["partner_id"] != s.p.ID {
					t.Fatalf("customers = %v", custs.Data)
				}
				// Redelivery: acknowledged, nothing changes.
				if out := s.send(t, "evt_1", "checkout.session.completed", obj); out != "duplicate" {
					t.Fatalf("redelivery outcome = %s", out)
				}
				// Another event about the same session counts it once.
				if out := s.send(t, "evt_1b", "checkout.session.completed", obj); out != "purchase_known" {
					t.Fatalf("same session outcome = %s", out)
				}
				if len(s.purchases(t, "")) != 1 || len(s.rewards(t, "")) != 1 || s.count(t, "stripe_events") != 2 {
					t.Fatal("a redelivery changed something")
				}
				// The next invoice of that Stripe customer follows the customer.
				if out := s.send(t, "evt_2", "invoice.paid", inv("in_next", 2000, "cus_stripe1", nil)); out != "purchase" {
					t.Fatalf("invoice outcome = %s", out)
				}
				if ps := s.purchases(t, "?partner_id="+s.p.ID); len(ps) != 2 {
					t.Fatalf("partner purchases = %d", len(ps))
				}
				// Anything else is stored and ignored.
				if out := s.send(t, "evt_3", "payment_intent.created", map[string]any{"id": "pi_x", "object": "payment_intent"}); out != "ignored" {
					t.Fatalf("other event outcome = %s", out)
				}
			})
		}
	})
}

func TestStripe_SessionsIgnored(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, percent10, mode)
		tok := s.token(t)
		if out := s.send(t, "evt_sub", "checkout.session.completed", session("cs_sub", 2000, map[string]any{
			"mode": "subscription", "client_reference_id": tok, "customer": "cus_sub", "customer_details": map[string]any{"email": "s@example.com"},
		})); out != "customer_linked" {
			t.Fatalf("subscription session outcome = %s", out)
		}
		if out := s.send(t, "evt_unpaid", "checkout.session.completed", session("cs_unpaid", 2000, map[string]any{"payment_status": "unpaid"})); out != "ignored" {
			t.Fatalf("unpaid outcome = %s", out)
		}
		if out := s.send(t, "evt_free", "checkout.session.completed", session("cs_free", 0, nil)); out != "ignored" {
			t.Fatalf("free outcome = %s", out)
		}
		if out := s.send(t, "evt_inv0", "invoice.paid", inv("in_zero", 0, "cus_sub", nil)); out != "ignored" {
			t.Fatalf("zero invoice outcome = %s", out)
		}
		if n := len(s.purchases(t, "")); n != 0 {
			t.Fatalf("%d purchases, want 0", n)
		}
		// The subscription's invoice is the purchase, credited by the session's token.
		if out := s.send(t, "evt_inv1", "invoice.paid", inv("in_first", 2000, "cus_sub", map[string]any{"billing_reason": "subscription_create"})); out != "purchase" {
			t.Fatalf("first invoice outcome = %s", out)
		}
		if ps := s.purchases(t, ""); len(ps) != 1 || ps[0]["partner_id"] != s.p.ID {
			t.Fatalf("purchases = %v", ps)
		}
	})
}

func TestStripe_ConcurrentDeliveries(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, percent10, mode)
		tok := s.token(t)
		payload := s.payload("evt_race", "checkout.session.completed", session("cs_race", 3000, map[string]any{
			"client_reference_id": tok, "customer_details": map[string]any{"email": "race@example.com"},
		}))
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = s.sendRaw(t, s.v.ID, secret, payload, time.Now()).StatusCode
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != http.StatusOK {
				t.Fatalf("codes = %v", codes)
			}
		}
		s.drain(t)
		if s.count(t, "purchases") != 1 || s.count(t, "rewards") != 1 || s.count(t, "stripe_events") != 1 || s.count(t, "customers") != 1 {
			t.Fatalf("purchases %d rewards %d events %d customers %d", s.count(t, "purchases"), s.count(t, "rewards"), s.count(t, "stripe_events"), s.count(t, "customers"))
		}
	})
}

func TestStripe_OutOfOrderInvoiceThenCustomer(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, map[string]any{"type": "percent", "percent": 2000, "duration_months": 2, "hold_days": 14}, mode)
		// The customer signed up through a referral link, with the vendor's id.
		tok := s.token(t)
		s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": tok, "email": "sub@example.com", "external_id": "user_42"}))
		// The first invoice arrives before Stripe's customer event, with no email: unmatched, kept.
		if out := s.send(t, "evt_in1", "invoice.paid", inv("in_1", 1000, "cus_late", nil)); out != "purchase_unmatched" {
			t.Fatalf("outcome = %s", out)
		}
		ps := s.purchases(t, "?status=unattributed")
		if len(ps) != 1 || ps[0]["reason"] != "no_customer" || ps[0]["customer_id"] != "" {
			t.Fatalf("unmatched purchase = %v", ps)
		}
		// The customer event links it by metadata: the stored purchase is attributed.
		if out := s.send(t, "evt_cus", "customer.created", map[string]any{
			"id": "cus_late", "object": "customer", "email": "other@example.com", "metadata": map[string]any{"tally_customer_id": "user_42"},
		}); out != "customer_linked" {
			t.Fatalf("customer outcome = %s", out)
		}
		ps = s.purchases(t, "?status=attributed")
		if len(ps) != 1 || ps[0]["partner_id"] != s.p.ID {
			t.Fatalf("after link = %v", ps)
		}
		rs := s.rewards(t, "")
		if len(rs) != 1 || rs[0]["amount"] != 200.0 || rs[0]["status"] != "pending" {
			t.Fatalf("rewards = %v", rs)
		}
		// Inside duration_months: the second month's invoice earns.
		s.e.Clock.Advance(31 * 24 * time.Hour)
		s.send(t, "evt_in2", "invoice.paid", inv("in_2", 1000, "cus_late", nil))
		if rs := s.rewards(t, ""); len(rs) != 2 || rs[1]["status"] != "approved" {
			t.Fatalf("month 2 rewards = %v", rs)
		}
		// Outside: the third month's invoice is attributed but earns nothing.
		s.e.Clock.Advance(31 * 24 * time.Hour)
		s.send(t, "evt_in3", "invoice.paid", inv("in_3", 1000, "cus_late", nil))
		if ps := s.purchases(t, "?status=attributed"); len(ps) != 3 {
			t.Fatalf("attributed purchases = %d", len(ps))
		}
		if rs := s.rewards(t, ""); len(rs) != 2 {
			t.Fatalf("month 3 earned: %v", rs)
		}
	})
}

func TestStripe_UnmatchedLaterMatchedByEmail(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, percent10, mode)
		s.send(t, "evt_a", "invoice.paid", inv("in_a", 5000, "cus_e", map[string]any{"customer_email": "late@example.com"}))
		if ps := s.purchases(t, "?status=unattributed"); len(ps) != 1 {
			t.Fatalf("unmatched = %v", ps)
		}
		// The customer appears later (a manual credit), and Stripe's customer event links by email.
		s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/customers", s.v.SecretKey, map[string]any{
			"email": "late@example.com", "partner_id": s.p.ID, "reason": "referred at a conference",
		}))
		if out := s.send(t, "evt_c", "customer.updated", map[string]any{"id": "cus_e", "object": "customer", "email": "LATE@example.com"}); out != "customer_linked" {
			t.Fatalf("outcome = %s", out)
		}
		if ps := s.purchases(t, "?status=attributed"); len(ps) != 1 || ps[0]["attributed_by"] != "manual" {
			t.Fatalf("matched = %v", ps)
		}
		if rs := s.rewards(t, ""); len(rs) != 1 || rs[0]["amount"] != 500.0 {
			t.Fatalf("rewards = %v", rs)
		}
		// A customer event nobody matches is acknowledged.
		if out := s.send(t, "evt_d", "customer.created", map[string]any{"id": "cus_zz", "object": "customer", "email": "nobody@example.com"}); out != "customer_unmatched" {
			t.Fatalf("outcome = %s", out)
		}
	})
}

func TestStripe_Refunds(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, percent10, mode)
		buy := func(id string) string {
			tok := s.token(t)
			s.send(t, "evt_"+id, "checkout.session.completed", session("cs_"+id, 10000, map[string]any{
				"client_reference_id": tok, "customer_details": map[string]any{"email": id + "@example.com"},
			}))
			rs := s.rewards(t, "?kind=purchase")
			return rs[0]["id"].(string)
		}
		refund := func(evt, id string, refunded int64) string {
			return s.send(t, evt, "charge.refunded", map[string]any{
				"id": "ch_" + id, "object": "charge", "amount": 10000, "amount_refunded": refunded, "currency": "usd",
				"payment_intent": "pi_" + id, "refunded": refunded == 10000,
			})
		}
		reward := func(id string) map[string]any {
			return s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/rewards/"+id, s.v.SecretKey, nil)).Map(t)
		}

		// Before payout: partial reduces, full reverses.
		r1 := buy("one")
		if out := refund("evt_r1", "one", 2500); out != "refund" {
			t.Fatalf("outcome = %s", out)
		}
		if got := reward(r1); got["amount"] != 750.0 || got["status"] != "approved" || got["original_amount"] != 1000.0 {
			t.Fatalf("partial: %v", got)
		}
		refund("evt_r1", "one", 2500) // redelivered
		if got := reward(r1); got["amount"] != 750.0 {
			t.Fatalf("redelivered refund applied twice: %v", got)
		}
		refund("evt_r2", "one", 10000)
		if got := reward(r1); got["amount"] != 0.0 || got["status"] != "reversed" {
			t.Fatalf("full: %v", got)
		}
		if ps := s.purchases(t, "?status=refunded"); len(ps) != 1 || ps[0]["refunded_amount"] != 10000.0 {
			t.Fatalf("refunded purchases = %v", ps)
		}

		// After payout: history stays, negative adjustments follow.
		r2 := buy("two")
		s.e.Must(t, http.StatusOK, s.e.Do(t, "POST", "/v1/rewards/"+r2+"/pay", s.v.SecretKey, map[string]any{"reason": "payout"}))
		refund("evt_r3", "two", 4000)
		if got := reward(r2); got["amount"] != 1000.0 || got["status"] != "paid" {
			t.Fatalf("paid reward rewritten: %v", got)
		}
		adj := s.rewards(t, "?kind=adjustment")
		if len(adj) != 1 || adj[0]["amount"] != -400.0 || adj[0]["partner_id"] != s.p.ID || adj[0]["status"] != "approved" {
			t.Fatalf("adjustments = %v", adj)
		}
		refund("evt_r4", "two", 10000)
		adj = s.rewards(t, "?kind=adjustment")
		if len(adj) != 2 || adj[0]["amount"] != -600.0 {
			t.Fatalf("adjustments after full = %v", adj)
		}

		// A refund that arrives before its purchase is applied when the purchase comes.
		if out := refund("evt_r5", "three", 5000); out != "orphan_refund" {
			t.Fatalf("orphan outcome = %s", out)
		}
		buy("three")
		rs := s.rewards(t, "?kind=purchase")
		if rs[0]["amount"] != 500.0 {
			t.Fatalf("orphan refund not applied: %v", rs[0])
		}
	})
}

func TestStripe_SelfReferral(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, percent10, mode)
		tok := s.token(t)
		s.send(t, "evt_self", "checkout.session.completed", session("cs_self", 1000, map[string]any{
			"client_reference_id": tok, "customer_details": map[string]any{"email": "ada@partner.example"},
		}))
		rs := s.rewards(t, "")
		if len(rs) != 1 || rs[0]["status"] != "declined" || rs[0]["reason"] != "self_referral" {
			t.Fatalf("rewards = %v", rs)
		}
	})
}

func TestStripe_PromotionCode(t *testing.T) {
	eachQueueMode(t, func(t *testing.T, mode string) {
		s := newShop(t, percent10, mode)
		e := s.e
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners/"+s.p.ID+"/codes", s.v.SecretKey, map[string]any{"code": "promo_1Abc"}))
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners/"+s.p.ID+"/codes", s.v.SecretKey, map[string]any{"code": "ada10"}))
		e.Must(t, http.StatusConflict, e.Do(t, "POST", "/v1/partners/"+s.p.ID+"/codes", s.v.SecretKey, map[string]any{"code": "ADA10"}))
		e.Must(t, http.StatusBadRequest, e.Do(t, "POST", "/v1/partners/"+s.p.ID+"/codes", s.v.SecretKey, map[string]any{"code": "bad code!"}))
		var codes struct{ Data []map[string]any }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+s.p.ID+"/codes", s.v.SecretKey, nil)).JSON(t, &codes)
		if len(codes.Data) != 2 {
			t.Fatalf("codes = %v", codes.Data)
		}

		// A typed URL on another device: no token, but the partner's code.
		if out := s.send(t, "evt_p1", "checkout.session.completed", session("cs_p1", 2000, map[string]any{
			"customer": "cus_p1", "customer_details": map[string]any{"email": "typed@example.com"},
			"discounts": []any{map[string]any{"coupon": "co_1", "promotion_code": "promo_1Abc"}},
		})); out != "purchase" {
			t.Fatalf("outcome = %s", out)
		}
		ps := s.purchases(t, "")
		if len(ps) != 1 || ps[0]["partner_id"] != s.p.ID || ps[0]["attributed_by"] != "promotion_code" || ps[0]["promotion_code"] != "promo_1Abc" {
			t.Fatalf("purchase = %v", ps)
		}
		// Its renewals follow the customer it created.
		s.send(t, "evt_p2", "invoice.paid", inv("in_p2", 2000, "cus_p1", nil))
		if ps := s.purchases(t, "?partner_id="+s.p.ID); len(ps) != 2 {
			t.Fatalf("renewal not credited: %v", ps)
		}
		// An (old-style) invoice discount with an expanded code text.
		s.send(t, "evt_p3", "invoice.paid", inv("in_p3", 3000, "cus_other", map[string]any{
			"discount": map[string]any{"promotion_code": map[string]any{"id": "promo_zzz", "code": "Ada10"}},
		}))
		if ps := s.purchases(t, "?partner_id="+s.p.ID); len(ps) != 3 {
			t.Fatalf("code text not credited: %v", ps)
		}
		if rs := s.rewards(t, ""); len(rs) != 3 {
			t.Fatalf("rewards = %v", rs)
		}
		// A code does not override a click by another partner.
		p2 := e.NewPartner(t, s.v, "Bob", "bob@partner.example")
		var l2 struct{ Key string }
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", s.v.SecretKey, map[string]any{"partner_id": p2.ID, "destination_url": "https://shop.example/"})).JSON(t, &l2)
		r := e.Must(t, http.StatusFound, e.Click(t, l2.Key))
		tok := r.Header.Get("Location")[strings.Index(r.Header.Get("Location"), "tally_ref=")+len("tally_ref="):]
		s.send(t, "evt_p4", "checkout.session.completed", session("cs_p4", 1000, map[string]any{
			"client_reference_id": tok, "customer_details": map[string]any{"email": "bobs@example.com"},
			"discounts": []any{map[string]any{"promotion_code": "promo_1Abc"}},
		}))
		if ps := s.purchases(t, "?partner_id="+p2.ID); len(ps) != 1 {
			t.Fatalf("click lost to a code: %v", ps)
		}
	})
}

func TestStripe_DatabaseDown(t *testing.T) {
	s := newShop(t, percent10)
	payload := s.payload("evt_down", "checkout.session.completed", session("cs_down", 1000, nil))
	// The vendor is read first; break only the event table so that read works.
	if _, err := s.e.App.Store.DB().ExecContext(t.Context(), "DROP TABLE stripe_events"); err != nil {
		t.Fatal(err)
	}
	r := s.sendRaw(t, s.v.ID, secret, payload, time.Now())
	if r.StatusCode < 500 {
		t.Fatalf("status %d, want 5xx: %s", r.StatusCode, r.Body)
	}
}

func TestStripe_PurchasesCSV(t *testing.T) {
	s := newShop(t, percent10)
	tok := s.token(t)
	s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": tok, "email": "csv@example.com", "external_id": "ext,\"1\""}))
	s.send(t, "evt_csv1", "checkout.session.completed", session("cs_csv1", 1234, map[string]any{"client_reference_id": "ext,\"1\"", "customer_details": map[string]any{"email": "csv@example.com"}}))
	s.send(t, "evt_csv2", "invoice.paid", inv("in_csv2", 999, "cus_nobody", nil))
	s.send(t, "evt_csv3", "charge.refunded", map[string]any{"id": "ch_x", "object": "charge", "amount": 1234, "amount_refunded": 234, "currency": "usd", "payment_intent": "pi_csv1"})

	r := s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/purchases.csv?start=2026-01-01&end=2026-12-31", s.v.SecretKey, nil))
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %s", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, r.Body)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records: %v", len(recs), recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"purchase_id", "purchased_at", "customer_external_id", "customer_email", "partner_name", "link_key",
		"utm_source", "utm_medium", "utm_campaign", "amount", "currency", "refunded_amount", "reward_amount", "reward_status", "attribution_reason"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("no column %s in %v", h, recs[0])
		}
	}
	row := recs[1]
	want := map[string]string{
		"customer_external_id": "ext,\"1\"", "customer_email": "csv@example.com", "partner_name": "Ada", "link_key": s.link.Key,
		"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring", "amount": "1234", "currency": "usd",
		"refunded_amount": "234", "reward_amount": "99", "reward_status": "approved", "attributed_by": "click",
	}
	for k, v := range want {
		if row[col[k]] != v {
			t.Fatalf("%s = %q, want %q (row %v)", k, row[col[k]], v, row)
		}
	}
	if recs[2][col["attribution_reason"]] != "no_customer" || recs[2][col["partner_name"]] != "" {
		t.Fatalf("unmatched row = %v", recs[2])
	}
	// Out of range: the header alone.
	r = s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/purchases.csv?start=2027-01-01", s.v.SecretKey, nil))
	if recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll(); err != nil || len(recs) != 1 {
		t.Fatalf("empty export = %v %v", recs, err)
	}
	s.e.Must(t, http.StatusBadRequest, s.e.Do(t, "GET", "/v1/purchases.csv?start=yesterday", s.v.SecretKey, nil))

	r = s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/rewards.csv", s.v.SecretKey, nil))
	recs, err = csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][7] != "99" || recs[1][3] != "Ada" {
		t.Fatalf("rewards.csv = %v %v", recs, err)
	}
}
