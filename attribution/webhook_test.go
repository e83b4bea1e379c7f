package attribution_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/tally-dev/tally/attribution"
)

var hookT0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestWebhookRetry(t *testing.T) {
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
	for i, base := range want {
		for _, j := range []float64{0, 0.5, 0.999} {
			wait, ok := attribution.WebhookRetry(i+1, j)
			lo, hi := base-base/10, base+base/10
			if !ok || wait < lo || wait > hi {
				t.Errorf("after %d failures (jitter %v): %v %v, want %v ±10%%", i+1, j, wait, ok, base)
			}
		}
		if wait, _ := attribution.WebhookRetry(i+1, 0.5); wait != base {
			t.Errorf("after %d failures, middle jitter: %v, want %v", i+1, wait, base)
		}
	}
	if _, ok := attribution.WebhookRetry(len(want)+1, 0.5); ok {
		t.Error("a retry after the schedule is spent")
	}
	if _, ok := attribution.WebhookRetry(0, 0.5); ok {
		t.Error("a retry before any failure")
	}
}

func TestDecideWebhookAttempt(t *testing.T) {
	day := 24 * time.Hour
	since := hookT0.Add(-2 * day)
	old := hookT0.Add(-5 * day)
	cases := []struct {
		name         string
		answer       attribution.WebhookAnswer
		failed       int
		failingSince *time.Time
		delivery     string
		disable      string
		next         time.Duration
		streak       *time.Time
	}{
		{"2xx delivers and ends the streak", attribution.WebhookAnswer{StatusCode: 204}, 3, &since, attribution.DeliverySucceeded, "", 0, nil},
		{"first failure starts the streak", attribution.WebhookAnswer{StatusCode: 500}, 0, nil, attribution.DeliveryPending, "", 5 * time.Second, &hookT0},
		{"an error is a failure", attribution.WebhookAnswer{Err: errors.New("timeout")}, 1, &since, attribution.DeliveryPending, "", 5 * time.Minute, &since},
		{"3xx is a failure", attribution.WebhookAnswer{StatusCode: 301}, 0, &since, attribution.DeliveryPending, "", 5 * time.Second, &since},
		{"410 disables", attribution.WebhookAnswer{StatusCode: http.StatusGone}, 0, nil, attribution.DeliveryFailed, attribution.WebhookDisabledGone, 0, &hookT0},
		{"the last retry fails", attribution.WebhookAnswer{StatusCode: 503}, 9, &since, attribution.DeliveryFailed, "", 0, &since},
		{"five days of failures disable", attribution.WebhookAnswer{StatusCode: 500}, 1, &old, attribution.DeliveryFailed, attribution.WebhookDisabledFailing, 0, &old},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := attribution.DecideWebhookAttempt(c.answer, c.failed, c.failingSince, hookT0, 0.5)
			if out.Delivery != c.delivery || out.Disable != c.disable {
				t.Errorf("delivery %q disable %q, want %q %q", out.Delivery, out.Disable, c.delivery, c.disable)
			}
			if c.delivery == attribution.DeliveryPending && out.NextAttemptAt != hookT0.Add(c.next) {
				t.Errorf("next %v, want %v", out.NextAttemptAt, hookT0.Add(c.next))
			}
			if (out.FailingSince == nil) != (c.streak == nil) || (c.streak != nil && !out.FailingSince.Equal(*c.streak)) {
				t.Errorf("failing since %v, want %v", out.FailingSince, c.streak)
			}
		})
	}
}

func TestWebhookEndpointWants(t *testing.T) {
	e := attribution.WebhookEndpoint{Status: attribution.WebhookEnabled, Events: []string{"*"}}
	if !e.Wants(attribution.EventRewardCreated) || e.Wants(attribution.EventLinkClicked) {
		t.Error(`"*" is every event but link.clicked`)
	}
	e.Events = []string{attribution.EventLinkClicked}
	if !e.Wants(attribution.EventLinkClicked) || e.Wants(attribution.EventPartnerCreated) {
		t.Error("named events only")
	}
	e.Status = attribution.WebhookDisabled
	if e.Wants(attribution.EventLinkClicked) {
		t.Error("a disabled endpoint wants nothing")
	}
}

func TestWebhookEndpointCreate_Validate(t *testing.T) {
	ok := attribution.WebhookEndpointCreate{URL: " https://hooks.example.com/tally "}
	if err := ok.Validate(); err != nil || ok.URL != "https://hooks.example.com/tally" || !slices.Equal(ok.Events, []string{"*"}) {
		t.Fatalf("%v %+v", err, ok)
	}
	dup := attribution.WebhookEndpointCreate{URL: "https://h.example/", Events: []string{"reward.created", "reward.created", "link.clicked"}}
	if err := dup.Validate(); err != nil || !slices.Equal(dup.Events, []string{"reward.created", "link.clicked"}) {
		t.Fatalf("%v %v", err, dup.Events)
	}
	for _, bad := range []attribution.WebhookEndpointCreate{
		{URL: ""}, {URL: "hooks.example.com"}, {URL: "mailto:a@b.example"}, {URL: "https://u:p@h.example/"},
		{URL: "https://h.example/", Events: []string{}}, {URL: "https://h.example/", Events: []string{"reward.deleted"}},
		{URL: "https://h.example/", Description: string(make([]byte, 501))},
	} {
		if err := bad.Validate(); attribution.ErrorCode(err) != attribution.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestWebhookEndpointUpdate_Apply(t *testing.T) {
	since := hookT0
	e := &attribution.WebhookEndpoint{Status: attribution.WebhookDisabled, DisabledReason: attribution.WebhookDisabledGone, FailingSince: &since}
	on := attribution.WebhookEnabled
	if err := (attribution.WebhookEndpointUpdate{Status: &on}).Apply(e, hookT0); err != nil || e.Status != on || e.DisabledReason != "" || e.FailingSince != nil {
		t.Fatalf("enable: %v %+v", err, e)
	}
	off := attribution.WebhookDisabled
	if err := (attribution.WebhookEndpointUpdate{Status: &off}).Apply(e, hookT0); err != nil || e.DisabledReason != attribution.WebhookDisabledManual {
		t.Fatalf("disable: %v %+v", err, e)
	}
	bad := "paused"
	if err := (attribution.WebhookEndpointUpdate{Status: &bad}).Apply(e, hookT0); attribution.ErrorCode(err) != attribution.EINVALID {
		t.Errorf("status %q: %v", bad, err)
	}
}

// TestSignWebhook: Tally's signatures verify with the Standard Webhooks
// reference library, each secret of a rotation on its own.
func TestSignWebhook(t *testing.T) {
	a, b := attribution.NewWebhookSecret(), attribution.NewWebhookSecret()
	if a == b || len(a) != len("whsec_")+44 {
		t.Fatalf("secrets %q %q", a, b)
	}
	body := []byte(`{"id":"evt_1","type":"partner.created"}`)
	ts := time.Now()
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", attribution.SignWebhook([]string{a, b}, "evt_1", ts, body))
	for _, s := range []string{a, b} {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("%v: %s", err, h.Get("webhook-signature"))
		}
		if err := wh.Verify([]byte(`{"id":"evt_2"}`), h); err == nil {
			t.Error("another body verifies")
		}
	}
}
