package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
)

// Worker tuning. A claim's lease outlasts the sending of a whole batch
// (each SMTP command times out after Timeout), so two workers never hold
// one message at the same time.
const (
	Batch   = 5
	Timeout = 30 * time.Second
	Lease   = 5 * time.Minute
)

// Mailer is the sending worker of one instance.
type Mailer struct {
	settings Settings
	outbox   *store.Mail
	logger   *slog.Logger
	// OnResult, when set, hears each attempt's result: "sent", "failed"
	// (to be retried or given up) or "skipped" (mail off); app feeds it
	// to the metrics.
	OnResult func(result string)
}

func (m *Mailer) observe(result string, n int) {
	if m.OnResult != nil {
		for range n {
			m.OnResult(result)
		}
	}
}

// New returns the worker sending outbox's messages with settings.
func New(settings Settings, outbox *store.Mail, logger *slog.Logger) *Mailer {
	return &Mailer{settings: settings, outbox: outbox, logger: logger}
}

// Enabled reports whether mail is sent; when it is not, screens show the
// one-time links to copy instead.
func (m *Mailer) Enabled() bool { return m.settings.Enabled() }

// Run sends due messages until ctx ends: at once when this instance
// enqueues one (Mail.Wake), and every poll for other instances' messages
// and retries. With mail off it says so once and marks due messages
// skipped. Every hour it prunes old records.
func (m *Mailer) Run(ctx context.Context, poll time.Duration) {
	if m.Enabled() {
		m.logger.Info("mail is on", "smtp", m.settings.String())
	} else {
		m.logger.Info("mail is off (TALLY_SMTP_URL is unset): no email is sent; screens show the links to copy")
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	var pruned time.Time
	for {
		n, _ := m.SendDue(ctx)
		if time.Since(pruned) >= time.Hour {
			pruned = time.Now()
			if _, err := m.outbox.PruneMail(ctx); err != nil && ctx.Err() == nil {
				m.logger.Warn("pruning old mail records failed", "err", err)
			}
		}
		if n == Batch {
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-m.outbox.Woken():
		case <-t.C:
		}
	}
}

// SendDue claims up to Batch due messages and sends them over one SMTP
// connection; it reports how many it claimed (with mail off, skipped).
// A message that fails is retried later; one the server refuses for good
// fails at once. If ctx ends, the messages not yet tried are released.
func (m *Mailer) SendDue(ctx context.Context) (int, error) {
	if !m.Enabled() {
		n, err := m.outbox.SkipDue(ctx)
		if n > 0 {
			m.logger.Info("emails skipped: TALLY_SMTP_URL is unset", "count", n)
			m.observe("skipped", n)
		}
		return n, err
	}
	claimed, err := m.outbox.ClaimDue(ctx, Batch, Lease, m.settings.From)
	if err != nil || len(claimed) == 0 {
		if err != nil && ctx.Err() == nil {
			m.logger.Warn("claiming emails failed", "err", err)
		}
		return 0, err
	}
	// The connection lives no longer than this call, or than ctx.
	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	client, conn, err := m.dial(connCtx)
	if err != nil {
		m.failAll(ctx, claimed, fmt.Errorf("connect to %s: %w", m.settings.Addr(), err))
		return len(claimed), err
	}
	defer client.CloseWithSMTPClient(conn)
	for i, c := range claimed {
		if ctx.Err() != nil {
			m.release(ctx, claimed[i:])
			break
		}
		msg, err := m.compose(c.Message)
		if err == nil {
			err = client.SendWithSMTPClient(conn, msg)
		}
		if ctx.Err() != nil { // stopping cut the connection: not this message's fault
			m.release(ctx, claimed[i:])
			break
		}
		m.record(ctx, c, err)
	}
	return len(claimed), nil
}

// record stores the outcome of one attempt.
func (m *Mailer) record(ctx context.Context, c store.ClaimedMail, sendErr error) {
	log := m.logger.With("id", c.Message.ID, "kind", c.Message.Kind, "message_id", c.Message.MessageID)
	if sendErr == nil {
		if err := m.outbox.Sent(ctx, c); err != nil {
			// Sent, but not recorded: the lease keeps it from being resent
			// until it ends, then a resend carries the same Message-ID.
			log.Error("email sent but not recorded as sent", "err", err)
			return
		}
		log.Debug("email sent")
		m.observe("sent", 1)
		return
	}
	m.observe("failed", 1)
	gaveUp, err := m.outbox.Failed(ctx, c, sendErr, permanent(sendErr))
	switch {
	case err != nil:
		log.Error("recording a failed email failed", "send_err", sendErr, "err", err)
	case gaveUp:
		log.Error("email given up", "attempts", c.Attempts+1, "err", sendErr)
	default:
		log.Warn("email failed; it will be retried", "attempts", c.Attempts+1, "err", sendErr)
	}
}

func (m *Mailer) failAll(ctx context.Context, claimed []store.ClaimedMail, err error) {
	for _, c := range claimed {
		if ctx.Err() != nil {
			m.release(ctx, []store.ClaimedMail{c})
			continue
		}
		m.record(ctx, c, err)
	}
}

func (m *Mailer) release(ctx context.Context, claimed []store.ClaimedMail) {
	if err := m.outbox.Release(context.WithoutCancel(ctx), claimed); err != nil {
		m.logger.Warn("releasing claimed emails failed; they wait for their lease to end", "err", err)
	}
}

// permanent reports whether the server refused the message for good (a
// 5xx answer to the sender, a recipient or the data): retrying would not
// help. Connection failures and 4xx answers are temporary.
func permanent(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}

// compose turns an outbox message into a go-mail message.
func (m *Mailer) compose(msg *attribution.Message) (*mail.Msg, error) {
	out := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := out.FromFormat(msg.FromName, m.settings.From); err != nil {
		return nil, err
	}
	if err := out.To(msg.To); err != nil {
		return nil, err
	}
	out.Subject(msg.Subject)
	out.SetMessageIDWithValue(msg.MessageID)
	out.SetDate()
	// Automatic replies (out of office) should not answer.
	out.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	out.SetGenHeader("Auto-Submitted", "auto-generated")
	if msg.UnsubscribeURL != "" {
		out.SetListUnsubscribe(msg.UnsubscribeURL)
	}
	out.SetBodyString(mail.TypeTextPlain, msg.Text)
	out.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
	return out, nil
}

// dial connects and authenticates. It dials itself so that ending ctx
// cuts the connection (go-mail's commands take no context): stopping never
// waits for a stuck server. Implicit TLS is done here too, on the
// connection it returns, so go-mail sees the TLS connection.
func (m *Mailer) dial(ctx context.Context) (*mail.Client, *gosmtp.Client, error) {
	s := m.settings
	tlsConfig := s.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := (&net.Dialer{}).DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		context.AfterFunc(ctx, func() { raw.Close() })
		if !s.ImplicitTLS {
			return raw, nil
		}
		tc := tls.Client(raw, tlsConfig)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, err
		}
		return tc, nil
	}
	policy := mail.TLSOpportunistic
	if s.RequireSTARTTLS {
		policy = mail.TLSMandatory
	}
	opts := []mail.Option{
		mail.WithPort(s.Port), mail.WithTimeout(Timeout), mail.WithDialContextFunc(dial),
		mail.WithTLSPolicy(policy), mail.WithTLSConfig(tlsConfig),
	}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	client, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, nil, err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	return client, conn, nil
}
