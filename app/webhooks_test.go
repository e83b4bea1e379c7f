package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
)

// delivery is one request the receiver got.
type delivery struct {
	Header http.Header
	Body   []byte
	Event  struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt time.Time      `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
}

// receiver is a webhook endpoint outside Tally's code: it records every
// request and answers the next queued status (200 once they run out).
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []delivery
	answers []int
	// stuck: requests hang until the sender gives up, and are not recorded
	// (a receiver that never answers).
	stuck bool
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body) // read first: then the server sees the client leave
		r.mu.Lock()
		stuck := r.stuck
		r.mu.Unlock()
		if stuck {
			<-req.Context().Done()
			return
		}
		d := delivery{Header: req.Header.Clone(), Body: body}
		json.Unmarshal(body, &d.Event)
		r.mu.Lock()
		r.got = append(r.got, d)
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// wait waits until the receiver got n requests (10 s at most).
func (r *receiver) wait(t *testing.T, n int) []delivery {
	t.Helper()
	if pollUntil(10*time.Second, func() bool { return len(r.deliveries()) >= n }) < 0 {
		t.Fatalf("the receiver got %d requests, want %d: %v", len(r.deliveries()), n, types(r.deliveries()))
	}
	return r.deliveries()
}

func types(ds []delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Event.Type
	}
	return out
}

// verify checks d with the Standard Webhooks reference library and secret;
// strict also checks the timestamp against the wall clock.
func verify(t *testing.T, secret string, d delivery, strict bool) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if strict {
		err = wh.Verify(d.Body, d.Header)
	} else {
		err = wh.VerifyIgnoringTimestamp(d.Body, d.Header)
	}
	if err != nil {
		t.Errorf("%s (%s) does not verify: %v; signature %q", d.Event.ID, d.Event.Type, err, d.Header.Get("webhook-signature"))
	}
}

// hookEnv starts Tally on the wall clock (Standard Webhooks receivers check
// the timestamp against theirs) with private endpoints allowed.
func hookEnv(t *testing.T, opts ...testenv.Option) *testenv.Env {
	opts = append([]testenv.Option{func(c *app.Config) { c.CheckAllowPrivate = true }}, opts...)
	e := testenv.New(t, opts...)
	e.Clock.Set(time.Now())
	return e
}

type endpoint struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Status string   `json:"status"`
	Events []string `json:"events"`
	Reason string   `json:"disabled_reason"`
}

func createEndpoint(t *testing.T, e *testenv.Env, v testenv.Vendor, url string, events ...string) endpoint {
	t.Helper()
	body := map[string]any{"url": url, "description": "test receiver"}
	if len(events) > 0 {
		body["events"] = events
	}
	var ep endpoint
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/webhook_endpoints", v.SecretKey, body)).JSON(t, &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("secret %q", ep.Secret)
	}
	return ep
}

type deliveryList struct {
	Data []struct {
		ID       string `json:"id"`
		EventID  string `json:"event_id"`
		Status   string `json:"status"`
		Attempts []struct {
			StatusCode      int    `json:"status_code"`
			ResponseExcerpt string `json:"response_excerpt"`
			Error           string `json:"error"`
			DurationMS      int64  `json:"duration_ms"`
		} `json:"attempts"`
	} `json:"data"`
}

func listDeliveries(t *testing.T, e *testenv.Env, v testenv.Vendor, ep endpoint) deliveryList {
	t.Helper()
	var l deliveryList
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+ep.ID+"/deliveries", v.SecretKey, nil)).JSON(t, &l)
	return l
}

// waitAttempts waits until the endpoint's one delivery has n attempts.
func waitAttempts(t *testing.T, e *testenv.Env, v testenv.Vendor, ep endpoint, n int) {
	t.Helper()
	if pollUntil(10*time.Second, func() bool {
		l := listDeliveries(t, e, v, ep)
		return len(l.Data) == 1 && len(l.Data[0].Attempts) == n
	}) < 0 {
		t.Fatalf("no attempt %d: %+v", n, listDeliveries(t, e, v, ep).Data)
	}
}

// TestWebhooks_Walk: a partner, a customer, a Stripe purchase, a refund, an
// exclusion and reward changes send every event type they concern, each
// signed so that the reference library verifies it, with the objects as the
// API shows them; the secret never reaches the audit log.
func TestWebhooks_Walk(t *testing.T) {
	const stripeSecret = "whsec_hooks_walk_0123456789"
	rcv := newReceiver(t)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"stripe_webhook_secret": stripeSecret, "reward_rule": map[string]any{"type": "percent", "percent": 1000, "hold_days": 0},
	}))
	ep := createEndpoint(t, e, v, rcv.srv.URL+"/tally")

	p := e.NewPartner(t, v, "Pat", "pat@partner.example")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"name": "Pat Doe"}))
	var cus map[string]any
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "buyer@example.com", "external_id": "u1", "partner_id": p.ID, "reason": "deal"})).JSON(t, &cus)
	sendStripe(t, e, v.ID, stripeSecret, "evt_walk_buy", "checkout.session.completed", checkoutSession("cs_walk", 10000, "u1", "buyer@example.com"))
	sendStripe(t, e, v.ID, stripeSecret, "evt_walk_refund", "charge.refunded", map[string]any{
		"id": "ch_walk", "object": "charge", "amount": 10000, "amount_refunded": 4000, "currency": "usd", "payment_intent": "pi_cs_walk",
	})
	var purchases struct{ Data []map[string]any }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/purchases", v.SecretKey, nil)).JSON(t, &purchases)
	if len(purchases.Data) != 1 {
		t.Fatalf("purchases %v", purchases.Data)
	}
	pur := purchases.Data[0]["id"].(string)
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/purchases/"+pur+"/exclude", v.SecretKey, map[string]any{"reason": "resale"}))

	want := []string{"partner.created", "partner.updated", "customer.created", "customer.attributed",
		"purchase.created", "reward.created", "purchase.refunded", "reward.updated", "purchase.excluded", "reward.updated"}
	rcv.wait(t, len(want))
	time.Sleep(200 * time.Millisecond) // nothing more comes
	got := rcv.deliveries()
	if strings.Join(types(got), ",") != strings.Join(want, ",") {
		t.Errorf("events in order\n got %v\nwant %v", types(got), want)
	}
	ids := map[string]bool{}
	for _, d := range got {
		verify(t, ep.Secret, d, true)
		if d.Header.Get("webhook-id") != d.Event.ID || !strings.HasPrefix(d.Event.ID, "evt_") || ids[d.Event.ID] {
			t.Errorf("webhook-id %q, event id %q (seen before: %v)", d.Header.Get("webhook-id"), d.Event.ID, ids[d.Event.ID])
		}
		ids[d.Event.ID] = true
		if d.Event.CreatedAt.IsZero() || d.Event.Data == nil {
			t.Errorf("envelope %s", d.Body)
		}
		if strings.Count(d.Header.Get("webhook-signature"), "v1,") != 1 {
			t.Errorf("one signature outside a rotation: %q", d.Header.Get("webhook-signature"))
		}
	}
	if len(got) < len(want) {
		return
	}
	// The data is the object as the API shows it.
	checks := []struct {
		i         int
		path, key string
		want      any
	}{
		{0, "/v1/partners/" + p.ID, "email", "pat@partner.example"},
		{2, "/v1/customers/" + cus["id"].(string), "email", "buyer@example.com"},
		{3, "", "partner_id", p.ID},
		{4, "", "amount", float64(10000)},
		{5, "", "amount", float64(1000)},
		{6, "", "refunded_amount", float64(4000)},
		{8, "", "excluded_reason", "resale"},
		{9, "", "status", "reversed"},
	}
	for _, c := range checks {
		data := got[c.i].Event.Data
		if data[c.key] != c.want {
			t.Errorf("%s data.%s = %v, want %v: %s", got[c.i].Event.Type, c.key, data[c.key], c.want, got[c.i].Body)
		}
		if c.path != "" {
			api := e.Must(t, http.StatusOK, e.Do(t, "GET", c.path, v.SecretKey, nil)).Map(t)
			for k := range api {
				if k == "payout_method" {
					continue // the partner's payout details stay out of events
				}
				if _, ok := data[k]; !ok {
					t.Errorf("%s data lacks %q, which the API shows", got[c.i].Event.Type, k)
				}
			}
		}
	}
	// GET /v1/events/{id} answers the event as sent.
	r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/events/"+got[0].Event.ID, v.SecretKey, nil))
	if string(r.Body) != string(got[0].Body) {
		t.Errorf("GET /v1/events: %s, sent %s", r.Body, got[0].Body)
	}
	other := e.NewVendor(t, "Other")
	e.Must(t, http.StatusNotFound, e.Do(t, "GET", "/v1/events/"+got[0].Event.ID, other.SecretKey, nil))
	e.Must(t, http.StatusNotFound, e.Do(t, "GET", "/v1/webhook_endpoints/"+ep.ID, other.SecretKey, nil))
	// The endpoint's creation is audited, its secret is not.
	audit := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_type=webhook_endpoint", v.SecretKey, nil))
	if !strings.Contains(string(audit.Body), "webhook_endpoint.create") || strings.Contains(string(audit.Body), strings.TrimPrefix(ep.Secret, "whsec_")) {
		t.Errorf("audit: %s", audit.Body)
	}
	if strings.Contains(e.LogText(), strings.TrimPrefix(ep.Secret, "whsec_")) {
		t.Error("the secret is in the log")
	}
	var read map[string]any
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+ep.ID, v.SecretKey, nil)).JSON(t, &read)
	if _, ok := read["secret"]; ok {
		t.Errorf("the secret is shown after creation: %v", read)
	}
	for _, d := range listDeliveries(t, e, v, ep).Data {
		if d.Status != attribution.DeliverySucceeded || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 || d.Attempts[0].ResponseExcerpt != "answer 200" {
			t.Errorf("delivery %+v", d)
		}
	}
}

// TestWebhooks_RetriedUntilDelivered: a receiver that answers 500 twice,
// then 200, gets the event three times with the same webhook-id and a new
// timestamp each time (the schedule's first waits: 5 s, then 5 min); the
// delivery's log shows the three attempts.
func TestWebhooks_RetriedUntilDelivered(t *testing.T) {
	rcv := newReceiver(t, 500, 500)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	ep := createEndpoint(t, e, v, rcv.srv.URL, "partner.created")
	e.NewPartner(t, v, "Pat", "pat@partner.example")
	// The clock moves once each attempt is recorded (its retry scheduled).
	waitAttempts(t, e, v, ep, 1)
	e.Clock.Advance(6 * time.Second)
	waitAttempts(t, e, v, ep, 2)
	e.Clock.Advance(6 * time.Minute)
	got := rcv.wait(t, 3)
	for i, d := range got {
		verify(t, ep.Secret, d, false)
		if d.Header.Get("webhook-id") != got[0].Header.Get("webhook-id") || string(d.Body) != string(got[0].Body) {
			t.Errorf("attempt %d: webhook-id %q, first %q", i, d.Header.Get("webhook-id"), got[0].Header.Get("webhook-id"))
		}
		if i > 0 {
			prev, _ := strconv.ParseInt(got[i-1].Header.Get("webhook-timestamp"), 10, 64)
			ts, _ := strconv.ParseInt(d.Header.Get("webhook-timestamp"), 10, 64)
			if ts <= prev {
				t.Errorf("attempt %d: timestamp %d not after %d", i, ts, prev)
			}
		}
	}
	var l deliveryList
	pollUntil(5*time.Second, func() bool {
		l = listDeliveries(t, e, v, ep)
		return len(l.Data) == 1 && l.Data[0].Status == attribution.DeliverySucceeded
	})
	if len(l.Data) != 1 || l.Data[0].Status != attribution.DeliverySucceeded || len(l.Data[0].Attempts) != 3 {
		t.Fatalf("deliveries %+v", l.Data)
	}
	for i, want := range []int{500, 500, 200} {
		if a := l.Data[0].Attempts[i]; a.StatusCode != want || a.ResponseExcerpt != fmt.Sprintf("answer %d", want) {
			t.Errorf("attempt %d: %+v", i, a)
		}
	}
	// A retry by hand sends it once more, same id; it is audited.
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/webhook_endpoints/"+ep.ID+"/deliveries/"+l.Data[0].ID+"/retry", v.SecretKey, nil))
	if d := rcv.wait(t, 4)[3]; d.Header.Get("webhook-id") != got[0].Header.Get("webhook-id") {
		t.Errorf("retry by hand: webhook-id %q", d.Header.Get("webhook-id"))
	}
	audit := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_type=webhook_endpoint", v.SecretKey, nil))
	if !strings.Contains(string(audit.Body), "webhook_delivery.retry") {
		t.Errorf("audit: %s", audit.Body)
	}
}

// TestWebhooks_GoneDisables: a 410 fails the delivery and disables the
// endpoint; nothing more is sent to it until it is enabled again.
func TestWebhooks_GoneDisables(t *testing.T) {
	rcv := newReceiver(t, http.StatusGone)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	ep := createEndpoint(t, e, v, rcv.srv.URL)
	e.NewPartner(t, v, "Pat", "pat@partner.example")
	rcv.wait(t, 1)
	var got endpoint
	pollUntil(5*time.Second, func() bool {
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+ep.ID, v.SecretKey, nil)).JSON(t, &got)
		return got.Status == attribution.WebhookDisabled
	})
	if got.Status != attribution.WebhookDisabled || got.Reason != attribution.WebhookDisabledGone {
		t.Fatalf("endpoint %+v", got)
	}
	if l := listDeliveries(t, e, v, ep); len(l.Data) != 1 || l.Data[0].Status != attribution.DeliveryFailed {
		t.Errorf("deliveries %+v", l.Data)
	}
	e.NewPartner(t, v, "Bo", "bo@partner.example")
	e.Clock.Advance(time.Hour)
	time.Sleep(1500 * time.Millisecond) // a poll passes
	if n := len(rcv.deliveries()); n != 1 {
		t.Errorf("a disabled endpoint got %d requests", n)
	}
	audit := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_type=webhook_endpoint", v.SecretKey, nil))
	if !strings.Contains(string(audit.Body), "webhook_endpoint.disable") {
		t.Errorf("audit: %s", audit.Body)
	}
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/webhook_endpoints/"+ep.ID, v.SecretKey, map[string]any{"status": "enabled"}))
	e.NewPartner(t, v, "Cy", "cy@partner.example")
	if got := rcv.wait(t, 2)[1]; got.Event.Type != "partner.created" || got.Event.Data["email"] != "cy@partner.example" {
		t.Errorf("after enabling: %s", got.Body)
	}
}

// TestWebhooks_Rotation: after a rotation both secrets sign each delivery,
// for 24 hours; then only the new one does.
func TestWebhooks_Rotation(t *testing.T) {
	rcv := newReceiver(t)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	ep := createEndpoint(t, e, v, rcv.srv.URL)
	var rotated endpoint
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/webhook_endpoints/"+ep.ID+"/rotate_secret", v.SecretKey, nil)).JSON(t, &rotated)
	if rotated.Secret == "" || rotated.Secret == ep.Secret {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}
	e.NewPartner(t, v, "Pat", "pat@partner.example")
	d := rcv.wait(t, 1)[0]
	if sigs := strings.Fields(d.Header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("signatures %q, want two", d.Header.Get("webhook-signature"))
	}
	verify(t, ep.Secret, d, true)
	verify(t, rotated.Secret, d, true)
	e.Clock.Advance(attribution.WebhookSecretOverlap + time.Second)
	e.NewPartner(t, v, "Bo", "bo@partner.example")
	d = rcv.wait(t, 2)[1]
	if sigs := strings.Fields(d.Header.Get("webhook-signature")); len(sigs) != 1 {
		t.Errorf("after the overlap: signatures %q", d.Header.Get("webhook-signature"))
	}
	verify(t, rotated.Secret, d, false)
}

// TestWebhooks_PrivateAddressesRefused: without TALLY_CHECK_ALLOW_PRIVATE,
// an endpoint on a private or loopback address, or on plain http, is
// refused when saved; a name that resolves to loopback passes then, but the
// delivery is refused at dial time and logged as such.
func TestWebhooks_PrivateAddressesRefused(t *testing.T) {
	rcv := newReceiver(t)
	_, port, _ := net.SplitHostPort(rcv.srv.Listener.Addr().String())
	e := testenv.New(t, func(c *app.Config) {
		c.WebhookResolver = func(ctx context.Context, host string) ([]netip.Addr, error) {
			if host == "hooks.rebind.example" {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return nil, fmt.Errorf("no such host %s", host)
		}
	})
	v := e.NewVendor(t, "Acme")
	for _, u := range []string{rcv.srv.URL, "https://127.0.0.1:" + port + "/", "https://10.1.2.3/hook", "https://[::1]/",
		"https://169.254.169.254/latest", "https://localhost/hook", "http://hooks.example.com/", "ftp://hooks.example.com/", "https://user:pw@hooks.example.com/"} {
		r := e.Must(t, http.StatusBadRequest, e.Do(t, "POST", "/v1/webhook_endpoints", v.SecretKey, map[string]any{"url": u}))
		if r.ErrorCode() != "invalid" {
			t.Errorf("%s: %s", u, r.Body)
		}
	}
	e.Must(t, http.StatusBadRequest, e.Do(t, "POST", "/v1/webhook_endpoints", v.SecretKey, map[string]any{"url": "https://hooks.example.com/", "events": []string{"partner.deleted"}}))
	ep := createEndpoint(t, e, v, "https://hooks.rebind.example:"+port+"/")
	e.Must(t, http.StatusBadRequest, e.Do(t, "PATCH", "/v1/webhook_endpoints/"+ep.ID, v.SecretKey, map[string]any{"url": "https://192.168.1.1/"}))
	e.NewPartner(t, v, "Pat", "pat@partner.example")
	var l deliveryList
	pollUntil(5*time.Second, func() bool {
		l = listDeliveries(t, e, v, ep)
		return len(l.Data) == 1 && len(l.Data[0].Attempts) == 1
	})
	if len(l.Data) != 1 || len(l.Data[0].Attempts) != 1 || !strings.Contains(l.Data[0].Attempts[0].Error, "loopback") {
		t.Fatalf("deliveries %+v", l.Data)
	}
	if l.Data[0].Status != attribution.DeliveryPending {
		t.Errorf("a refused address is retried like any failure: %s", l.Data[0].Status)
	}
	if n := len(rcv.deliveries()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
}

// TestWebhooks_ClicksOnlyWhenAsked: link.clicked reaches the endpoint that
// names it, from the click writer's batch, and not the one that takes "*".
func TestWebhooks_ClicksOnlyWhenAsked(t *testing.T) {
	clicks, all := newReceiver(t), newReceiver(t)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	ep := createEndpoint(t, e, v, clicks.srv.URL, "link.clicked")
	createEndpoint(t, e, v, all.srv.URL)
	p := e.NewPartner(t, v, "Pat", "pat@partner.example")
	l := e.NewLink(t, v, p, "https://shop.example/")
	all.wait(t, 1) // partner.created
	e.Must(t, http.StatusFound, e.Click(t, l.Key))
	d := clicks.wait(t, 1)[0]
	verify(t, ep.Secret, d, true)
	if d.Event.Type != "link.clicked" || d.Event.Data["link_id"] != l.ID || d.Event.Data["partner_id"] != p.ID {
		t.Errorf("click event %s", d.Body)
	}
	time.Sleep(300 * time.Millisecond)
	if got := types(all.deliveries()); len(got) != 1 {
		t.Errorf("the \"*\" endpoint got %v", got)
	}
	if got := types(clicks.deliveries()); len(got) != 1 {
		t.Errorf("the link.clicked endpoint got %v", got)
	}
}

// TestWebhooks_SurviveAHardStop: an instance stopped while a delivery is
// claimed and in flight (its lease left behind, as after kill -9) loses
// nothing: a new instance on the same database delivers the event once the
// lease ends, with the same webhook-id.
func TestWebhooks_SurviveAHardStop(t *testing.T) {
	rcv := newReceiver(t)
	rcv.stuck = true
	dbURL := testenv.DatabaseURL(t)
	clock := testenv.NewClock(time.Now())
	allow := func(c *app.Config) { c.CheckAllowPrivate = true }
	a, err := startInstance(t, "a", dbURL, clock.Now, allow)
	if err != nil {
		t.Fatal(err)
	}
	var v testenv.Vendor
	json.Unmarshal(mustBody(t, a, http.StatusCreated, "POST", "/admin/v1/vendors", multiAdmin, map[string]string{"name": "Acme"}), &v)
	var ep endpoint
	json.Unmarshal(mustBody(t, a, http.StatusCreated, "POST", "/v1/webhook_endpoints", v.SecretKey, map[string]any{"url": rcv.srv.URL}), &ep)
	mustBody(t, a, http.StatusCreated, "POST", "/v1/partners", v.SecretKey, map[string]any{"name": "Pat", "email": "pat@partner.example"})
	// The worker is sending (the receiver never answers): stop without
	// draining, and leave the lease as a killed process would.
	if pollUntil(5*time.Second, func() bool {
		return countRows(t, a.app.Store, "webhook_deliveries", "claimed_until IS NOT NULL") == 1
	}) < 0 {
		t.Fatal("the delivery was never claimed")
	}
	a.srv.Close()
	a.app.Close(context.Background())
	st, err := store.Open(dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lease := clock.Now().Add(10 * time.Minute)
	_, err = st.DB().NewUpdate().TableExpr("webhook_deliveries").Set("claimed_until = ?", lease).Where("status = 'pending'").Exec(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.stuck = false
	rcv.mu.Unlock()
	if _, err := startInstance(t, "b", dbURL, clock.Now, allow); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(rcv.deliveries()); n != 0 {
		t.Fatalf("delivered during another worker's lease: %d", n)
	}
	clock.Advance(11 * time.Minute)
	d := rcv.wait(t, 1)[0]
	verify(t, ep.Secret, d, false)
	if d.Event.Type != "partner.created" || d.Header.Get("webhook-id") != d.Event.ID {
		t.Errorf("after the stop: %s", d.Body)
	}
}

func mustBody(t *testing.T, in *instance, want int, method, path, token string, body any) []byte {
	t.Helper()
	code, data, _ := in.do(t, method, path, token, body)
	if code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, data)
	}
	return data
}

// TestWebhooks_TwoInstancesDeliverOnce: two instances on one database (the
// deployment behind a load balancer) each run a worker; every event reaches
// the receiver once.
func TestWebhooks_TwoInstancesDeliverOnce(t *testing.T) {
	rcv := newReceiver(t)
	dbURL := testenv.DatabaseURL(t)
	clock := testenv.NewClock(time.Now())
	allow := func(c *app.Config) { c.CheckAllowPrivate = true }
	var ins []*instance
	for _, name := range []string{"a", "b"} {
		in, err := startInstance(t, name, dbURL, clock.Now, allow)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	var v testenv.Vendor
	json.Unmarshal(mustBody(t, ins[0], http.StatusCreated, "POST", "/admin/v1/vendors", multiAdmin, map[string]string{"name": "Acme"}), &v)
	mustBody(t, ins[1], http.StatusCreated, "POST", "/v1/webhook_endpoints", v.SecretKey, map[string]any{"url": rcv.srv.URL, "events": []string{"partner.created"}})
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustBody(t, ins[i%2], http.StatusCreated, "POST", "/v1/partners", v.SecretKey,
				map[string]any{"name": "P", "email": fmt.Sprintf("p%d@partner.example", i)})
		}()
	}
	wg.Wait()
	rcv.wait(t, n)
	time.Sleep(1500 * time.Millisecond) // both workers poll again
	seen := map[string]int{}
	for _, d := range rcv.deliveries() {
		seen[d.Header.Get("webhook-id")]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct events, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s delivered %d times", id, k)
		}
	}
}

// sendStripe posts a signed Stripe event to the vendor's webhook and
// applies the queue until it is empty.
func sendStripe(t *testing.T, e *testenv.Env, vendorID, secret, id, typ string, obj map[string]any) {
	t.Helper()
	payload := stripeEvent(id, typ, e.Clock.Now(), obj)
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header))
	if pollUntil(10*time.Second, func() bool {
		e.App.ApplyQueuedEventsOnce(t.Context())
		n, err := e.App.Store.Payments.QueuedPaymentEvents(t.Context())
		return err == nil && n == 0
	}) < 0 {
		t.Fatal("Stripe events still queued")
	}
}

// TestWebhooks_RolledBackChangeSendsNothing: a change whose transaction
// fails after its event was written (here its audit entry is refused by a
// trigger) leaves no event and no delivery, and nothing is sent.
func TestWebhooks_RolledBackChangeSendsNothing(t *testing.T) {
	rcv := newReceiver(t)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	createEndpoint(t, e, v, rcv.srv.URL)
	db, ctx := e.App.Store.DB(), context.Background()
	create, drop := []string{
		`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'refused'); END`,
	}, []string{`DROP TRIGGER refuse_audit`}
	if testenv.IsPostgres() {
		create = []string{
			`CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
		}
		drop = []string{`DROP TRIGGER refuse_audit ON audit_entries`, `DROP FUNCTION refuse_audit()`}
	}
	for _, q := range create {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r := e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]any{"name": "Pat", "email": "pat@partner.example"})
	if r.StatusCode < 500 {
		t.Fatalf("the refused change answered %d: %s", r.StatusCode, r.Body)
	}
	for _, q := range drop {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	wantRows(t, e.App.Store, 0, "webhook_events", "")
	wantRows(t, e.App.Store, 0, "webhook_deliveries", "")
	e.NewPartner(t, v, "Bo", "bo@partner.example")
	if got := rcv.wait(t, 1); len(got) != 1 || got[0].Event.Data["email"] != "bo@partner.example" {
		t.Errorf("sent %v", types(got))
	}
}

// TestWebhooks_FailingForFiveDaysDisables: an endpoint whose attempts all
// fail for five days is disabled, and the program's admins are emailed.
func TestWebhooks_FailingForFiveDaysDisables(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 500)
	sink := testenv.NewSMTPSink(t)
	e := hookEnv(t, sink.Option())
	var acme testenv.Vendor // with an admin, ada
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken,
		map[string]string{"name": "Acme", "owner_email": "ada@acme.example"})).JSON(t, &acme)
	sink.Wait(t, 1) // the owner's setup link
	ep := createEndpoint(t, e, acme, rcv.srv.URL)
	e.NewPartner(t, acme, "Pat", "pat@partner.example")
	waitAttempts(t, e, acme, ep, 1)
	e.Clock.Advance(attribution.WebhookFailingLimit + time.Minute)
	waitAttempts(t, e, acme, ep, 2)
	var got endpoint
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+ep.ID, acme.SecretKey, nil)).JSON(t, &got)
	if got.Status != attribution.WebhookDisabled || got.Reason != attribution.WebhookDisabledFailing {
		t.Fatalf("endpoint %+v", got)
	}
	m := sink.Wait(t, 2)[1]
	if len(m.EnvelopeTo) != 1 || m.EnvelopeTo[0] != "ada@acme.example" || !strings.Contains(m.Subject, rcv.srv.URL) ||
		!strings.Contains(m.Text, "five days") {
		t.Errorf("email to %v: %q\n%s", m.EnvelopeTo, m.Subject, m.Text)
	}
}

// TestWebhooks_PayoutPaid: marking a payout paid sends payout.paid and a
// reward.updated for each of its rewards, now paid.
func TestWebhooks_PayoutPaid(t *testing.T) {
	rcv := newReceiver(t)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Pat", "pat@partner.example")
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/rewards", v.SecretKey, map[string]any{
		"partner_id": p.ID, "amount": 1200, "currency": "usd", "reason": "bonus"}))
	ep := createEndpoint(t, e, v, rcv.srv.URL, "payout.paid", "reward.updated")
	var batches struct{ Data []struct{ ID string } }
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/payouts", v.SecretKey, nil)).JSON(t, &batches)
	if len(batches.Data) != 1 {
		t.Fatalf("batches %+v", batches.Data)
	}
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/payouts/"+batches.Data[0].ID+"/paid", v.SecretKey, nil))
	got := rcv.wait(t, 2)
	for _, d := range got {
		verify(t, ep.Secret, d, true)
	}
	if strings.Join(types(got), ",") != "reward.updated,payout.paid" {
		t.Fatalf("events %v", types(got))
	}
	if got[0].Event.Data["status"] != "paid" || got[1].Event.Data["id"] != batches.Data[0].ID || got[1].Event.Data["status"] != "paid" {
		t.Errorf("reward %v, payout %v", got[0].Event.Data, got[1].Event.Data)
	}
}

// TestWebhooks_ReassignMovingRewards: moving a customer's open rewards to
// another partner sends reward.updated for each, showing the new partner;
// a paid reward stays and sends nothing.
func TestWebhooks_ReassignMovingRewards(t *testing.T) {
	rcv := newReceiver(t)
	e := hookEnv(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "percent", "percent": 1000, "hold_days": 0}}))
	ada := e.NewPartner(t, v, "Ada", "ada@partner.example")
	bob := e.NewPartner(t, v, "Bob", "bob@partner.example")
	var cus map[string]any
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "buyer@example.com", "partner_id": ada.ID, "reason": "deal"})).JSON(t, &cus)
	reward := func(amount int) string {
		pur := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
			"customer_id": cus["id"], "amount": amount, "currency": "usd", "reason": "phone order"})).Map(t)
		return pur["rewards"].([]any)[0].(map[string]any)["id"].(string)
	}
	paid, open1, open2 := reward(1000), reward(2000), reward(3000)
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/rewards/"+paid+"/pay", v.SecretKey, map[string]any{"reason": "March payout"}))
	createEndpoint(t, e, v, rcv.srv.URL, "reward.updated")

	e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/customers/"+cus["id"].(string)+"/attribution", v.SecretKey, map[string]any{
		"partner_id": bob.ID, "reason": "Bob closed the deal", "move_rewards": true}))
	rcv.wait(t, 2)
	time.Sleep(200 * time.Millisecond) // nothing more comes
	got := rcv.deliveries()
	moved := map[string]bool{}
	for _, d := range got {
		if d.Event.Type != "reward.updated" || d.Event.Data["partner_id"] != bob.ID {
			t.Errorf("event %s: %s", d.Event.Type, d.Body)
		}
		moved[d.Event.Data["id"].(string)] = true
	}
	if len(got) != 2 || !moved[open1] || !moved[open2] {
		t.Fatalf("reward.updated for %v, want %s and %s", moved, open1, open2)
	}
}
