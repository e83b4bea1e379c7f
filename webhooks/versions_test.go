package webhooks_test

import (
	"fmt"
	"net/http"
	"testing"
)

// Fixtures per Stripe API version, written from Stripe's API reference for
// each: what an invoice.paid, its payment and its refund look like when a
// webhook endpoint renders events at that version.

// subscriptionInvoice is a paid subscription invoice of amount for Stripe
// customer cus at version v, with metadata on its subscription.
func subscriptionInvoice(v, id string, amount int64, cus string, subMeta map[string]any) map[string]any {
	o := map[string]any{
		"id": id, "object": "invoice", "amount_paid": amount, "amount_due": amount, "currency": "usd",
		"customer": cus, "status": "paid", "billing_reason": "subscription_create",
		"status_transitions": map[string]any{"paid_at": nil},
	}
	switch v {
	case "2020-08-27":
		o["charge"], o["payment_intent"], o["subscription"] = "ch_"+id[3:], "pi_"+id[3:], "sub_"+id[3:]
		o["discount"] = nil
	case "2023-10-16":
		o["charge"], o["payment_intent"], o["subscription"] = "ch_"+id[3:], "pi_"+id[3:], "sub_"+id[3:]
		o["subscription_details"] = map[string]any{"metadata": subMeta}
		o["discounts"] = []any{}
	default: // 2025-03-31.basil, 2025-09-30.clover: no charge, payment_intent or subscription
		o["parent"] = map[string]any{
			"type":                 "subscription_details",
			"quote_details":        nil,
			"subscription_details": map[string]any{"subscription": "sub_" + id[3:], "metadata": subMeta},
		}
		o["discounts"] = []any{}
	}
	return o
}

// invoicePayment is the invoice_payment object of basil and clover.
func invoicePayment(invoiceID string, amount int64) map[string]any {
	return map[string]any{
		"id": "inpay_" + invoiceID[3:], "object": "invoice_payment", "amount_paid": amount, "amount_requested": amount,
		"currency": "usd", "invoice": invoiceID, "is_default": true, "livemode": true, "status": "paid",
		"payment":            map[string]any{"type": "payment_intent", "payment_intent": "pi_" + invoiceID[3:]},
		"status_transitions": map[string]any{"canceled_at": nil, "paid_at": 1768478400},
	}
}

// chargeRefunded is the charge of a charge.refunded event: from basil on a
// charge no longer names its invoice.
func chargeRefunded(v, invoiceID string, amount, refunded int64, currency string) map[string]any {
	o := map[string]any{
		"id": "ch_" + invoiceID[3:], "object": "charge", "amount": amount, "amount_refunded": refunded,
		"currency": currency, "payment_intent": "pi_" + invoiceID[3:], "refunded": refunded == amount, "paid": true,
	}
	if v == "2020-08-27" || v == "2023-10-16" {
		o["invoice"] = invoiceID
	}
	return o
}

// refundObject is a refund object (refund.created / refund.updated).
func refundObject(id, invoiceID string, amount int64, status string) map[string]any {
	return map[string]any{
		"id": id, "object": "refund", "amount": amount, "currency": "usd", "status": status,
		"charge": "ch_" + invoiceID[3:], "payment_intent": "pi_" + invoiceID[3:],
	}
}

var stripeVersions = []string{"2020-08-27", "2023-10-16", "2025-03-31.basil", "2025-09-30.clover"}

// A subscription refunded under basil or clover, whatever order the events
// arrive in, reverses the reward exactly as under 2023-10-16.
func TestStripe_SubscriptionRefundEveryVersionAndOrder(t *testing.T) {
	const amount = 10000 // reward 10 %: 1000
	type step string
	const (
		invoicePaid step = "invoice"
		paymentPaid step = "payment"
		refundEvent step = "refund"
	)
	orders := [][]step{
		{invoicePaid, paymentPaid, refundEvent},
		{paymentPaid, invoicePaid, refundEvent},
		{invoicePaid, refundEvent, paymentPaid},
		{refundEvent, invoicePaid, paymentPaid},
		{refundEvent, paymentPaid, invoicePaid},
		{paymentPaid, refundEvent, invoicePaid},
	}
	for _, v := range stripeVersions {
		for _, refunded := range []int64{2500, amount} {
			for _, order := range orders {
				name := fmt.Sprintf("%s/refund%d/%v", v, refunded, order)
				t.Run(name, func(t *testing.T) {
					s := newShop(t, percent10)
					s.version = v
					tok := s.token(t)
					// The customer signed up through the vendor's backend and
					// is linked to its Stripe customer.
					s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": tok, "email": "sub@example.com"}))
					s.send(t, "evt_cus", "customer.created", map[string]any{"id": "cus_sub", "object": "customer", "email": "sub@example.com"})
					for i, st := range order {
						evt := fmt.Sprintf("evt_%d", i)
						switch st {
						case invoicePaid:
							s.send(t, evt, "invoice.paid", subscriptionInvoice(v, "in_sub1", amount, "cus_sub", nil))
						case paymentPaid:
							if v == "2020-08-27" || v == "2023-10-16" {
								continue // no invoice_payment objects before basil
							}
							s.send(t, evt, "invoice_payment.paid", invoicePayment("in_sub1", amount))
						case refundEvent:
							s.send(t, evt, "charge.refunded", chargeRefunded(v, "in_sub1", amount, refunded, "usd"))
						}
					}
					ps := s.purchases(t, "")
					if len(ps) != 1 || ps[0]["refunded_amount"] != float64(refunded) {
						t.Fatalf("purchases = %v", ps)
					}
					rs := s.rewards(t, "?kind=purchase")
					want := float64(1000 * (amount - refunded) / amount)
					if len(rs) != 1 || rs[0]["amount"] != want || rs[0]["original_amount"] != 1000.0 {
						t.Fatalf("reward = %v, want amount %v", rs, want)
					}
					if refunded == amount && rs[0]["status"] != "reversed" {
						t.Fatalf("full refund: reward %v, want reversed", rs[0])
					}
				})
			}
		}
	}
}

// Refund objects (refund.created, refund.updated) add up per charge; a
// failed refund takes nothing back; the invoice's payments listed inline
// link the purchase without an invoice_payment event.
func TestStripe_RefundObjectsAndInlinePayments(t *testing.T) {
	for _, v := range []string{"2025-03-31.basil", "2025-09-30.clover"} {
		t.Run(v, func(t *testing.T) {
			s := newShop(t, percent10)
			s.version = v
			s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": s.token(t), "email": "r@example.com"}))
			in := subscriptionInvoice(v, "in_r1", 10000, "cus_r", nil)
			in["customer_email"] = "r@example.com"
			in["payments"] = map[string]any{"object": "list", "data": []any{invoicePayment("in_r1", 10000)}, "has_more": false}
			// A refund object before its purchase is kept for it.
			if out := s.send(t, "evt_rf0", "refund.created", refundObject("re_1", "in_r1", 1000, "succeeded")); out != "orphan_refund" {
				t.Fatalf("early refund: %s", out)
			}
			if out := s.send(t, "evt_in", "invoice.paid", in); out != "purchase" {
				t.Fatalf("invoice: %s", out)
			}
			s.send(t, "evt_rf1", "refund.created", refundObject("re_2", "in_r1", 2000, "pending"))
			s.send(t, "evt_rf2", "refund.created", refundObject("re_3", "in_r1", 5000, "failed"))
			s.send(t, "evt_rf3", "refund.updated", refundObject("re_2", "in_r1", 2000, "succeeded"))
			ps := s.purchases(t, "")
			if len(ps) != 1 || ps[0]["refunded_amount"] != 3000.0 || ps[0]["stripe_payment_intent_id"] != "pi_r1" {
				t.Fatalf("purchase = %v", ps)
			}
			if rs := s.rewards(t, "?kind=purchase"); len(rs) != 1 || rs[0]["amount"] != 700.0 {
				t.Fatalf("reward = %v", rs)
			}
		})
	}
}

// A refund in another currency than its purchase is not that purchase's
// money: stored, never applied (in order, and when it came first).
func TestStripe_RefundInAnotherCurrency(t *testing.T) {
	s := newShop(t, percent10)
	s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": s.token(t), "email": "c@example.com"}))
	if out := s.send(t, "evt_early", "charge.refunded", chargeRefunded("2023-10-16", "in_c2", 10000, 10000, "jpy")); out != "orphan_refund" {
		t.Fatalf("early: %s", out)
	}
	s.send(t, "evt_in1", "invoice.paid", inv("in_c1", 10000, "", map[string]any{"customer_email": "c@example.com"}))
	s.send(t, "evt_in2", "invoice.paid", inv("in_c2", 10000, "", map[string]any{"customer_email": "c@example.com"}))
	if out := s.send(t, "evt_jpy", "charge.refunded", chargeRefunded("2023-10-16", "in_c1", 10000, 5000, "jpy")); out != "currency_mismatch" {
		t.Fatalf("outcome = %s", out)
	}
	for _, p := range s.purchases(t, "") {
		if p["refunded_amount"] != 0.0 || p["status"] != "succeeded" {
			t.Fatalf("purchase changed by a JPY refund: %v", p)
		}
	}
	for _, r := range s.rewards(t, "") {
		if r["amount"] != 1000.0 {
			t.Fatalf("reward changed by a JPY refund: %v", r)
		}
	}
}

// Large currencies: a 3,000,000,000.00 IDR refund of a 6,000,000,000.00
// purchase halves the reward (the intermediate product overflows int64).
func TestStripe_LargeAmountsRefundExactly(t *testing.T) {
	s := newShop(t, percent10)
	s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/signups", s.v.SecretKey, map[string]any{"ref": s.token(t), "email": "idr@example.com"}))
	in := inv("in_idr", 600_000_000_000, "", map[string]any{"customer_email": "idr@example.com", "currency": "idr"})
	s.send(t, "evt_idr", "invoice.paid", in)
	ch := chargeRefunded("2023-10-16", "in_idr", 600_000_000_000, 300_000_000_000, "idr")
	if out := s.send(t, "evt_idr_r", "charge.refunded", ch); out != "refund" {
		t.Fatalf("outcome = %s", out)
	}
	if rs := s.rewards(t, ""); len(rs) != 1 || rs[0]["amount"] != 30_000_000_000.0 {
		t.Fatalf("reward = %v, want 30000000000", rs)
	}
	// An amount beyond what Tally accepts is stored, counted nowhere.
	huge := inv("in_huge", 9_223_372_036_854_775_807, "", map[string]any{"customer_email": "idr@example.com"})
	if out := s.send(t, "evt_huge", "invoice.paid", huge); out != "amount_out_of_range" {
		t.Fatalf("outcome = %s", out)
	}
	if n := s.count(t, "purchases"); n != 1 {
		t.Fatalf("%d purchases, want 1", n)
	}
	s.e.Must(t, http.StatusOK, s.e.Do(t, "GET", "/v1/analytics?group_by=partner&start=2026-01-01&end=2026-12-31", s.v.SecretKey, nil))
}

// Clover moved a discount's coupon under source; the promotion code still
// credits its partner, in both shapes.
func TestStripe_CloverDiscountsCreditCodes(t *testing.T) {
	for _, v := range []string{"2025-03-31.basil", "2025-09-30.clover"} {
		t.Run(v, func(t *testing.T) {
			s := newShop(t, percent10)
			s.version = v
			s.e.Must(t, http.StatusCreated, s.e.Do(t, "POST", "/v1/partners/"+s.p.ID+"/codes", s.v.SecretKey, map[string]any{"code": "promo_ada"}))
			d := map[string]any{"id": "di_1", "object": "discount", "promotion_code": "promo_ada"}
			if v == "2025-09-30.clover" {
				d["source"] = map[string]any{"type": "coupon", "coupon": "co_x"}
			} else {
				d["coupon"] = map[string]any{"id": "co_x", "object": "coupon", "percent_off": 10}
			}
			in := subscriptionInvoice(v, "in_code", 5000, "cus_code", nil)
			in["customer_email"] = "code@example.com"
			in["discounts"] = []any{d}
			s.send(t, "evt_code", "invoice.paid", in)
			ps := s.purchases(t, "")
			if len(ps) != 1 || ps[0]["partner_id"] != s.p.ID || ps[0]["attributed_by"] != "promotion_code" {
				t.Fatalf("purchase = %v", ps)
			}
		})
	}
}
