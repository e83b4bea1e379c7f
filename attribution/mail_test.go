package attribution_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

var mailT0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// TestMailBuilders renders every kind and checks what each message must
// carry: the sender's name, a one-line subject, both parts with the link,
// the unsubscribe link exactly on optional kinds, the expiry on links.
func TestMailBuilders(t *testing.T) {
	p := attribution.MailProgram{VendorID: "ven_1", Name: "Acme <Rockets>\r\nBcc: x@evil.example"}
	link := attribution.OneTimeLink{URL: "https://tally.example/setup/tok123", Issued: mailT0, Expires: mailT0.Add(72 * time.Hour)}
	unsub := "https://tally.example/partner/notifications"
	week := attribution.AnalyticsRow{Clicks: 1200, Signups: 30, Purchases: 7,
		Revenue: map[string]int64{"usd": 123456, "jpy": 1500}, Rewards: map[string]int64{"usd": 12345}}
	cases := []struct {
		kind  string
		build func() (*attribution.Message, error)
		want  []string // in both parts
	}{
		{attribution.MailSetupLink, func() (*attribution.Message, error) {
			return attribution.SetupLinkMail(p, "ada@acme.example", link)
		}, []string{link.URL, "72 hours", "ada@acme.example"}},
		{attribution.MailInviteLink, func() (*attribution.Message, error) {
			return attribution.InviteLinkMail(p, "bo@acme.example", "ada@acme.example", link)
		}, []string{link.URL, "ada@acme.example"}},
		{attribution.MailResetLink, func() (*attribution.Message, error) {
			l := link
			l.Expires = mailT0.Add(time.Hour)
			return attribution.ResetLinkMail(p, "ada@acme.example", l)
		}, []string{link.URL, "1 hour"}},
		{attribution.MailPartnerSignIn, func() (*attribution.Message, error) {
			l := link
			l.Expires = mailT0.Add(15 * time.Minute)
			return attribution.PartnerSignInMail(p, "pat@example.com", l)
		}, []string{link.URL, "15 minutes"}},
		{attribution.MailApplicationReceived, func() (*attribution.Message, error) {
			return attribution.ApplicationReceivedMail(p, "pat@example.com", "Pat")
		}, []string{"Hello Pat"}},
		{attribution.MailApplicationApproved, func() (*attribution.Message, error) {
			return attribution.ApplicationApprovedMail(p, "pat@example.com", "Pat", "https://tally.example/partner")
		}, []string{"approved", "https://tally.example/partner"}},
		{attribution.MailApplicationRejected, func() (*attribution.Message, error) {
			return attribution.ApplicationRejectedMail(p, "pat@example.com", "Pat", "Audience too small <yet>")
		}, []string{"your application at this time", "Audience too small"}},
		{attribution.MailNewReward, func() (*attribution.Message, error) {
			return attribution.NewRewardMail(p, "pat@example.com", "Pat", 123456, "usd", "https://tally.example/partner/rewards", unsub)
		}, []string{"USD 1,234.56", unsub}},
		{attribution.MailPayoutSent, func() (*attribution.Message, error) {
			return attribution.PayoutSentMail(p, "pat@example.com", "Pat", 1500, "jpy", "https://tally.example/partner/payouts", unsub)
		}, []string{"JPY 1,500", unsub}},
		{attribution.MailNewApplication, func() (*attribution.Message, error) {
			return attribution.NewApplicationMail(p, "ada@acme.example", "Pat <b>", "pat@example.com", "https://tally.example/partners")
		}, []string{"pat@example.com", "https://tally.example/partners"}},
		{attribution.MailWeeklySummary, func() (*attribution.Message, error) {
			start := mailT0.Truncate(24 * time.Hour)
			return attribution.WeeklySummaryMail(p, "ada@acme.example", start, start.Add(7*24*time.Hour), week, "https://tally.example/", unsub)
		}, []string{"1200", "JPY 1,500", "USD 1,234.56", "USD 123.45", "Jan 15 – Jan 21, 2026"}},
		{attribution.MailPartnerInvite, func() (*attribution.Message, error) {
			l := link
			l.Expires = mailT0.Add(14 * 24 * time.Hour)
			return attribution.PartnerInviteMail(p, "ivy@example.com", "Ivy", l)
		}, []string{link.URL, "14 days", "Hello Ivy"}},
		{attribution.MailWebhookDisabled, func() (*attribution.Message, error) {
			return attribution.WebhookDisabledMail(p, "ada@acme.example", "https://hooks.acme.example/tally", attribution.WebhookDisabledGone, "https://tally.example/dashboard/settings")
		}, []string{"https://hooks.acme.example/tally", "410 Gone", "https://tally.example/dashboard/settings"}},
	}
	if len(cases) != len(attribution.MailKinds) {
		t.Fatalf("%d cases for %d kinds", len(cases), len(attribution.MailKinds))
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			m, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != c.kind || m.VendorID != "ven_1" {
				t.Errorf("kind %q vendor %q", m.Kind, m.VendorID)
			}
			if m.FromName != "Acme <Rockets> Bcc: x@evil.example" || strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("from %q subject %q: line breaks must not reach headers", m.FromName, m.Subject)
			}
			for _, w := range c.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, m.Text)
				}
				if !strings.Contains(m.HTML, w) && !strings.Contains(m.HTML, strings.ReplaceAll(w, "&", "&amp;")) {
					t.Errorf("HTML lacks %q:\n%s", w, m.HTML)
				}
			}
			if strings.Contains(m.HTML, "<Rockets>") || strings.Contains(m.HTML, "Pat <b>") {
				t.Errorf("HTML does not escape names:\n%s", m.HTML)
			}
			if got := m.UnsubscribeURL != ""; got != attribution.MailOptional(c.kind) {
				t.Errorf("unsubscribe %q on kind %s", m.UnsubscribeURL, c.kind)
			}
			if strings.Contains(c.kind, "link") || c.kind == attribution.MailPartnerSignIn || c.kind == attribution.MailPartnerInvite {
				if m.ExpiresAt == nil || m.Expired(*m.ExpiresAt) != true || m.Expired(mailT0) {
					t.Errorf("a link message expires with its link: %v", m.ExpiresAt)
				}
			} else if m.ExpiresAt != nil {
				t.Errorf("expires %v", m.ExpiresAt)
			}
		})
	}
}

func TestMessageValidate(t *testing.T) {
	ok := func() attribution.Message {
		return attribution.Message{Kind: attribution.MailSetupLink, To: "ada@acme.example", Subject: "Hi", Text: "t", HTML: "h"}
	}
	cases := []struct {
		name string
		edit func(*attribution.Message)
	}{
		{"UnknownKind", func(m *attribution.Message) { m.Kind = "spam" }},
		{"BadRecipient", func(m *attribution.Message) { m.To = "Ada <ada@acme.example>" }},
		{"SubjectLineBreak", func(m *attribution.Message) { m.Subject = "Hi\r\nBcc: x@evil.example" }},
		{"NoSubject", func(m *attribution.Message) { m.Subject = "" }},
		{"NoHTML", func(m *attribution.Message) { m.HTML = "" }},
		{"EssentialWithUnsubscribe", func(m *attribution.Message) { m.UnsubscribeURL = "https://x.example/u" }},
		{"OptionalWithoutUnsubscribe", func(m *attribution.Message) { m.Kind = attribution.MailNewReward }},
		{"BadUnsubscribe", func(m *attribution.Message) {
			m.Kind, m.UnsubscribeURL = attribution.MailNewReward, "javascript:alert(1)"
		}},
	}
	m := ok()
	if err := m.Validate(); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := ok()
			c.edit(&m)
			if code := attribution.ErrorCode(m.Validate()); code != attribution.EINVALID {
				t.Fatalf("code %q, want EINVALID", code)
			}
		})
	}
}

func TestMailRetry(t *testing.T) {
	created := mailT0
	cases := []struct {
		name      string
		now       time.Time
		attempts  int
		permanent bool
		jitter    float64
		wantDelay time.Duration
		giveUp    bool
	}{
		{"First", created, 1, false, 0.5, 30 * time.Second, false},
		{"Doubles", created.Add(time.Minute), 3, false, 0.5, 2 * time.Minute, false},
		{"JitterLow", created, 2, false, 0, 48 * time.Second, false},
		{"JitterHigh", created, 2, false, 0.999999, time.Duration(float64(time.Minute) * (0.8 + 0.4*0.999999)), false},
		{"Capped", created.Add(time.Hour), 20, false, 0.999, 6 * time.Hour, false},
		{"ManyAttemptsNoOverflow", created.Add(time.Hour), math.MaxInt32, false, 0.5, 6 * time.Hour, false},
		{"GivesUpAfterThreeDays", created.Add(72 * time.Hour), 12, false, 0.5, 0, true},
		{"PermanentAtOnce", created, 1, true, 0.5, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, giveUp := attribution.MailRetry(created, c.now, c.attempts, c.permanent, c.jitter)
			if giveUp != c.giveUp {
				t.Fatalf("giveUp %v, want %v", giveUp, c.giveUp)
			}
			if !giveUp && next.Sub(c.now) != c.wantDelay {
				t.Fatalf("delay %v, want %v", next.Sub(c.now), c.wantDelay)
			}
		})
	}
}

func TestMessageID(t *testing.T) {
	for from, want := range map[string]string{
		"tally@acme.example":          "mail_1@acme.example",
		"Acme <tally@mail.acme.test>": "mail_1@mail.acme.test",
		"":                            "mail_1@localhost",
	} {
		if got := attribution.MessageID("mail_1", from); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", from, got, want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{123456, "usd", "USD 1,234.56"}, {5, "eur", "EUR 0.05"}, {1500, "jpy", "JPY 1,500"},
		{1250, "kwd", "KWD 1.250"}, {-123456, "usd", "USD -1,234.56"},
		{math.MinInt64, "jpy", "JPY -9,223,372,036,854,775,808"},
	} {
		if got := attribution.FormatMoney(c.amount, c.currency); got != c.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", c.amount, c.currency, got, c.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15 minutes", time.Hour: "1 hour", 72 * time.Hour: "72 hours",
		7 * 24 * time.Hour: "7 days", 90 * time.Minute: "90 minutes", 0: "1 minute",
	} {
		if got := attribution.HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
