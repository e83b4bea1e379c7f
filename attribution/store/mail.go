package store

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// The mail outbox (mail_outbox). Store code that causes an email builds it
// with the attribution builders and calls EnqueueMail inside its own
// transaction, so a committed change always has its email and a rolled-back
// one never does; after the commit it calls c.wakeMailer() (any service on
// core) so the worker sends at once (otherwise its next poll finds it). The worker (package
// internal/mailer) claims due messages with a lease, sends them, and marks
// them sent or schedules a retry.

// Outbox statuses.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"  // refused for good, or failing for attribution.MailGiveUpAfter
	MailExpired = "expired" // its one-time link died before it could be sent
	MailSkipped = "skipped" // mail is off: nothing is sent
)

// mailRow is one message of the outbox.
type mailRow struct {
	bun.BaseModel  `bun:"table:mail_outbox"`
	ID             string     `bun:"id,pk"`
	VendorID       string     `bun:"vendor_id"`
	Kind           string     `bun:"kind"`
	Recipient      string     `bun:"recipient"`
	FromName       string     `bun:"from_name"`
	Subject        string     `bun:"subject"`
	TextBody       string     `bun:"text_body"`
	HTMLBody       string     `bun:"html_body"`
	UnsubscribeURL string     `bun:"unsubscribe_url"`
	MessageID      string     `bun:"message_id"`
	Status         string     `bun:"status"`
	Attempts       int        `bun:"attempts"`
	NextAttemptAt  time.Time  `bun:"next_attempt_at"`
	ClaimedUntil   *time.Time `bun:"claimed_until"`
	ExpiresAt      *time.Time `bun:"expires_at"`
	SentAt         *time.Time `bun:"sent_at"`
	LastError      string     `bun:"last_error"`
	CreatedAt      time.Time  `bun:"created_at"`
}

func (r *mailRow) message() *attribution.Message {
	return &attribution.Message{ID: r.ID, VendorID: r.VendorID, Kind: r.Kind, To: r.Recipient, FromName: r.FromName,
		Subject: r.Subject, Text: r.TextBody, HTML: r.HTMLBody, UnsubscribeURL: r.UnsubscribeURL,
		ExpiresAt: r.ExpiresAt, MessageID: r.MessageID}
}

// EnqueueMail validates msg and stores it in the outbox through db, which
// should be the transaction of the change that causes the message; it sets
// msg.ID. The message is due at once. EINVALID.
func EnqueueMail(ctx context.Context, db bun.IDB, msg *attribution.Message, now time.Time) error {
	if err := msg.Validate(); err != nil {
		return err
	}
	msg.ID = attribution.NewID(attribution.PrefixMail, now)
	row := &mailRow{ID: msg.ID, VendorID: msg.VendorID, Kind: msg.Kind, Recipient: msg.To, FromName: msg.FromName,
		Subject: msg.Subject, TextBody: msg.Text, HTMLBody: msg.HTML, UnsubscribeURL: msg.UnsubscribeURL,
		Status: MailPending, NextAttemptAt: now, ExpiresAt: msg.ExpiresAt, CreatedAt: now}
	_, err := db.NewInsert().Model(row).Exec(ctx)
	return err
}

// Mail is the outbox: enqueueing outside other transactions, and what the
// sending worker needs.
type Mail struct{ core }

// Enqueue stores msg in a transaction of its own and wakes the worker.
func (m *Mail) Enqueue(ctx context.Context, msg *attribution.Message) error {
	if err := classify(EnqueueMail(ctx, m.db, msg, m.now())); err != nil {
		return err
	}
	m.wakeMailer()
	return nil
}

// wakeMailer tells this instance's worker that messages were committed
// (other instances find them when they poll).
func (c core) wakeMailer() {
	select {
	case c.mailWake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Wake wakes this instance's worker (for code outside the store).
func (m *Mail) Wake() { m.wakeMailer() }

// Woken receives a value after a wake-up.
func (m *Mail) Woken() <-chan struct{} { return m.mailWake }

// PublicURL is the base of the links messages carry.
func (m *Mail) PublicURL() string { return m.publicURL }

// ClaimedMail is a message a worker holds until Until.
type ClaimedMail struct {
	Message   *attribution.Message
	Attempts  int // attempts made before this one
	CreatedAt time.Time
	Until     time.Time
}

// ClaimDue claims up to limit due messages for lease: no other worker
// sends them until the lease ends (a worker that dies mid-send leaves its
// messages to whoever claims them after it). Each message's Message-ID is
// fixed at its first claim from its id and the sender address from. Due
// messages whose link has expired are marked expired instead. On
// PostgreSQL rows another worker is claiming are skipped (FOR UPDATE SKIP
// LOCKED); SQLite's write transactions take turns.
func (m *Mail) ClaimDue(ctx context.Context, limit int, lease time.Duration, from string) ([]ClaimedMail, error) {
	now := m.now()
	until := now.Add(lease).Truncate(time.Microsecond)
	var out []ClaimedMail
	err := m.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		var rows []mailRow
		q := tx.NewSelect().Model(&rows).
			Where("status = ? AND next_attempt_at <= ?", MailPending, now).
			Where("(claimed_until IS NULL OR claimed_until <= ?)", now).
			OrderExpr("next_attempt_at ASC, id ASC").Limit(int64(limit))
		if err := m.dialect.skipLocked(q).Scan(ctx); err != nil {
			return err
		}
		for i := range rows {
			r := &rows[i]
			msg := r.message()
			if msg.Expired(now) {
				if err := finishMail(ctx, tx, r.ID, MailExpired, r.Attempts, "", nil); err != nil {
					return err
				}
				continue
			}
			if r.MessageID == "" {
				r.MessageID = attribution.MessageID(r.ID, from)
				msg.MessageID = r.MessageID
			}
			if _, err := tx.NewUpdate().Model(r).Set("claimed_until = ?, message_id = ?", until, r.MessageID).
				WherePK().Exec(ctx); err != nil {
				return err
			}
			out = append(out, ClaimedMail{Message: msg, Attempts: r.Attempts, CreatedAt: r.CreatedAt, Until: until})
		}
		return nil
	})
	return out, err
}

// finishMail moves a pending message to a final status and empties its
// bodies, which may hold a one-time link.
func finishMail(ctx context.Context, db bun.IDB, id, status string, attempts int, lastError string, sentAt *time.Time) error {
	_, err := db.NewUpdate().Model((*mailRow)(nil)).
		Set("status = ?, attempts = ?, last_error = ?, sent_at = ?", status, attempts, lastError, sentAt).
		Set("claimed_until = NULL, text_body = '', html_body = ''").
		Where("id = ? AND status = ?", id, MailPending).Exec(ctx)
	return err
}

// Sent marks a claimed message sent.
func (m *Mail) Sent(ctx context.Context, c ClaimedMail) error {
	now := m.now()
	return classify(finishMail(ctx, m.db, c.Message.ID, MailSent, c.Attempts+1, "", &now))
}

// maxMailError bounds the SMTP error kept with a message.
const maxMailError = 500

// Failed records a failed attempt at a claimed message: it is retried
// later (attribution.MailRetry decides when), or marked failed when the
// server refused it for good (permanent) or it has failed for too long.
// It reports whether the message was given up.
func (m *Mail) Failed(ctx context.Context, c ClaimedMail, sendErr error, permanent bool) (gaveUp bool, err error) {
	now := m.now()
	attempts := c.Attempts + 1
	msg := attribution.Clip(sendErr.Error(), maxMailError)
	next, giveUp := attribution.MailRetry(c.CreatedAt, now, attempts, permanent, rand.Float64())
	if giveUp {
		return true, classify(finishMail(ctx, m.db, c.Message.ID, MailFailed, attempts, msg, nil))
	}
	_, err = m.db.NewUpdate().Model((*mailRow)(nil)).
		Set("attempts = ?, last_error = ?, next_attempt_at = ?, claimed_until = NULL", attempts, msg, next).
		Where("id = ? AND status = ?", c.Message.ID, MailPending).Exec(ctx)
	return false, classify(err)
}

// Release gives back claimed messages this worker did not try (it is
// stopping), so another worker need not wait for the lease to end.
func (m *Mail) Release(ctx context.Context, claimed []ClaimedMail) error {
	if len(claimed) == 0 {
		return nil
	}
	ids := make([]string, len(claimed))
	for i, c := range claimed {
		ids[i] = c.Message.ID
	}
	_, err := m.db.NewUpdate().Model((*mailRow)(nil)).Set("claimed_until = NULL").
		Where("id IN (?) AND status = ?", bun.List(ids), MailPending).Exec(ctx)
	return classify(err)
}

// SkipDue marks every due message skipped (mail is off): it is never sent,
// even once mail is turned on, since the screens showed its link instead.
func (m *Mail) SkipDue(ctx context.Context) (int, error) {
	res, err := m.db.NewUpdate().Model((*mailRow)(nil)).
		Set("status = ?, claimed_until = NULL, text_body = '', html_body = ''", MailSkipped).
		Where("status = ? AND next_attempt_at <= ?", MailPending, m.now()).Exec(ctx)
	if err != nil {
		return 0, classify(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PruneMail deletes the records of messages that left the outbox before
// attribution.MailRecordsKept ago.
func (m *Mail) PruneMail(ctx context.Context) (int, error) {
	res, err := m.db.NewDelete().Model((*mailRow)(nil)).
		Where("status <> ? AND created_at < ?", MailPending, m.now().Add(-attribution.MailRecordsKept)).Exec(ctx)
	if err != nil {
		return 0, classify(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MailCounts counts the outbox's messages by status.
func (m *Mail) MailCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	err := m.db.NewSelect().Model((*mailRow)(nil)).ColumnExpr("status, COUNT(*) AS n").Group("status").Scan(ctx, &rows)
	if err != nil {
		return nil, classify(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// OutboxEntry is what is kept of a message: for the operator and tests.
type OutboxEntry struct {
	ID, VendorID, Kind, To, Subject, MessageID, Status, LastError string
	Attempts                                                      int
	NextAttemptAt, CreatedAt                                      time.Time
	SentAt                                                        *time.Time
}

// OutboxEntries lists the outbox, oldest first (up to limit).
func (m *Mail) OutboxEntries(ctx context.Context, limit int) ([]OutboxEntry, error) {
	var rows []mailRow
	err := m.db.NewSelect().Model(&rows).OrderExpr("created_at ASC, id ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, classify(err)
	}
	out := make([]OutboxEntry, len(rows))
	for i, r := range rows {
		out[i] = OutboxEntry{ID: r.ID, VendorID: r.VendorID, Kind: r.Kind, To: r.Recipient, Subject: r.Subject,
			MessageID: r.MessageID, Status: r.Status, LastError: r.LastError, Attempts: r.Attempts,
			NextAttemptAt: r.NextAttemptAt, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
	}
	return out, nil
}
