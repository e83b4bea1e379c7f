package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

func TestEraseCustomer(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	setRule(t, e, v, map[string]any{"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 0})
	// Every event is stored for this endpoint, with its payload.
	hook := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/webhook_endpoints", v.SecretKey, map[string]any{
		"url": "https://hooks.acme.invalid/tally"})).Map(t)["id"].(string)
	p := e.NewPartner(t, v, "Ada", "ada@partners.example")
	l := e.NewLink(t, v, p, "https://acme.example/")
	ref := refOf(t, e.Click(t, l.Key))
	e.Clock.Advance(time.Hour)

	const email, name, ext = "grace.hopper@navy.example", "Grace Hopper", "user-1906"
	// A Stripe purchase with the same email that matched no customer (it came first).
	ctx := context.Background()
	vd, err := e.App.Store.Vendors.FindVendor(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Store.Payments.ApplyPaymentEvent(ctx, vd, attribution.PaymentEvent{ID: "evt_1", Type: "invoice.paid",
		Purchase: &attribution.PaymentPurchase{Ref: "in_1", StripeCustomerID: "cus_Stripe1", Email: email, Amount: 700, Currency: "usd", PurchasedAt: e.Clock.Now()}}); err != nil {
		t.Fatal(err)
	}

	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{
		"public_key": v.PublicKey, "ref": ref, "email": email, "name": name, "external_id": ext,
	}, "User-Agent", testenv.BrowserUA))
	var custs struct{ Data []attribution.Customer }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/customers?email="+email, v.SecretKey, nil)).JSON(t, &custs)
	if len(custs.Data) != 1 {
		t.Fatalf("customers = %+v", custs)
	}
	id := custs.Data[0].ID
	tick(e).Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": id, "amount": 5000, "currency": "usd", "reason": "phone order",
	}))
	// A reassignment writes the customer (email, name) into the audit log.
	p2 := e.NewPartner(t, v, "Bob", "bob@partners.example")
	tick(e).Must(t, http.StatusOK, e.Do(t, "POST", "/v1/customers/"+id+"/attribution", v.SecretKey, map[string]any{"partner_id": p2.ID, "reason": "agreed"}))
	// Another vendor cannot erase it; unknown ids are 404.
	other := e.NewVendor(t, "Other")
	mustError(t, e.Do(t, "DELETE", "/v1/customers/"+id, other.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	mustError(t, e.Do(t, "DELETE", "/v1/customers/cus_nope", v.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	mustError(t, e.Do(t, "DELETE", "/v1/customers/"+id, "", nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)

	// The events about the customer and its purchases carry its email and name.
	eventPaths := func() []string {
		var deliveries struct {
			Data []struct {
				EventID string `json:"event_id"`
			}
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+hook+"/deliveries?limit=100", v.SecretKey, nil)).JSON(t, &deliveries)
		var paths []string
		for _, d := range deliveries.Data {
			paths = append(paths, "/v1/events/"+d.EventID)
		}
		return paths
	}
	personal := 0
	for _, path := range eventPaths() {
		if body := get(t, e, v.SecretKey, path); strings.Contains(body, email) && strings.Contains(body, name) {
			personal++
		}
	}
	if personal == 0 {
		t.Fatal("no webhook event carries the customer's email and name before the erasure")
	}

	var res struct {
		Customer  attribution.Customer `json:"customer"`
		Erased    bool                 `json:"erased"`
		Signups   int                  `json:"signups"`
		Purchases int                  `json:"purchases"`
	}
	tick(e).Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/customers/"+id, v.SecretKey, nil)).JSON(t, &res)
	c := res.Customer
	if !res.Erased || c.ID != id || c.Email != "" || c.ExternalID != "" || c.Name != attribution.ErasedMarker || c.PartnerID != p2.ID || res.Signups != 1 || res.Purchases != 2 {
		t.Fatalf("erasure = %+v", res)
	}

	// Nothing personal is left anywhere the API or the database shows.
	paths := []string{"/v1/customers/" + id, "/v1/customers", "/v1/purchases", "/v1/rewards", "/v1/audit", "/v1/diagnose?customer_id=" + id}
	for _, path := range append(paths, eventPaths()...) {
		body := get(t, e, v.SecretKey, path)
		for _, secret := range []string{email, name, ext, "grace"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s still shows %q: %s", path, secret, body)
			}
		}
	}
	db := e.App.Store.DB()
	var facts []struct {
		IPTrunc     string `bun:"ip_trunc"`
		VisitorHash string `bun:"visitor_hash"`
	}
	if err := db.NewSelect().TableExpr("signups").Column("ip_trunc", "visitor_hash").Where("customer_id = ?", id).Scan(ctx, &facts); err != nil {
		t.Fatal(err)
	}
	if len(facts) != 1 || facts[0].IPTrunc != "" || facts[0].VisitorHash != "" {
		t.Fatalf("signup visitor facts = %+v", facts)
	}
	if n, err := db.NewSelect().TableExpr("purchases").Where("email <> ''").Count(ctx); err != nil || n != 0 {
		t.Fatalf("purchases with an email: %d %v", n, err)
	}

	// The amounts stay, for accounting.
	var purchases struct{ Data []attribution.Purchase }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/purchases", v.SecretKey, nil)).JSON(t, &purchases)
	sum := int64(0)
	for _, pu := range purchases.Data {
		sum += pu.Amount
	}
	if len(purchases.Data) != 2 || sum != 5700 {
		t.Fatalf("purchases = %+v", purchases.Data)
	}
	var rewards struct{ Data []attribution.Reward }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards", v.SecretKey, nil)).JSON(t, &rewards)
	if len(rewards.Data) != 1 || rewards.Data[0].Amount != 500 || rewards.Data[0].CustomerID != id {
		t.Fatalf("rewards = %+v", rewards.Data)
	}

	// One audit entry says what was erased, without the values.
	erasures := auditEntries(t, e, v, "?object_id="+id)
	n := 0
	for _, a := range erasures {
		if a["action"] == attribution.ActionCustomerErase {
			n++
			if a["actor"] == "" || a["reason"] == "" {
				t.Fatalf("entry = %v", a)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d erase entries", n)
	}

	// Erasing again changes nothing and writes no second entry.
	tick(e).Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/customers/"+id, v.SecretKey, nil)).JSON(t, &res)
	if res.Erased || res.Customer.Email != "" || res.Customer.Name != attribution.ErasedMarker {
		t.Fatalf("second erasure = %+v", res)
	}
	if got := len(auditEntries(t, e, v, "?object_id="+id)); got != len(erasures) {
		t.Fatalf("audit entries %d -> %d", len(erasures), got)
	}

	// The erased email no longer finds the customer; a new signup with it is a new customer.
	mustError(t, e.Do(t, "GET", "/v1/diagnose?email="+email, v.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	r := tick(e).Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": email, "external_id": ext}))
	if r.Map(t)["customer"].(map[string]any)["id"] == id {
		t.Fatalf("signup found the erased customer")
	}
}
