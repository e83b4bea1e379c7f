package testenv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/tally-dev/tally/app"
)

// MailFrom is the sender address of servers started with SMTPSink.Option.
const MailFrom = "tally@tally.test"

// SMTPSink is an SMTP server inside the test (emersion/go-smtp) that keeps
// every message it accepts, parsed. Start Tally with its Option:
//
//	sink := testenv.NewSMTPSink(t)
//	e := testenv.New(t, sink.Option())
//	… cause an email …
//	m := sink.Wait(t, 1)[0]
//	m.FromName, m.Subject, m.Text, m.HTML, m.MessageID, m.ListUnsubscribe
//
// Down and Up stop and restart it on the same address (an SMTP outage);
// Hold makes the next session wait at MAIL FROM until Release; Reject
// answers a recipient with a permanent 550.
type SMTPSink struct {
	addr     string
	scheme   string      // smtp, or smtps for implicit TLS
	tls      *tls.Config // the server's certificate, when it speaks TLS
	clientCA *tls.Config // what a client needs to trust it

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	messages []*SinkMessage
	arrived  chan struct{} // closed and replaced at each arrival
	hold     chan struct{} // non-nil: MAIL FROM waits until it is closed
	holding  chan struct{} // closed when a session waits on hold
	rejected map[string]bool
	user     string // non-empty: AUTH PLAIN (over TLS only) with user and pass is required
	pass     string
}

// SinkMessage is one received message.
type SinkMessage struct {
	EnvelopeFrom    string
	EnvelopeTo      []string
	Header          mail.Header
	From            *mail.Address // From, with its display name decoded
	To              string
	Subject         string // decoded
	MessageID       string // without the angle brackets
	ListUnsubscribe string // without the angle brackets
	Text, HTML      string // the decoded parts
	Raw             []byte
	TLS             bool // the session was encrypted
}

// NewSMTPSink starts a sink on a free loopback port, closed when the test ends.
func NewSMTPSink(tb testing.TB) *SMTPSink {
	tb.Helper()
	return newSMTPSink(tb, "smtp", nil)
}

// NewSMTPSinkTLS starts a sink with a certificate of its own for
// 127.0.0.1: it offers STARTTLS, or speaks TLS at once when implicit (its
// URL is then smtps://). Its Option makes the server trust the certificate.
func NewSMTPSinkTLS(tb testing.TB, implicit bool) *SMTPSink {
	tb.Helper()
	scheme := "smtp"
	if implicit {
		scheme = "smtps"
	}
	return newSMTPSink(tb, scheme, selfSigned(tb))
}

func newSMTPSink(tb testing.TB, scheme string, cert *tls.Certificate) *SMTPSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtp sink: %v", err)
	}
	s := &SMTPSink{addr: ln.Addr().String(), scheme: scheme, arrived: make(chan struct{}), rejected: map[string]bool{}}
	if cert != nil {
		s.tls = &tls.Config{Certificates: []tls.Certificate{*cert}}
		roots := x509.NewCertPool()
		roots.AddCert(cert.Leaf)
		s.clientCA = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	}
	s.serve(ln)
	tb.Cleanup(func() { s.Release(); s.Down() })
	return s
}

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(tb testing.TB) *tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// URL is the sink's TALLY_SMTP_URL: smtp:// (STARTTLS offered only by a
// NewSMTPSinkTLS sink) or smtps://.
func (s *SMTPSink) URL() string { return s.scheme + "://" + s.addr }

// Option configures a test server to send its mail to the sink from
// MailFrom (trusting its certificate, if it has one).
func (s *SMTPSink) Option() Option {
	return func(c *app.Config) {
		c.SMTPURL, c.MailFrom, c.SMTPTLSConfig = s.URL(), MailFrom, s.clientCA
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.user != "" {
			c.SMTPURL = s.scheme + "://" + url.UserPassword(s.user, s.pass).String() + "@" + s.addr
		}
	}
}

func (s *SMTPSink) serve(ln net.Listener) {
	if s.scheme == "smtps" {
		ln = tls.NewListener(ln, s.tls)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s, conn: c}, nil }))
	srv.TLSConfig = s.tls
	srv.Domain = "sink.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Down stops the sink: connections are refused until Up.
func (s *SMTPSink) Down() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// The listener too: Serve may not have registered it with srv yet.
		ln.Close()
		srv.Close()
	}
}

// Up starts a stopped sink again on its address.
func (s *SMTPSink) Up(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		tb.Fatalf("smtp sink up again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// Hold makes sessions wait at MAIL FROM until Release. It returns a
// channel closed once a session waits.
func (s *SMTPSink) Hold() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold, s.holding = make(chan struct{}), make(chan struct{})
	return s.holding
}

// Release lets held sessions go on.
func (s *SMTPSink) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

// Reject makes the sink refuse the recipient addr for good (550).
func (s *SMTPSink) Reject(addr string) {
	s.mu.Lock()
	s.rejected[strings.ToLower(addr)] = true
	s.mu.Unlock()
}

// RequireAuth makes the sink require AUTH PLAIN with user and pass, which
// it offers only over TLS, as real servers do. Its Option puts them in the
// URL.
func (s *SMTPSink) RequireAuth(user, pass string) {
	s.mu.Lock()
	s.user, s.pass = user, pass
	s.mu.Unlock()
}

// Messages returns the messages received so far.
func (s *SMTPSink) Messages() []*SinkMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*SinkMessage(nil), s.messages...)
}

// Wait waits up to 10 seconds for at least n messages and returns them all.
func (s *SMTPSink) Wait(tb testing.TB, n int) []*SinkMessage {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		got, arrived := len(s.messages), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-deadline:
			tb.Fatalf("smtp sink: %d messages after 10s, want %d", got, n)
		}
	}
}

func (s *SMTPSink) add(m *SinkMessage) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
}

// sinkSession is one SMTP transaction.
type sinkSession struct {
	sink   *SMTPSink
	conn   *smtp.Conn
	from   string
	to     []string
	authed bool
}

// AuthMechanisms offers PLAIN when the sink requires a password.
func (ss *sinkSession) AuthMechanisms() []string {
	ss.sink.mu.Lock()
	defer ss.sink.mu.Unlock()
	if ss.sink.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ss.sink.mu.Lock()
		defer ss.sink.mu.Unlock()
		if user != ss.sink.user || pass != ss.sink.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.sink.mu.Lock()
	hold, holding, needAuth := ss.sink.hold, ss.sink.holding, ss.sink.user != ""
	ss.sink.mu.Unlock()
	if needAuth && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if hold != nil {
		select {
		case <-holding:
		default:
			close(holding)
		}
		<-hold
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.sink.mu.Lock()
	rejected := ss.sink.rejected[strings.ToLower(to)]
	ss.sink.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parseSinkMessage(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unreadable message: " + err.Error()}
	}
	m.EnvelopeFrom, m.EnvelopeTo = ss.from, ss.to
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.sink.add(m)
	return nil
}

// parseSinkMessage reads the headers and the text and HTML parts.
func parseSinkMessage(raw []byte) (*SinkMessage, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &SinkMessage{Header: msg.Header, Raw: raw, To: msg.Header.Get("To"),
		MessageID:       strings.Trim(msg.Header.Get("Message-Id"), "<> "),
		ListUnsubscribe: strings.Trim(msg.Header.Get("List-Unsubscribe"), "<> ")}
	if m.From, err = mail.ParseAddress(msg.Header.Get("From")); err != nil {
		return nil, fmt.Errorf("header From: %w", err)
	}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("header Subject: %w", err)
	}
	err = readPart(m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

// readPart reads a part into m.Text or m.HTML, descending into multiparts.
func readPart(m *SinkMessage, contentType, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			if err := readPart(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mediaType {
	case "text/plain":
		m.Text = string(data)
	case "text/html":
		m.HTML = string(data)
	}
	return nil
}
