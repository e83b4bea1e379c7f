// The partner side, walked end to end in Chromium with a local SMTP sink:
// the program page turned on in Settings, an application, its approval, the
// partner's sign-in by email, a visitor's click on their referral link, a
// signup and a signed Stripe purchase, the reward approved, paid out in a
// payout the vendor creates, downloads and marks paid, and the partner's
// payout email and history. The partner never calls the JSON API.
package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

// mailFor waits for the email to to whose subject holds subject.
func mailFor(t *testing.T, sink *testenv.SMTPSink, to, subject string) *testenv.SinkMessage {
	t.Helper()
	for {
		msgs := sink.Messages()
		for _, m := range msgs {
			if len(m.EnvelopeTo) == 1 && m.EnvelopeTo[0] == to && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		sink.Wait(t, len(msgs)+1)
	}
}

// submitToPrefix presses the button named name and waits for a new page
// whose path starts with prefix; it returns that path.
func (tb *tab) submitToPrefix(t *testing.T, name, prefix string) string {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.__old = true`)); err != nil {
		t.Fatalf("mark the page: %v", err)
	}
	tb.press(t, name)
	last := ""
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`location.pathname + " " + document.readyState + (window.__old ? " old" : "")`))
		if err != nil {
			continue
		}
		last = s
		if path, ok := strings.CutSuffix(s, " complete"); ok && strings.HasPrefix(path, prefix) {
			return path
		}
	}
	t.Fatalf("waiting for %s…: the tab shows %q", prefix, last)
	return ""
}

// fetchText GETs path from the page, with its cookies, as a download would.
func (tb *tab) fetchText(t *testing.T, path string) string {
	t.Helper()
	body, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then(r => r.ok ? r.text() : "status " + r.status)`, path), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s: %v", path, err)
	}
	return body
}

var referralLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/r/[A-Za-z0-9_-]+`)

func TestBrowserPartnerWalk(t *testing.T) {
	const stripeSecret = "whsec_partner_walk_0123456789"
	vendor := newTab(t)
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v := signInOwner(t, e, vendor, "Acme Rockets")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"stripe_webhook_secret": stripeSecret,
		"reward_rule":           map[string]any{"type": "flat", "amount": 5000, "currency": "usd", "hold_days": 30},
	}))

	// (1) The vendor turns the program page on in Settings.
	vendor.open(t, e, "/dashboard/settings")
	vendor.do(t, "check Public program page", chromedp.Click("checkbox", byName("checkbox", "Public program page"), chromedp.NodeVisible))
	vendor.fill(t, "Slug", "acme-rockets")
	vendor.submit(t, "Save program", "/dashboard/settings")
	if got := vendor.text(t); !strings.Contains(got, "/join/acme-rockets") {
		t.Fatalf("Settings after turning the program page on:\n%s", got)
	}

	// (2) A person applies; the application email arrives.
	partner := newTab(t)
	partner.open(t, e, "/join/acme-rockets")
	partner.fill(t, "Name", "Pat Smith")
	partner.fill(t, "Email", "pat@example.com")
	partner.fill(t, "Website or audience", "A rocketry blog")
	partner.submit(t, "Apply", "/join/acme-rockets/thanks")
	mailFor(t, sink, "pat@example.com", "We received your application to Acme Rockets")
	var list struct{ Data []struct{ ID, Status string } }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners", v.SecretKey, nil)).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].Status != "pending" {
		t.Fatalf("partners after applying: %+v", list.Data)
	}
	pat := list.Data[0].ID

	// (3) The vendor approves on the partner's page; the approval email arrives.
	vendor.open(t, e, "/dashboard/partners/"+pat)
	vendor.submit(t, "Approve", "/dashboard/partners/"+pat)
	mailFor(t, sink, "pat@example.com", "Welcome to the Acme Rockets partner program")

	// (4) The partner signs in through the emailed link.
	partner.open(t, e, "/partner/login")
	partner.fill(t, "Email", "pat@example.com")
	partner.submit(t, "Email me a sign-in link", "/partner/login")
	link := portalLinkRE.FindString(mailFor(t, sink, "pat@example.com", "Sign in to the Acme Rockets partner portal").Text)
	if link == "" {
		t.Fatal("no sign-in link in the email")
	}
	partner.do(t, "open the emailed link", chromedp.Navigate(link))
	partner.waitPath(t, strings.TrimPrefix(link, e.URL()))
	partner.submit(t, "Sign in", "/partner")
	referral := referralLinkRE.FindString(partner.text(t))
	if referral == "" {
		t.Fatalf("no referral link on the portal's home:\n%s", partner.text(t))
	}

	// (5) A visitor (another browser context) follows the referral link to
	// the vendor's site; the vendor's backend sends the signup with the
	// token the redirect carried, then Stripe the purchase.
	visitor := newTab(t)
	landed := make(chan string, 8)
	err := chromedp.Listen(visitor.ctx, func(ev any) {
		if req, ok := ev.(*network.EventRequestWillBeSent); ok && strings.HasPrefix(req.Request.URL, "https://acme.example/") {
			select {
			case landed <- req.Request.URL:
			default:
			}
		}
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if _, err := chromedp.Call(visitor.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	chromedp.Run(visitor.ctx, chromedp.Navigate(referral)) // acme.example does not resolve: only the redirect matters
	var ref string
	select {
	case u := <-landed:
		lu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		ref = lu.Query().Get("tally_ref")
	case <-time.After(15 * time.Second):
		t.Fatal("the referral link did not redirect to the vendor's site")
	}
	if ref == "" {
		t.Fatal("the redirect carried no tally_ref")
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{
		"ref": ref, "email": "buyer@customers.example", "name": "Bea Buyer", "external_id": "u-1"}))
	payload, _ := json.Marshal(map[string]any{
		"id": "evt_walk_1", "object": "event", "type": "checkout.session.completed", "api_version": "2023-10-16",
		"created": e.Clock.Now().Unix(), "livemode": true, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{
			"id": "cs_walk_1", "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
			"amount_total": 20000, "currency": "usd", "payment_intent": "pi_walk_1", "client_reference_id": "u-1",
			"customer_details": map[string]any{"email": "buyer@customers.example"},
		}},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: stripeSecret, Timestamp: time.Now()})
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/webhooks/stripe/"+v.ID, "", sp.Payload, "Stripe-Signature", sp.Header))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		e.App.ApplyQueuedEventsOnce(t.Context())
		if n, err := e.App.Store.Payments.QueuedPaymentEvents(t.Context()); err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Stripe event is still queued")
		}
	}
	mailFor(t, sink, "pat@example.com", "You earned USD 50.00 with Acme Rockets")

	// (6) The partner sees the click, the signup and the pending reward.
	partner.open(t, e, "/partner")
	home := partner.text(t)
	for _, want := range []string{"Clicks\n1", "Signups\n1", "Purchases\n1", "USD 50.00"} {
		if !strings.Contains(home, want) {
			t.Errorf("the portal's home lacks %q:\n%s", want, home)
		}
	}
	partner.open(t, e, "/partner/rewards")
	if got := partner.text(t); !strings.Contains(got, "USD 50.00") || !strings.Contains(strings.ToLower(got), "pending") {
		t.Errorf("the partner's rewards:\n%s", got)
	}

	// (7) The vendor approves the reward, creates the payout, downloads its
	// CSV and marks it paid.
	vendor.open(t, e, "/dashboard/rewards")
	row := vendor.within(t, `form[action$="/approve"]`)
	vendor.fillIn(t, row, "Reason", "Checked the order")
	vendor.submitIn(t, row, "Approve", "/dashboard/rewards")
	vendor.open(t, e, "/dashboard/payouts")
	if got := vendor.text(t); !strings.Contains(got, "Pat Smith") || !strings.Contains(got, "USD 50.00") {
		t.Fatalf("what is due:\n%s", got)
	}
	vendor.checkPage(t, "/dashboard/payouts")
	payoutPage := vendor.submitToPrefix(t, "Create payouts", "/dashboard/payouts/po_")
	vendor.checkPage(t, "/dashboard/payouts/{id}")
	csv := vendor.fetchText(t, payoutPage+"/paypal.csv")
	if !strings.Contains(csv, "pat@example.com,50.00,USD") {
		t.Errorf("the PayPal CSV:\n%s", csv)
	}
	vendor.fill(t, "Reason", "PayPal batch 7")
	vendor.submit(t, "Mark paid", payoutPage)
	if got := vendor.text(t); !strings.Contains(got, "Paid") || strings.Contains(got, "Mark paid") {
		t.Errorf("the payout after Mark paid:\n%s", got)
	}

	// (8) The partner gets the payout email and sees the payout.
	mailFor(t, sink, "pat@example.com", "Acme Rockets sent you USD 50.00")
	partner.open(t, e, "/partner/payouts")
	if got := partner.text(t); !strings.Contains(got, "USD 50.00") || !strings.Contains(got, "Paid") {
		t.Errorf("the partner's payouts:\n%s", got)
	}
	partner.noErrors(t)
	vendor.noErrors(t)
}

// TestBrowserWebhookEndpoints: Settings' webhook endpoints by accessible
// names: add one (its secret shown once), its deliveries page, the delete
// confirmation without script; each page passes axe at 375 px.
func TestBrowserWebhookEndpoints(t *testing.T) {
	tb := newTab(t)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer rcv.Close()
	e := testenv.New(t, func(c *app.Config) { c.CheckAllowPrivate = true })
	v := signInOwner(t, e, tb, "Acme Rockets")

	tb.open(t, e, "/dashboard/settings")
	tb.fill(t, "Endpoint URL", rcv.URL+"/tally")
	tb.do(t, "check partner.created", chromedp.Click("checkbox", byName("checkbox", "partner.created"), chromedp.NodeVisible))
	tb.do(t, "uncheck all events", chromedp.Click("checkbox", byName("checkbox", "All events (but link.clicked)"), chromedp.NodeVisible))
	tb.fill(t, "Description", "CRM")
	tb.submit(t, "Add endpoint", "/dashboard/settings/webhooks")
	if got := tb.text(t); !strings.Contains(got, "whsec_") || !strings.Contains(got, "partner.created") {
		t.Fatalf("the new endpoint's page:\n%s", got)
	}
	tb.checkPage(t, "/dashboard/settings/webhooks/{id} (secret)")
	var eps struct{ Data []struct{ ID string } }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints", v.SecretKey, nil)).JSON(t, &eps)
	if len(eps.Data) != 1 {
		t.Fatalf("endpoints: %+v", eps.Data)
	}
	page := "/dashboard/settings/webhooks/" + eps.Data[0].ID

	e.NewPartner(t, v, "Grace", "grace@partners.example")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		tb.open(t, e, page)
		if strings.Contains(tb.text(t), "503") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed attempt shown:\n%s", tb.text(t))
		}
	}
	tb.checkPage(t, "/dashboard/settings/webhooks/{id}")
	tb.open(t, e, "/dashboard/settings")
	if got := tb.text(t); !strings.Contains(got, "Failing") {
		t.Errorf("Settings do not mark the endpoint failing:\n%s", got)
	}
	tb.checkPage(t, "/dashboard/settings")
	tb.open(t, e, page+"/delete")
	tb.checkPage(t, "/dashboard/settings/webhooks/{id}/delete")
	tb.submit(t, "Delete endpoint", "/dashboard/settings")
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints", v.SecretKey, nil)).JSON(t, &eps)
	if len(eps.Data) != 0 {
		t.Errorf("endpoints after deleting: %+v", eps.Data)
	}
	tb.noErrors(t)
}
