// Package mailer sends the outbox's messages over SMTP with go-mail: every
// instance runs its worker, which claims due messages with a lease, sends
// them and records the outcome (attribution/store/mail.go).
package mailer

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/tally-dev/tally/attribution"
)

// Settings say where and how mail is sent. The zero value sends nothing.
type Settings struct {
	Host string
	Port int
	// ImplicitTLS speaks TLS from the first byte (smtps://); otherwise
	// STARTTLS is used when the server offers it, and required when
	// RequireSTARTTLS is set.
	ImplicitTLS     bool
	RequireSTARTTLS bool
	Username        string
	Password        string
	From            string // the sender's address; the display name is the program's
	// TLSConfig, when set, replaces the default (system roots, the host's
	// name): tests trust their own certificate with it.
	TLSConfig *tls.Config
}

// Enabled reports whether mail is sent at all.
func (s Settings) Enabled() bool { return s.Host != "" }

// Addr is the server's host:port.
func (s Settings) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// ParseSettings reads TALLY_SMTP_URL and TALLY_MAIL_FROM:
//
//	smtp://user:pass@host:587                    STARTTLS when the server offers it
//	smtp://user:pass@host:587?starttls=required  STARTTLS or nothing
//	smtps://user:pass@host:465                   implicit TLS
//	smtp://127.0.0.1:1025                        a local sink (Mailpit)
//
// An empty URL turns mail off. Errors never repeat the password.
func ParseSettings(smtpURL, from string) (Settings, error) {
	if smtpURL == "" {
		return Settings{}, nil
	}
	u, err := url.Parse(smtpURL)
	if err != nil {
		return Settings{}, fmt.Errorf("TALLY_SMTP_URL is not a URL such as smtp://user:password@host:587")
	}
	s := Settings{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return Settings{}, fmt.Errorf("TALLY_SMTP_URL must start with smtp:// or smtps://, got %q", redact(u))
	}
	if s.Host == "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.Opaque != "" {
		return Settings{}, fmt.Errorf("TALLY_SMTP_URL must be %s://[user:password@]host[:port], got %q", u.Scheme, redact(u))
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Settings{}, fmt.Errorf("TALLY_SMTP_URL has a bad port %q", p)
		}
		s.Port = n
	}
	for key, values := range u.Query() {
		switch {
		case key == "starttls" && len(values) == 1 && values[0] == "required" && !s.ImplicitTLS:
			s.RequireSTARTTLS = true
		case key == "starttls" && !s.ImplicitTLS:
			return Settings{}, fmt.Errorf("TALLY_SMTP_URL: starttls can only be required (?starttls=required)")
		default:
			return Settings{}, fmt.Errorf("TALLY_SMTP_URL: unknown option %q (smtp:// takes only ?starttls=required)", key)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if from == "" {
		return Settings{}, fmt.Errorf("TALLY_MAIL_FROM is required with TALLY_SMTP_URL: the address emails are sent from")
	}
	if !attribution.ValidEmail(from) {
		return Settings{}, fmt.Errorf("TALLY_MAIL_FROM must be a plain address such as tally@example.com (the program's name is the display name), got %q", from)
	}
	s.From = from
	return s, nil
}

// redact writes u without its password.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// String describes s for the log, without the password.
func (s Settings) String() string {
	if !s.Enabled() {
		return "off"
	}
	mode := "STARTTLS when offered"
	switch {
	case s.ImplicitTLS:
		mode = "implicit TLS"
	case s.RequireSTARTTLS:
		mode = "STARTTLS required"
	}
	return fmt.Sprintf("%s (%s) from %s", s.Addr(), mode, s.From)
}
