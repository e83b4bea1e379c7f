package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestWeeklySummary: once a week per vendor, to its admins (not viewers,
// not another vendor's), with the week's figures and an unsubscribe link
// that turns it off for that admin only; a second run, here or on another
// instance, sends nothing more.
func TestWeeklySummary(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v := e.NewVendor(t, "Acme")
	for _, u := range []struct{ email, role string }{{"ann@acme.example", "admin"}, {"ben@acme.example", "admin"}, {"val@acme.example", "viewer"}} {
		if _, _, err := e.App.Accounts.CreateUser(t.Context(), v.ID, u.email, u.role); err != nil {
			t.Fatal(err)
		}
	}
	sink.Wait(t, 3) // their setup emails
	p := e.NewPartner(t, v, "Ada", "ada@partner.example")
	l := e.NewLink(t, v, p, "https://acme.example/")
	e.Clock.Set(time.Date(2026, 1, 16, 10, 0, 0, 0, time.UTC))
	e.Must(t, http.StatusFound, e.Click(t, l.Key))

	run := func() {
		t.Helper()
		if ran, err := e.App.WeeklySummaryOnce(t.Context()); !ran || err != nil {
			t.Fatalf("WeeklySummaryOnce = %v, %v", ran, err)
		}
	}
	// The vendor was created on Thursday the 15th: the week before has nothing.
	run()
	e.Clock.Set(time.Date(2026, 1, 19, 0, 30, 0, 0, time.UTC)) // Monday: the week of the 12th ended
	run()
	run()
	sink.Wait(t, 5)
	time.Sleep(300 * time.Millisecond) // time for a wrong extra summary to arrive
	msgs := sink.Messages()[3:]
	if len(msgs) != 2 {
		t.Fatalf("%d summaries, want 2 (the admins, once)", len(msgs))
	}
	var ben *testenv.SinkMessage
	for _, m := range msgs {
		if !strings.Contains(m.Subject, "Jan 12 – Jan 18, 2026") || !strings.Contains(m.Text, "Clicks:    1") ||
			!strings.Contains(m.ListUnsubscribe, "/unsubscribe/") || strings.Contains(m.To, "val@") {
			t.Fatalf("summary to %s, %q, unsubscribe %q:\n%s", m.To, m.Subject, m.ListUnsubscribe, m.Text)
		}
		if strings.Contains(m.To, "ben@") {
			ben = m
		}
	}
	if ben == nil {
		t.Fatal("no summary for ben")
	}
	unsub := strings.TrimPrefix(ben.ListUnsubscribe, e.URL())
	page := e.NewBrowser(t).Get(t, unsub).Must(t, http.StatusOK)
	if !strings.Contains(page.Body, "Weekly summary") || !strings.Contains(page.Body, "ben@acme.example") {
		t.Fatalf("unsubscribe page:\n%s", page.Body)
	}
	e.NewBrowser(t).Post(t, unsub, nil).Must(t, http.StatusOK)

	e.Clock.Set(time.Date(2026, 1, 26, 1, 0, 0, 0, time.UTC))
	run()
	sink.Wait(t, 6)
	time.Sleep(300 * time.Millisecond)
	last := sink.Messages()[5:]
	if len(last) != 1 || !strings.Contains(last[0].To, "ann@") || !strings.Contains(last[0].Text, "Clicks:    0") {
		t.Fatalf("next week: %d summaries, want Ann's only", len(last))
	}
}
