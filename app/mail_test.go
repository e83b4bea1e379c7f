package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/mailer"
	"github.com/tally-dev/tally/internal/testenv"
)

// createOwner creates a vendor named Acme with an owner through the admin
// API, which enqueues the owner's setup email, and returns the setup link.
func createOwner(t *testing.T, e *testenv.Env, email string) string {
	t.Helper()
	var created struct {
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken,
		map[string]string{"name": "Acme Rockets", "owner_email": email})).JSON(t, &created)
	if created.OwnerSetupURL == "" {
		t.Fatal("no owner_setup_url")
	}
	return created.OwnerSetupURL
}

// outbox returns the outbox's entries.
func outbox(t *testing.T, mail *store.Mail) []store.OutboxEntry {
	t.Helper()
	entries, err := mail.OutboxEntries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// waitOutbox polls the outbox until ok accepts it (10 s at most).
func waitOutbox(t *testing.T, mail *store.Mail, what string, ok func([]store.OutboxEntry) bool) []store.OutboxEntry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries := outbox(t, mail)
		if ok(entries) {
			return entries
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox never %s: %+v", what, entries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bodiesLeft counts outbox rows that still hold a body.
func bodiesLeft(t *testing.T, st *store.Store) int {
	t.Helper()
	n, err := st.DB().NewSelect().TableExpr("mail_outbox").Where("text_body <> '' OR html_body <> ''").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestMail_SetupLinkDelivered: a vendor created with an owner emails the
// owner their setup link through the outbox and the real worker, over SMTP.
func TestMail_SetupLinkDelivered(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	if !e.App.Mailer.Enabled() {
		t.Fatal("Mailer.Enabled() = false with TALLY_SMTP_URL set")
	}
	link := createOwner(t, e, "Ada@Acme.example")
	msgs := sink.Wait(t, 1)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From.Name != "Acme Rockets" || m.From.Address != testenv.MailFrom {
		t.Errorf("From = %q <%s>, want the program's name and TALLY_MAIL_FROM", m.From.Name, m.From.Address)
	}
	if len(m.EnvelopeTo) != 1 || m.EnvelopeTo[0] != "ada@acme.example" || !strings.Contains(m.To, "ada@acme.example") {
		t.Errorf("to %v / %q", m.EnvelopeTo, m.To)
	}
	if m.Subject != "Your Acme Rockets dashboard account" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Errorf("the setup link %s is not in both parts:\n%s\n%s", link, m.Text, m.HTML)
	}
	if m.ListUnsubscribe != "" {
		t.Errorf("an essential message has List-Unsubscribe %q", m.ListUnsubscribe)
	}
	entries := waitOutbox(t, e.App.Store.Mail, "sent", func(es []store.OutboxEntry) bool {
		return len(es) == 1 && es[0].Status == store.MailSent
	})
	if want := entries[0].ID + "@tally.test"; m.MessageID != want || entries[0].MessageID != want {
		t.Errorf("Message-ID %q, stored %q, want %q", m.MessageID, entries[0].MessageID, want)
	}
	if entries[0].Attempts != 1 || entries[0].SentAt == nil || entries[0].Kind != attribution.MailSetupLink {
		t.Errorf("entry %+v", entries[0])
	}
	if n := bodiesLeft(t, e.App.Store); n != 0 {
		t.Errorf("%d sent messages still hold their bodies (and the one-time link)", n)
	}
	// The emailed link is the one the answer showed, and it works.
	b := e.NewBrowser(t)
	if r := b.Get(t, link); r.StatusCode != http.StatusOK {
		t.Fatalf("GET the emailed link: %d", r.StatusCode)
	}
}

// TestMail_OptionalKindHasListUnsubscribe: a message partners may opt out
// of carries List-Unsubscribe, enqueued from outside any transaction.
func TestMail_OptionalKindHasListUnsubscribe(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v := e.NewVendor(t, "Acme")
	unsub := e.URL() + "/partner/notifications"
	msg, err := attribution.NewRewardMail(attribution.MailProgram{VendorID: v.ID, Name: "Acme"}, "pat@example.com", "Pat",
		2500, "eur", e.URL()+"/partner/rewards", unsub)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.App.Store.Mail.Enqueue(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m := sink.Wait(t, 1)[0]
	if m.ListUnsubscribe != unsub || m.Subject != "You earned EUR 25.00 with Acme" || !strings.Contains(m.HTML, "EUR 25.00") {
		t.Fatalf("List-Unsubscribe %q, Subject %q", m.ListUnsubscribe, m.Subject)
	}
}

// TestMail_Off: without TALLY_SMTP_URL nothing is sent, the log says so
// once, and the outbox marks the message skipped (never sent later).
func TestMail_Off(t *testing.T) {
	e := testenv.New(t)
	if e.App.Mailer.Enabled() {
		t.Fatal("Mailer.Enabled() = true without TALLY_SMTP_URL")
	}
	createOwner(t, e, "ada@acme.example")
	waitOutbox(t, e.App.Store.Mail, "skipped", func(es []store.OutboxEntry) bool {
		return len(es) == 1 && es[0].Status == store.MailSkipped
	})
	if n := strings.Count(e.LogText(), "mail is off"); n != 1 {
		t.Errorf("the log says mail is off %d times, want once:\n%s", n, e.LogText())
	}
	if n := bodiesLeft(t, e.App.Store); n != 0 {
		t.Errorf("a skipped message keeps its body")
	}
}

// TestMail_RolledBackChangeHasNoEmail: a message enqueued in a transaction
// that rolls back is never stored, let alone sent.
func TestMail_RolledBackChangeHasNoEmail(t *testing.T) {
	e := testenv.New(t)
	msg, err := attribution.ApplicationReceivedMail(attribution.MailProgram{Name: "Acme"}, "pat@example.com", "Pat")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = e.App.Store.DB().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := store.EnqueueMail(ctx, tx, msg, e.Clock.Now()); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("err = %v", err)
	}
	if es := outbox(t, e.App.Store.Mail); len(es) != 0 {
		t.Fatalf("outbox after a rollback: %+v", es)
	}
	bad := *msg
	bad.To = "not an address"
	if code := attribution.ErrorCode(e.App.Store.Mail.Enqueue(ctx, &bad)); code != attribution.EINVALID {
		t.Fatalf("a bad message: code %q, want EINVALID", code)
	}
}

var errRollback = errorString("roll back")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestMail_RetriedWhileSMTPIsDown: a message that cannot be sent is
// retried after a growing delay, then delivered once the server is up.
func TestMail_RetriedWhileSMTPIsDown(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	sink.Down()
	e := testenv.New(t, sink.Option())
	createOwner(t, e, "ada@acme.example")
	mail := e.App.Store.Mail
	entries := waitOutbox(t, mail, "failed once", func(es []store.OutboxEntry) bool { return len(es) == 1 && es[0].Attempts == 1 })
	first := entries[0]
	if first.Status != store.MailPending || !strings.Contains(first.LastError, "connect") {
		t.Fatalf("after a failed attempt: %+v", first)
	}
	if d := first.NextAttemptAt.Sub(first.CreatedAt); d < 24*time.Second || d > 36*time.Second {
		t.Fatalf("first retry after %v, want 30s ± 20%%", d)
	}
	ctx := context.Background()
	if n, _ := e.App.Mailer.SendDue(ctx); n != 0 {
		t.Fatalf("a message was tried again before its retry time")
	}
	e.Clock.Advance(40 * time.Second)
	entries = waitOutbox(t, mail, "failed twice", func(es []store.OutboxEntry) bool { return es[0].Attempts == 2 })
	if d := entries[0].NextAttemptAt.Sub(e.Clock.Now()); d < 48*time.Second || d > 72*time.Second {
		t.Fatalf("second retry after %v, want 60s ± 20%%", d)
	}
	sink.Up(t)
	e.Clock.Advance(80 * time.Second)
	m := sink.Wait(t, 1)[0]
	entries = waitOutbox(t, mail, "sent", func(es []store.OutboxEntry) bool { return es[0].Status == store.MailSent })
	if entries[0].Attempts != 3 || m.MessageID != entries[0].MessageID || m.MessageID != first.MessageID {
		t.Fatalf("sent %+v, Message-ID %q (first claim %q)", entries[0], m.MessageID, first.MessageID)
	}
	if len(sink.Messages()) != 1 {
		t.Fatalf("%d messages, want 1", len(sink.Messages()))
	}
}

// TestMail_RefusedForGood: a 550 for the recipient fails the message at
// once; retrying would not help.
func TestMail_RefusedForGood(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	sink.Reject("gone@acme.example")
	e := testenv.New(t, sink.Option())
	createOwner(t, e, "gone@acme.example")
	entries := waitOutbox(t, e.App.Store.Mail, "failed", func(es []store.OutboxEntry) bool {
		return len(es) == 1 && es[0].Status == store.MailFailed
	})
	if entries[0].Attempts != 1 || !strings.Contains(entries[0].LastError, "550") {
		t.Fatalf("%+v", entries[0])
	}
}

// TestMail_ExpiredLinkNotSent: a message whose one-time link died before
// it could be sent is marked expired, not sent.
func TestMail_ExpiredLinkNotSent(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	sink.Down()
	e := testenv.New(t, sink.Option())
	createOwner(t, e, "ada@acme.example")
	waitOutbox(t, e.App.Store.Mail, "tried", func(es []store.OutboxEntry) bool { return es[0].Attempts == 1 })
	sink.Up(t)
	e.Clock.Advance(attribution.LinkLifetime(attribution.LinkSetup))
	if _, err := e.App.Mailer.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitOutbox(t, e.App.Store.Mail, "expired", func(es []store.OutboxEntry) bool { return es[0].Status == store.MailExpired })
	if len(sink.Messages()) != 0 {
		t.Fatal("an expired link was sent")
	}
}

// startMailApp starts an App on dbURL sending to sink, without HTTP.
func startMailApp(t *testing.T, dbURL string, clock *testenv.Clock, sink *testenv.SMTPSink) *app.App {
	t.Helper()
	cfg := app.Config{DatabaseURL: dbURL, AdminToken: testenv.AdminToken, Clock: clock.Now,
		PublicURL: "https://tally.test", SMTPURL: sink.URL(), MailFrom: testenv.MailFrom}
	a, err := app.New(context.Background(), cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestMail_StoppedMidSendResentOnce: an instance stops while its worker is
// in the middle of an SMTP session; a new instance on the same database
// sends the message, once, with the Message-ID fixed at the first claim.
func TestMail_StoppedMidSendResentOnce(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	clock := testenv.NewClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	sink := testenv.NewSMTPSink(t)
	held := sink.Hold()
	first := startMailApp(t, dbURL, clock, sink)
	v, err := first.Store.Vendors.CreateVendor(context.Background(), "Acme", "acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := first.Accounts.CreateUser(context.Background(), v.Vendor.ID, "ada@acme.example", "admin"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never reached the SMTP server")
	}
	claimed := outbox(t, first.Store.Mail)
	if len(claimed) != 1 || claimed[0].MessageID == "" {
		t.Fatalf("claimed: %+v", claimed)
	}
	stopped := make(chan struct{})
	go func() { first.Close(context.Background()); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited on the stuck SMTP session")
	}
	sink.Release()

	second := startMailApp(t, dbURL, clock, sink)
	defer second.Close(context.Background())
	m := sink.Wait(t, 1)[0]
	if m.MessageID != claimed[0].MessageID {
		t.Fatalf("Message-ID %q, want the first claim's %q", m.MessageID, claimed[0].MessageID)
	}
	time.Sleep(1500 * time.Millisecond) // a poll or more of the new worker
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d messages, want exactly 1", n)
	}
}

// TestMail_DeadWorkersLeaseEnds: a worker that claimed a message and died
// (no release) holds it until its lease ends; then another sends it with
// the same Message-ID.
func TestMail_DeadWorkersLeaseEnds(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	clock := testenv.NewClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(dbURL, store.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	msg, _ := attribution.ApplicationReceivedMail(attribution.MailProgram{Name: "Acme"}, "pat@example.com", "Pat")
	if err := st.Mail.Enqueue(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.Mail.ClaimDue(context.Background(), 10, mailer.Lease, testenv.MailFrom)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	sink := testenv.NewSMTPSink(t)
	a := startMailApp(t, dbURL, clock, sink)
	defer a.Close(context.Background())
	if n, _ := a.Mailer.SendDue(context.Background()); n != 0 || len(sink.Messages()) != 0 {
		t.Fatal("a message was sent while another worker's lease held it")
	}
	clock.Advance(mailer.Lease)
	m := sink.Wait(t, 1)[0]
	if m.MessageID != claimed[0].Message.MessageID || m.MessageID != msg.ID+"@tally.test" {
		t.Fatalf("Message-ID %q, want %q", m.MessageID, claimed[0].Message.MessageID)
	}
}

// TestMail_TwoInstancesNeverSendOneMessageTwice: two instances' workers
// race over one outbox; every message is sent exactly once.
func TestMail_TwoInstancesNeverSendOneMessageTwice(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	clock := testenv.NewClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	sink := testenv.NewSMTPSink(t)
	a := startMailApp(t, dbURL, clock, sink)
	defer a.Close(context.Background())
	b := startMailApp(t, dbURL, clock, sink)
	defer b.Close(context.Background())
	const n = 40
	ctx := context.Background()
	for i := range n {
		msg, _ := attribution.ApplicationReceivedMail(attribution.MailProgram{Name: "Acme"}, "pat@example.com", "Pat")
		if err := []*store.Mail{a.Store.Mail, b.Store.Mail}[i%2].Enqueue(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	// Besides the background workers, both instances claim in a loop.
	var wg sync.WaitGroup
	for _, in := range []*app.App{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				in.Mailer.SendDue(ctx)
			}
		}()
	}
	wg.Wait()
	sink.Wait(t, n)
	time.Sleep(1500 * time.Millisecond) // time for a wrongly doubled send to arrive too
	msgs := sink.Messages()
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.MessageID] {
			t.Errorf("%s sent twice", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	if len(msgs) != n {
		t.Fatalf("%d messages, want %d", len(msgs), n)
	}
	for _, e := range outbox(t, a.Store.Mail) {
		if e.Status != store.MailSent || e.Attempts != 1 {
			t.Errorf("%+v", e)
		}
	}
}

// TestMail_Config: TALLY_SMTP_URL and TALLY_MAIL_FROM are checked at start.
func TestMail_Config(t *testing.T) {
	for _, c := range []struct{ url, from, want string }{
		{"http://mail.example:25", "tally@acme.example", "must start with smtp:// or smtps://"},
		{"smtp://user:hunter2@mail.example:587?starttls=maybe", "tally@acme.example", "starttls"},
		{"smtp://mail.example:587", "", "TALLY_MAIL_FROM is required"},
		{"smtp://mail.example:587", "Acme <tally@acme.example>", "plain address"},
	} {
		cfg := app.Config{DatabaseURL: "sqlite:" + t.TempDir() + "/t.db", SMTPURL: c.url, MailFrom: c.from}
		_, err := app.New(context.Background(), cfg, quietLogger())
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s / %s: %v, want an error about %q without the password", c.url, c.from, err, c.want)
		}
	}
}

// TestMail_TLS: STARTTLS when the server offers it, STARTTLS required,
// implicit TLS (smtps://); a server that does not offer STARTTLS when it is
// required gets nothing (the message waits for a retry).
func TestMail_TLS(t *testing.T) {
	for _, c := range []struct {
		name     string
		sink     func(testing.TB) *testenv.SMTPSink
		query    string
		wantTLS  bool
		wantSent bool
	}{
		{"STARTTLSWhenOffered", func(t testing.TB) *testenv.SMTPSink { return testenv.NewSMTPSinkTLS(t, false) }, "", true, true},
		{"STARTTLSRequired", func(t testing.TB) *testenv.SMTPSink { return testenv.NewSMTPSinkTLS(t, false) }, "?starttls=required", true, true},
		{"ImplicitTLS", func(t testing.TB) *testenv.SMTPSink { return testenv.NewSMTPSinkTLS(t, true) }, "", true, true},
		{"PlainWhenNotOffered", testenv.NewSMTPSink, "", false, true},
		{"RequiredButNotOffered", testenv.NewSMTPSink, "?starttls=required", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := c.sink(t)
			e := testenv.New(t, sink.Option(), func(cfg *app.Config) { cfg.SMTPURL += c.query })
			createOwner(t, e, "ada@acme.example")
			if !c.wantSent {
				es := waitOutbox(t, e.App.Store.Mail, "tried", func(es []store.OutboxEntry) bool { return es[0].Attempts == 1 })
				if es[0].Status != store.MailPending || !strings.Contains(es[0].LastError, "STARTTLS") || len(sink.Messages()) != 0 {
					t.Fatalf("%+v; %d messages", es[0], len(sink.Messages()))
				}
				return
			}
			if m := sink.Wait(t, 1)[0]; m.TLS != c.wantTLS {
				t.Fatalf("TLS = %v, want %v", m.TLS, c.wantTLS)
			}
		})
	}
}

// TestMail_Auth: the user and password of TALLY_SMTP_URL sign in over TLS;
// without TLS the password is never offered, and a failed sign-in leaves
// the message waiting for a retry, with no password in the error.
func TestMail_Auth(t *testing.T) {
	const pass = "s3cret:@/pw"
	for _, c := range []struct {
		name     string
		sink     func(testing.TB) *testenv.SMTPSink
		urlPass  string
		wantSent bool
	}{
		{"ImplicitTLS", func(t testing.TB) *testenv.SMTPSink { return testenv.NewSMTPSinkTLS(t, true) }, pass, true},
		{"STARTTLS", func(t testing.TB) *testenv.SMTPSink { return testenv.NewSMTPSinkTLS(t, false) }, pass, true},
		{"WrongPassword", func(t testing.TB) *testenv.SMTPSink { return testenv.NewSMTPSinkTLS(t, true) }, "wrong-" + pass, false},
		{"NoTLS", testenv.NewSMTPSink, pass, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := c.sink(t)
			sink.RequireAuth("tally", pass)
			e := testenv.New(t, sink.Option(), func(cfg *app.Config) {
				right, typed := url.UserPassword("tally", pass).String(), url.UserPassword("tally", c.urlPass).String()
				cfg.SMTPURL = strings.Replace(cfg.SMTPURL, right, typed, 1)
			})
			createOwner(t, e, "ada@acme.example")
			if c.wantSent {
				sink.Wait(t, 1)
				return
			}
			es := waitOutbox(t, e.App.Store.Mail, "tried", func(es []store.OutboxEntry) bool { return es[0].Attempts == 1 })
			if es[0].Status != store.MailPending || len(sink.Messages()) != 0 {
				t.Fatalf("%+v; %d messages", es[0], len(sink.Messages()))
			}
			if strings.Contains(es[0].LastError, "s3cret") || strings.Contains(e.LogText(), "s3cret") {
				t.Fatalf("the password leaked: %q", es[0].LastError)
			}
		})
	}
}
