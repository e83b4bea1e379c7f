package attribution

import "time"

// Sending retries. A failed attempt is retried after a delay that doubles
// from MailFirstRetry up to MailMaxRetryDelay, spread by jitter so that
// instances and messages do not retry in step; after MailGiveUpAfter from
// the message's creation (or at once, when the server refused it for good)
// the message is marked failed.
const (
	MailFirstRetry    = 30 * time.Second
	MailMaxRetryDelay = 6 * time.Hour
	MailGiveUpAfter   = 72 * time.Hour
	// MailRecordsKept is how long the record of a message that left the
	// outbox (sent, failed…) is kept: it holds an email address.
	MailRecordsKept = 30 * 24 * time.Hour
)

// MailRetry decides what follows the failed attempt number attempts (1 for
// the first) of a message created at created, at now: the time of the next
// attempt, or giveUp. permanent means the server refused the message for
// good (a 5xx answer). jitter, in [0, 1), spreads the delay by ±20%.
func MailRetry(created, now time.Time, attempts int, permanent bool, jitter float64) (next time.Time, giveUp bool) {
	if permanent || !now.Before(created.Add(MailGiveUpAfter)) {
		return time.Time{}, true
	}
	delay := MailFirstRetry
	for i := 1; i < attempts && delay < MailMaxRetryDelay; i++ {
		delay *= 2
	}
	delay = time.Duration(float64(delay) * (0.8 + 0.4*jitter))
	return now.Add(min(delay, MailMaxRetryDelay)), false
}

// Expired reports whether the one-time link m carries is dead at now, so
// m is no longer worth sending.
func (m *Message) Expired(now time.Time) bool {
	return m.ExpiresAt != nil && !now.Before(*m.ExpiresAt)
}
