package hookworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/snippet/check"
)

// Resolver finds the addresses of a host name.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// SenderOptions tune a Sender.
type SenderOptions struct {
	// AllowPrivate lets endpoints be on private, loopback and link-local
	// addresses, and plain http on loopback (TALLY_CHECK_ALLOW_PRIVATE:
	// tests and private deployments).
	AllowPrivate bool
	// Resolve replaces the system resolver (tests).
	Resolve Resolver
	// Timeout bounds one attempt; default attribution.WebhookTimeout.
	Timeout time.Duration
}

// Sender posts signed deliveries. It is safe for concurrent use.
type Sender struct {
	opts   SenderOptions
	client *http.Client
}

// NewSender returns a Sender. Every connection it opens is checked at dial
// time, on the resolved address: a DNS answer pointing at a private or
// loopback address is refused as a literal one is.
func NewSender(opts SenderOptions) *Sender {
	if opts.Timeout <= 0 {
		opts.Timeout = attribution.WebhookTimeout
	}
	if opts.Resolve == nil {
		opts.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	s := &Sender{opts: opts}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: s.control}
	transport := &http.Transport{
		Proxy: nil, // a proxy would be dialed instead of the endpoint, hiding its address
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return s.dial(ctx, dialer, network, addr)
		},
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	s.client = &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		// A redirect is not a delivery: the event is for this URL only.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// dial resolves addr's host with the resolver and dials its addresses in
// turn; control checks each one.
func (s *Sender) dial(ctx context.Context, dialer *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else if addrs, err = s.opts.Resolve(ctx, host); err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	var lastErr error
	for _, ip := range addrs {
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		var blocked *check.BlockedError
		if errors.As(err, &blocked) {
			blocked.Host = host
		}
		lastErr = err
	}
	return nil, lastErr
}

// control runs on every connection after resolution, with the address
// about to be dialed: the link check's rule (check.Forbidden).
func (s *Sender) control(_, address string, _ syscall.RawConn) error {
	if s.opts.AllowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("unexpected dial address %q", address)
	}
	if kind := check.Forbidden(ip); kind != "" {
		return &check.BlockedError{Addr: ip.Unmap(), Kind: kind}
	}
	return nil
}

// CheckDestination is the rule an endpoint's URL must pass when it is
// saved: https, or http on a loopback address when private addresses are
// allowed; never a literal private, loopback or link-local address (nor a
// localhost name) unless allowed. Names are checked again at dial time.
func (s *Sender) CheckDestination(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", rawURL)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	ip, ipErr := netip.ParseAddr(host)
	loopback := host == "localhost" || strings.HasSuffix(host, ".localhost") || (ipErr == nil && ip.IsLoopback())
	switch {
	case u.Scheme == "http" && !(s.opts.AllowPrivate && loopback):
		return fmt.Errorf("it must be https (plain http only on a loopback address, when private addresses are allowed)")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("it must be https")
	case s.opts.AllowPrivate:
		return nil
	case ipErr == nil && check.Forbidden(ip) != "":
		return &check.BlockedError{Host: host, Addr: ip.Unmap(), Kind: check.Forbidden(ip)}
	case loopback:
		return &check.BlockedError{Host: host, Addr: netip.MustParseAddr("127.0.0.1"), Kind: "loopback"}
	}
	return nil
}

// Result is what one attempt got.
type Result struct {
	Answer  attribution.WebhookAnswer
	Excerpt string // the first attribution.WebhookExcerptLen bytes of the answer's body
}

// Send posts body to target as event id at ts, signed with each secret.
func (s *Sender) Send(ctx context.Context, target, id string, ts time.Time, body []byte, secrets []string) Result {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Result{Answer: attribution.WebhookAnswer{Err: err}}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Tally-Webhooks/1.0")
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", attribution.SignWebhook(secrets, id, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Answer: attribution.WebhookAnswer{Err: unwrapURLError(err)}}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, attribution.WebhookExcerptLen))
	return Result{Answer: attribution.WebhookAnswer{StatusCode: resp.StatusCode}, Excerpt: string(excerpt)}
}

// unwrapURLError drops the "Post <url>:" prefix: the URL is the endpoint's,
// shown beside the attempt already.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
