package openapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

const stripeSecret = "whsec_openapi_walk_0123456789"

// TestWalkMatchesDocument drives a vendor's whole life through the real
// server — partners, links, clicks, signups, customers, purchases by hand
// and from Stripe, rewards and their actions, exclusions, exports, audit,
// analytics, diagnosis, erasure, the partner API, the snippet endpoints
// and the refusals — and validates every request and answer against
// openapi.json. Every documented operation must be reached.
func TestWalkMatchesDocument(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.CheckAllowPrivate = true })
	c := newChecker(t, e)

	// Public.
	c.call(t, http.StatusOK, "GET", "/healthz", "", nil)
	c.call(t, http.StatusOK, "GET", "/readyz", "", nil)
	c.call(t, http.StatusOK, "GET", "/v1/openapi.json", "", nil)

	// Admin.
	var v struct{ ID, SecretKey, PublicKey string }
	c.call(t, http.StatusCreated, "POST", "/admin/v1/vendors", testenv.AdminToken,
		map[string]any{"name": "Acme", "domain": "shop.example"}).JSON(t, &struct {
		ID        *string `json:"id"`
		SecretKey *string `json:"secret_key"`
		PublicKey *string `json:"public_key"`
	}{&v.ID, &v.SecretKey, &v.PublicKey})
	sk := v.SecretKey
	site := newSite(t, v.PublicKey)
	c.call(t, http.StatusOK, "GET", "/admin/v1/status", testenv.AdminToken, nil)
	c.refused(t, http.StatusUnauthorized, "POST", "/admin/v1/vendors", "wrong", map[string]any{"name": "Evil"})
	c.refused(t, http.StatusBadRequest, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]any{"nam": "Typo"})

	// The vendor's settings.
	c.call(t, http.StatusOK, "GET", "/v1/vendor", sk, nil)
	c.call(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{
		"stripe_webhook_secret": stripeSecret, "time_zone": "Europe/Paris", "reason": "setup",
		"reward_rule": map[string]any{"type": "percent", "percent": 2000, "duration_months": 12, "hold_days": 30},
	})
	c.refused(t, http.StatusUnauthorized, "GET", "/v1/vendor", "", nil)
	c.refused(t, http.StatusBadRequest, "PATCH", "/v1/vendor", sk, map[string]any{"attribution_window_days": 0})
	c.refused(t, http.StatusBadRequest, "PATCH", "/v1/vendor", sk, `{"name":`)

	// Partners.
	var ada, bob struct{ ID, Token string }
	c.call(t, http.StatusCreated, "POST", "/v1/partners", sk, map[string]any{"name": "Ada", "email": "ada@partner.example"}).JSON(t, &ada)
	c.call(t, http.StatusCreated, "POST", "/v1/partners", sk, map[string]any{"name": "Bob", "email": "bob@partner.example", "status": "active"}).JSON(t, &bob)
	c.call(t, http.StatusConflict, "POST", "/v1/partners", sk, map[string]any{"name": "Ada again", "email": "ada@partner.example"})
	var page struct {
		HasMore    bool   `json:"has_more"`
		NextCursor string `json:"next_cursor"`
	}
	c.call(t, http.StatusOK, "GET", "/v1/partners?limit=1", sk, nil).JSON(t, &page)
	if !page.HasMore || page.NextCursor == "" {
		t.Fatalf("a page of one partner of two: has_more %v, next_cursor %q", page.HasMore, page.NextCursor)
	}
	c.call(t, http.StatusOK, "GET", "/v1/partners?limit=1&cursor="+page.NextCursor, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partners?status=active&email=ada%40partner.example", sk, nil)
	c.refused(t, http.StatusBadRequest, "GET", "/v1/partners?limit=0", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partners/"+ada.ID, sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/partners/par_01hzzzzzzzzzzzzzzzzzzzzzzz", sk, nil)
	c.call(t, http.StatusOK, "PATCH", "/v1/partners/"+ada.ID, sk, map[string]any{
		"name": "Ada L.", "reason": "vip",
		"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "usd", "duration_months": nil, "hold_days": 30},
	})
	c.call(t, http.StatusCreated, "POST", "/v1/partners/"+ada.ID+"/codes", sk, map[string]any{"code": "ada10"})
	c.call(t, http.StatusConflict, "POST", "/v1/partners/"+ada.ID+"/codes", sk, map[string]any{"code": "ADA10"})
	c.call(t, http.StatusOK, "GET", "/v1/partners/"+ada.ID+"/codes", sk, nil)

	// The program: its page, applications' decisions, invites.
	c.call(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{"program_page": map[string]any{"enabled": true, "slug": "acme"}})
	c.refused(t, http.StatusBadRequest, "PATCH", "/v1/vendor", sk, map[string]any{"program_page": map[string]any{"slug": "Not a slug!"}})
	var pat, ivy struct{ ID string }
	c.call(t, http.StatusCreated, "POST", "/v1/partners", sk, map[string]any{"name": "Pat", "email": "pat@partner.example", "status": "pending"}).JSON(t, &pat)
	c.call(t, http.StatusCreated, "POST", "/v1/partners", sk, map[string]any{"name": "Ivy", "email": "ivy@partner.example", "status": "invited"}).JSON(t, &ivy)
	c.call(t, http.StatusOK, "POST", "/v1/partners/"+pat.ID+"/reject", sk, map[string]any{"reason": "not a fit"})
	c.call(t, http.StatusConflict, "POST", "/v1/partners/"+pat.ID+"/approve", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/partners/"+ivy.ID+"/invite", sk, nil)
	c.call(t, http.StatusConflict, "POST", "/v1/partners/"+ada.ID+"/invite", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/partners/"+ivy.ID+"/approve", sk, map[string]any{})
	c.call(t, http.StatusNotFound, "POST", "/v1/partners/par_01hzzzzzzzzzzzzzzzzzzzzzzz/reject", sk, nil)

	// Links.
	var adaLink, bobLink struct{ ID, Key string }
	c.call(t, http.StatusCreated, "POST", "/v1/links", sk, map[string]any{
		"partner_id": ada.ID, "destination_url": site.URL + "/pricing", "key": "ada-link",
		"utm": map[string]any{"source": "newsletter", "medium": "email"},
	}).JSON(t, &adaLink)
	c.call(t, http.StatusCreated, "POST", "/v1/links", sk, map[string]any{"partner_id": bob.ID, "destination_url": "https://shop.example/"}).JSON(t, &bobLink)
	c.call(t, http.StatusConflict, "POST", "/v1/links", sk, map[string]any{"partner_id": bob.ID, "destination_url": "https://shop.example/", "key": "ada-link"})
	c.call(t, http.StatusBadRequest, "POST", "/v1/links", sk, map[string]any{"partner_id": "par_01hzzzzzzzzzzzzzzzzzzzzzzz", "destination_url": "https://shop.example/"})
	c.refused(t, http.StatusBadRequest, "POST", "/v1/links", sk, map[string]any{"partner_id": bob.ID})
	c.call(t, http.StatusOK, "PATCH", "/v1/links/"+adaLink.ID, sk, map[string]any{"key": "ada-2027", "reason": "rename"})
	c.call(t, http.StatusOK, "GET", "/v1/links?partner_id="+ada.ID+"&status=active", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/links/"+adaLink.ID, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/links/"+adaLink.ID+"/qr.svg", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/links/"+adaLink.ID+"/qr.png?size=128", sk, nil)
	c.refused(t, http.StatusBadRequest, "GET", "/v1/links/"+adaLink.ID+"/qr.png?size=5", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/links/"+adaLink.ID+"/check", sk, nil)
	c.call(t, http.StatusNotFound, "POST", "/v1/links/lnk_01hzzzzzzzzzzzzzzzzzzzzzzz/check", sk, nil)

	// Clicks and signups, from the backend and from the snippet.
	carolToken := clickToken(t, e, "ada-2027")
	var carol struct {
		Customer struct{ ID string } `json:"customer"`
	}
	c.call(t, http.StatusCreated, "POST", "/v1/signups", sk, map[string]any{
		"email": "carol@customer.example", "name": "Carol", "ref": carolToken,
		"ip": "203.0.113.7", "user_agent": testenv.BrowserUA,
	}).JSON(t, &carol)
	c.call(t, http.StatusOK, "POST", "/v1/signups", sk, map[string]any{"email": "carol@customer.example", "external_id": "u-1"})
	c.refused(t, http.StatusBadRequest, "POST", "/v1/signups", sk, map[string]any{"name": "Nobody"})
	c.call(t, http.StatusCreated, "POST", "/v1/snippet/signup", "", map[string]any{
		"public_key": v.PublicKey, "email": "dave@customer.example", "ref": clickToken(t, e, bobLink.Key),
	})
	c.call(t, http.StatusCreated, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": v.PublicKey, "external_id": "u-9"})
	c.refused(t, http.StatusUnauthorized, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": sk, "email": "eve@customer.example"})
	c.call(t, http.StatusUnauthorized, "POST", "/v1/snippet/signup", "", map[string]any{"public_key": "pk_unknown0000000000", "email": "eve@customer.example"})
	ping := map[string]any{"public_key": v.PublicKey, "url": "https://shop.example/pricing?tally_ref=x", "ref_in_url": true, "cookie_ok": true}
	c.call(t, http.StatusNoContent, "POST", "/v1/snippet/ping", "", ping)
	pingText, _ := json.Marshal(ping)
	c.call(t, http.StatusNoContent, "POST", "/v1/snippet/ping", "", string(pingText), "Content-Type", "text/plain")
	c.call(t, http.StatusBadRequest, "POST", "/v1/snippet/ping", "", map[string]any{"public_key": v.PublicKey, "url": "nowhere"})
	c.call(t, http.StatusOK, "GET", "/v1/snippet/config?public_key="+v.PublicKey, "", nil)
	c.refused(t, http.StatusBadRequest, "GET", "/v1/snippet/config", "", nil)
	for _, p := range []string{"signup", "ping", "config"} {
		c.call(t, http.StatusNoContent, "OPTIONS", "/v1/snippet/"+p, "", nil, "Origin", "https://shop.example")
	}
	c.call(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{"allowed_origins": []string{"https://shop.example"}})
	c.call(t, http.StatusForbidden, "GET", "/v1/snippet/config?public_key="+v.PublicKey, "", nil, "Origin", "https://evil.example")
	c.call(t, http.StatusOK, "GET", "/v1/snippet/config?public_key="+v.PublicKey, "", nil, "Origin", "https://shop.example")

	// Customers credited by hand.
	var erin struct{ ID string }
	c.call(t, http.StatusCreated, "POST", "/v1/customers", sk, map[string]any{
		"email": "erin@customer.example", "partner_id": bob.ID, "reason": "phone order", "stripe_customer_id": "cus_Erin42",
	}).JSON(t, &erin)
	c.call(t, http.StatusConflict, "POST", "/v1/customers", sk, map[string]any{"email": "erin@customer.example", "partner_id": bob.ID, "reason": "again"})
	c.refused(t, http.StatusBadRequest, "POST", "/v1/customers", sk, map[string]any{"email": "frank@customer.example", "partner_id": bob.ID})
	c.call(t, http.StatusOK, "GET", "/v1/customers?status=attributed&partner_id="+ada.ID, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/customers?email=carol%40customer.example&external_id=u-1", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/customers/"+carol.Customer.ID, sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/customers/cus_01hzzzzzzzzzzzzzzzzzzzzzzz", sk, nil)

	// Purchases: by hand, and from Stripe.
	var bought struct {
		ID      string
		Rewards []struct{ ID string } `json:"rewards"`
	}
	c.call(t, http.StatusCreated, "POST", "/v1/purchases", sk, map[string]any{
		"customer_id": carol.Customer.ID, "amount": 10000, "currency": "USD", "reason": "phone order",
		"purchased_at": e.Clock.Now().Add(-time.Hour).Format(time.RFC3339),
	}).JSON(t, &bought)
	if len(bought.Rewards) != 1 {
		t.Fatalf("the purchase earned %d rewards, want 1", len(bought.Rewards))
	}
	c.call(t, http.StatusNotFound, "POST", "/v1/purchases", sk, map[string]any{"customer_id": "cus_01hzzzzzzzzzzzzzzzzzzzzzzz", "amount": 100, "currency": "usd", "reason": "x"})
	c.refused(t, http.StatusBadRequest, "POST", "/v1/purchases", sk, map[string]any{"customer_id": carol.Customer.ID, "amount": -1, "currency": "usd", "reason": "x"})
	stripe := func(want int, id, typ string, obj map[string]any) {
		t.Helper()
		payload, _ := json.Marshal(map[string]any{
			"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
			"created": e.Clock.Now().Unix(), "livemode": true, "data": map[string]any{"object": obj},
		})
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: stripeSecret, Timestamp: time.Now()})
		c.call(t, want, "POST", "/webhooks/stripe/"+v.ID, "", sp.Payload, "Stripe-Signature", sp.Header)
	}
	session := map[string]any{
		"id": "cs_walk_1", "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
		"amount_total": 5000, "currency": "usd", "payment_intent": "pi_walk_1", "customer": "cus_Frank1",
		"client_reference_id": clickToken(t, e, "ada-2027"), "customer_details": map[string]any{"email": "frank@customer.example"},
	}
	stripe(http.StatusOK, "evt_walk_1", "checkout.session.completed", session)
	stripe(http.StatusOK, "evt_walk_1", "checkout.session.completed", session) // redelivered: duplicate
	stripe(http.StatusOK, "evt_walk_2", "charge.refunded", map[string]any{
		"id": "ch_walk_1", "object": "charge", "amount": 5000, "amount_refunded": 1000, "currency": "usd", "payment_intent": "pi_walk_1",
	})
	c.call(t, http.StatusBadRequest, "POST", "/webhooks/stripe/"+v.ID, "", `{"id":"evt_x","type":"charge.refunded"}`, "Stripe-Signature", "t=1,v1=00")
	c.call(t, http.StatusNotFound, "POST", "/webhooks/stripe/ven_01hzzzzzzzzzzzzzzzzzzzzzzz", "", `{"id":"evt_x","type":"charge.refunded"}`, "Stripe-Signature", "t=1,v1=00")
	// The vendor's Stripe events: listed by page, and only a dead one retried.
	c.call(t, http.StatusOK, "GET", "/v1/stripe_events?limit=1", sk, nil).JSON(t, &page)
	if !page.HasMore || page.NextCursor == "" {
		t.Fatalf("a page of one Stripe event of two: has_more %v, next_cursor %q", page.HasMore, page.NextCursor)
	}
	c.call(t, http.StatusOK, "GET", "/v1/stripe_events?limit=1&cursor="+page.NextCursor, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/stripe_events?status=dead", sk, nil)
	c.refused(t, http.StatusBadRequest, "GET", "/v1/stripe_events?status=lost", sk, nil)
	c.call(t, http.StatusBadRequest, "GET", "/v1/stripe_events?cursor=evt_unknown", sk, nil)
	c.call(t, http.StatusConflict, "POST", "/v1/stripe_events/evt_walk_1/retry", sk, nil)
	c.call(t, http.StatusNotFound, "POST", "/v1/stripe_events/evt_nope/retry", sk, map[string]any{"reason": "fixed"})
	c.call(t, http.StatusOK, "GET", "/v1/purchases?status=partially_refunded", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/purchases?customer_id="+carol.Customer.ID+"&partner_id="+ada.ID+"&limit=10", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/purchases/"+bought.ID, sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/purchases/"+bought.ID+"/exclude", sk, map[string]any{"reason": "test", "note": "QA order"})
	c.call(t, http.StatusOK, "POST", "/v1/purchases/"+bought.ID+"/include", sk, nil)
	c.call(t, http.StatusConflict, "POST", "/v1/purchases/"+bought.ID+"/include", sk, map[string]any{"reason": "twice"})
	c.refused(t, http.StatusBadRequest, "POST", "/v1/purchases/"+bought.ID+"/exclude", sk, map[string]any{"reason": "bored"})
	c.call(t, http.StatusOK, "GET", "/v1/purchases.csv?start=2026-01-01&end=2026-01-31&tz=Europe%2FParis&partner_id="+ada.ID, sk, nil)
	c.call(t, http.StatusBadRequest, "GET", "/v1/purchases.csv?start=2026-02-01&end=2026-01-01", sk, nil)

	// Rewards and their actions.
	reward := bought.Rewards[0].ID
	c.call(t, http.StatusOK, "GET", "/v1/rewards?status=pending&kind=purchase&partner_id="+ada.ID, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/rewards?customer_id="+carol.Customer.ID+"&purchase_id="+bought.ID, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/rewards/"+reward, sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/rewards/"+reward+"/approve", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/rewards/"+reward+"/pay", sk, map[string]any{"reason": "January payout"})
	c.call(t, http.StatusConflict, "POST", "/v1/rewards/"+reward+"/pay", sk, nil)
	var bonus struct{ ID string }
	c.call(t, http.StatusCreated, "POST", "/v1/rewards", sk, map[string]any{
		"partner_id": bob.ID, "customer_id": erin.ID, "amount": 700, "currency": "usd", "reason": "launch bonus",
	}).JSON(t, &bonus)
	c.call(t, http.StatusBadRequest, "POST", "/v1/rewards/"+bonus.ID+"/decline", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/rewards/"+bonus.ID+"/decline", sk, map[string]any{"reason": "duplicate"})
	c.call(t, http.StatusNotFound, "POST", "/v1/rewards", sk, map[string]any{"partner_id": "par_01hzzzzzzzzzzzzzzzzzzzzzzz", "amount": 1, "currency": "usd", "reason": "x"})
	c.call(t, http.StatusOK, "GET", "/v1/rewards.csv?status=paid&start=2026-01-01", sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/rewards/rwd_01hzzzzzzzzzzzzzzzzzzzzzzz", sk, nil)
	// The purchase excluded after its reward was paid: an adjustment.
	c.call(t, http.StatusOK, "POST", "/v1/purchases/"+bought.ID+"/exclude", sk, map[string]any{"reason": "fraud"})
	c.call(t, http.StatusOK, "GET", "/v1/rewards?kind=adjustment", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/customers/"+carol.Customer.ID+"/attribution", sk, map[string]any{
		"partner_id": bob.ID, "reason": "support ticket", "move_rewards": true,
	})
	c.call(t, http.StatusNotFound, "POST", "/v1/customers/"+carol.Customer.ID+"/attribution", sk, map[string]any{
		"partner_id": "par_01hzzzzzzzzzzzzzzzzzzzzzzz", "reason": "x",
	})

	// The audit log, analytics, health, diagnosis.
	c.call(t, http.StatusOK, "GET", "/v1/audit", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/audit?object_type=partner&object_id="+ada.ID+"&limit=1", sk, nil)
	c.refused(t, http.StatusBadRequest, "GET", "/v1/audit?object_type=planet", sk, nil)
	for _, g := range []string{"day", "partner", "link", "source", "country"} {
		c.call(t, http.StatusOK, "GET", "/v1/analytics?start=2026-01-01&end=2026-01-31&tz=UTC&group_by="+g, sk, nil)
	}
	c.call(t, http.StatusOK, "GET", "/v1/analytics?partner_id="+ada.ID+"&link_id="+adaLink.ID+"&utm_source=newsletter&variant=a", sk, nil)
	c.call(t, http.StatusBadRequest, "GET", "/v1/analytics?start=2026-01-31&end=2026-01-01", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/gaps", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/gaps?start=2026-01-01&end=2026-01-31&tz=UTC", sk, nil)
	c.call(t, http.StatusBadRequest, "GET", "/v1/gaps?start=2026-01-31&end=2026-01-01", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/health/snippet?days=7", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/health/snippet", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/diagnose?email=carol%40customer.example", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/diagnose?customer_id="+erin.ID, sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/diagnose?email=frank%40customer.example", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/diagnose?external_id=u-9", sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/diagnose?email=nobody%40customer.example", sk, nil)
	c.call(t, http.StatusBadRequest, "GET", "/v1/diagnose", sk, nil)

	// The partner API.
	c.call(t, http.StatusOK, "GET", "/v1/partner/me", ada.Token, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partner/links?status=active&limit=5", ada.Token, nil)
	c.call(t, http.StatusCreated, "POST", "/v1/partner/links", ada.Token, map[string]any{
		"destination_url": "https://www.shop.example/spring", "key": "ada-spring", "utm": map[string]any{"campaign": "spring"},
	})
	c.call(t, http.StatusBadRequest, "POST", "/v1/partner/links", ada.Token, map[string]any{"destination_url": "https://elsewhere.example/"})
	c.call(t, http.StatusConflict, "POST", "/v1/partner/links", ada.Token, map[string]any{"destination_url": "https://shop.example/", "key": "ada-spring"})
	c.call(t, http.StatusOK, "GET", "/v1/partner/rewards", ada.Token, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partner/rewards?status=paid", bob.Token, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partner/analytics?start=2026-01-01&end=2026-01-31&tz=Europe%2FParis", ada.Token, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partner/analytics", bob.Token, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partner/customers", bob.Token, nil)
	c.refused(t, http.StatusUnauthorized, "GET", "/v1/partner/me", sk, nil)
	c.refused(t, http.StatusUnauthorized, "GET", "/v1/partners", ada.Token, nil)

	// Payouts and the partner's payout settings.
	c.call(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{"minimum_payout": 100})
	c.call(t, http.StatusOK, "PATCH", "/v1/partner/me", ada.Token, map[string]any{
		"payout_method": map[string]any{"type": "wise", "name": "Ada L", "iban": "DE89 3704 0044 0532 0130 00", "bic": "DEUTDEFF", "currency": "eur"},
		"notifications": map[string]any{"new_reward": false},
	})
	c.call(t, http.StatusOK, "PATCH", "/v1/partner/me", bob.Token, map[string]any{"payout_method": map[string]any{"type": "paypal", "email": "bob@pay.example"}})
	c.call(t, http.StatusBadRequest, "PATCH", "/v1/partner/me", ada.Token, map[string]any{"payout_method": map[string]any{"type": "wise", "name": "Ada", "iban": "DE00", "currency": "eur"}})
	c.call(t, http.StatusOK, "GET", "/v1/partners/"+ada.ID, sk, nil)
	c.call(t, http.StatusCreated, "POST", "/v1/rewards", sk, map[string]any{"partner_id": ada.ID, "amount": 1500, "currency": "usd", "reason": "launch bonus"})
	c.call(t, http.StatusCreated, "POST", "/v1/rewards", sk, map[string]any{"partner_id": ada.ID, "amount": 900, "currency": "jpy", "reason": "launch bonus"})
	c.call(t, http.StatusOK, "GET", "/v1/payouts/due", sk, nil)
	var batches struct{ Data []struct{ ID string } }
	c.call(t, http.StatusCreated, "POST", "/v1/payouts", sk, map[string]any{"partner_ids": []string{ada.ID}}).JSON(t, &batches)
	if len(batches.Data) == 0 {
		t.Fatal("no payout batch")
	}
	c.call(t, http.StatusCreated, "POST", "/v1/payouts", sk, nil)
	c.call(t, http.StatusBadRequest, "POST", "/v1/payouts", sk, map[string]any{"partner_ids": []string{"x"}})
	po := batches.Data[0].ID
	c.call(t, http.StatusOK, "GET", "/v1/payouts?limit=10&status=pending", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/payouts/"+po, sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/payouts/po_01hzzzzzzzzzzzzzzzzzzzzzzz", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/payouts/"+po+".csv?format=paypal", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/payouts/"+po+".csv?format=wise", sk, nil)
	c.refused(t, http.StatusBadRequest, "GET", "/v1/payouts/"+po+".csv?format=xlsx", sk, nil)
	c.call(t, http.StatusOK, "POST", "/v1/payouts/"+po+"/paid", sk, map[string]any{"reason": "sent"})
	c.call(t, http.StatusConflict, "POST", "/v1/payouts/"+po+"/paid", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/partner/payouts?limit=5", ada.Token, nil)
	c.call(t, http.StatusOK, "GET", "/v1/audit?object_type=payout", sk, nil)
	// Outbound webhook endpoints, their deliveries and events.
	var hook struct {
		ID string `json:"id"`
	}
	c.call(t, http.StatusCreated, "POST", "/v1/webhook_endpoints", sk, map[string]any{
		"url": site.URL + "/hooks", "events": []string{"partner.updated", "link.clicked"}, "description": "CRM",
	}).JSON(t, &hook)
	c.refused(t, http.StatusBadRequest, "POST", "/v1/webhook_endpoints", sk, map[string]any{"url": "ftp://hooks.example/"})
	c.call(t, http.StatusOK, "GET", "/v1/webhook_endpoints?limit=5", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/webhook_endpoints/"+hook.ID, sk, nil)
	c.call(t, http.StatusOK, "PATCH", "/v1/webhook_endpoints/"+hook.ID, sk, map[string]any{"description": "CRM sync", "status": "enabled"})
	c.call(t, http.StatusOK, "POST", "/v1/webhook_endpoints/"+hook.ID+"/rotate_secret", sk, nil)
	c.call(t, http.StatusOK, "PATCH", "/v1/partners/"+ada.ID, sk, map[string]any{"name": "Ada Lovelace"})
	var deliveries struct {
		Data []struct {
			ID      string `json:"id"`
			EventID string `json:"event_id"`
		} `json:"data"`
	}
	c.call(t, http.StatusOK, "GET", "/v1/webhook_endpoints/"+hook.ID+"/deliveries?status=pending", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/webhook_endpoints/"+hook.ID+"/deliveries", sk, nil).JSON(t, &deliveries)
	if len(deliveries.Data) != 1 {
		t.Fatalf("deliveries %+v", deliveries.Data)
	}
	c.call(t, http.StatusOK, "POST", "/v1/webhook_endpoints/"+hook.ID+"/deliveries/"+deliveries.Data[0].ID+"/retry", sk, map[string]any{"reason": "replay"})
	c.call(t, http.StatusNotFound, "POST", "/v1/webhook_endpoints/"+hook.ID+"/deliveries/whd_01hzzzzzzzzzzzzzzzzzzzzzzz/retry", sk, nil)
	c.call(t, http.StatusOK, "GET", "/v1/events/"+deliveries.Data[0].EventID, sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/events/evt_01hzzzzzzzzzzzzzzzzzzzzzzz", sk, nil)
	c.call(t, http.StatusNoContent, "DELETE", "/v1/webhook_endpoints/"+hook.ID, sk, nil)
	c.call(t, http.StatusNotFound, "GET", "/v1/webhook_endpoints/"+hook.ID, sk, nil)

	// Erasure and archiving.
	c.call(t, http.StatusOK, "DELETE", "/v1/customers/"+erin.ID, sk, nil)
	c.call(t, http.StatusOK, "DELETE", "/v1/customers/"+erin.ID, sk, nil)
	c.call(t, http.StatusOK, "DELETE", "/v1/links/"+bobLink.ID, sk, nil)
	c.call(t, http.StatusNotFound, "DELETE", "/v1/links/lnk_01hzzzzzzzzzzzzzzzzzzzzzzz", sk, nil)
	c.call(t, http.StatusOK, "PATCH", "/v1/partners/"+bob.ID, sk, map[string]any{"status": "disabled", "reward_rule": nil})
	c.call(t, http.StatusOK, "PATCH", "/v1/vendor", sk, map[string]any{"reward_rule": nil, "allowed_origins": []string{}})

	for _, op := range c.unreached() {
		t.Errorf("no request reached %s", op)
	}
}

// clickToken follows a referral link like a browser and returns its token.
func clickToken(t *testing.T, e *testenv.Env, key string) string {
	t.Helper()
	r := e.Must(t, http.StatusFound, e.Click(t, key))
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("tally_ref")
	if token == "" {
		t.Fatalf("no tally_ref in %s", r.Header.Get("Location"))
	}
	return token
}

// newSite is the vendor's web site, with the snippet, for the link check.
func newSite(t *testing.T, publicKey string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Shop</title>
<script async src="https://tally.example/snippet.js" data-key="%s"></script></head><body>Pricing</body></html>`, publicKey)
	}))
	t.Cleanup(s.Close)
	return s
}
