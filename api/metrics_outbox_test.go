package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

// TestMetrics_OutboxAge: the ages of the oldest undelivered webhook delivery
// and of the oldest unsent email are read at scrape time: 0 when nothing
// waits, then how long the oldest waiting one has waited; a delivered
// message no longer counts.
func TestMetrics_OutboxAge(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option(), func(c *app.Config) { c.CheckAllowPrivate = true })
	s := metricsOf(t, e)
	for _, name := range []string{"tally_webhook_outbox_oldest_seconds", "tally_mail_outbox_oldest_seconds"} {
		if _, ok := s[name]; !ok {
			t.Fatalf("no metric %s", name)
		}
		if got := s.value(t, name); got != 0 {
			t.Errorf("%s = %v with nothing waiting", name, got)
		}
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer failing.Close()
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/webhook_endpoints", v.SecretKey, map[string]any{"url": failing.URL, "events": []string{"partner.created"}}))
	sink.Down()
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{"name": "Mailed", "owner_email": "owner@mailed.example"}))
	e.NewPartner(t, v, "Grace", "grace@partners.example")
	e.Clock.Advance(10 * time.Minute)
	s = metricsOf(t, e)
	if got := s.value(t, "tally_webhook_outbox_oldest_seconds"); got != 600 {
		t.Errorf("webhook outbox age = %v, want 600", got)
	}
	if got := s.value(t, "tally_mail_outbox_oldest_seconds"); got != 600 {
		t.Errorf("mail outbox age = %v, want 600", got)
	}

	sink.Up(t)
	// An attempt made while the server was down may hold its connection
	// until the SMTP timeout: wait beyond it.
	for deadline := time.Now().Add(time.Minute); len(sink.Messages()) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the email was never sent once the server was up")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if metricsOf(t, e).value(t, "tally_mail_outbox_oldest_seconds") == 0 {
			return
		}
	}
	t.Error("the mail outbox age stays above 0 once the email is sent")
}
