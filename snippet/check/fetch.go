// Package check fetches a link's destination the way a visitor would reach
// it and reports whether Tally's snippet, with the vendor's public key, is on
// the page. Fetching is careful: a short timeout, a size limit, a few
// redirects and, unless the operator allows it, never a request to a
// private, loopback, link-local, unspecified or multicast address, checked
// on every resolved IP at dial time (which also defeats DNS rebinding) and
// again on each redirect.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Limits of a fetch.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultMaxBody      = 2 << 20
	DefaultMaxRedirects = 5
)

// Options tune a Fetcher; zero values take the defaults.
type Options struct {
	AllowPrivate bool // tests and private deployments only
	Timeout      time.Duration
	MaxBody      int64
	MaxRedirects int
	UserAgent    string
}

// Fetcher fetches pages safely. It is safe for concurrent use.
type Fetcher struct {
	opts      Options
	client    *http.Client
	forbidden func(netip.Addr) string // Forbidden; tests narrow it
}

// BlockedError reports a refused target address.
type BlockedError struct {
	Host string
	Addr netip.Addr
	Kind string // "loopback", "private", ...
}

func (e *BlockedError) Error() string {
	article := "a"
	if strings.ContainsRune("aeiou", rune(e.Kind[0])) {
		article = "an"
	}
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("%s resolves to %s, %s %s address", e.Host, e.Addr, article, e.Kind)
	}
	return fmt.Sprintf("%s is %s %s address", e.Addr, article, e.Kind)
}

// Hop is one redirect the page answered.
type Hop struct {
	URL        string `json:"url"`
	StatusCode int    `json:"status_code"`
	Location   string `json:"location"`
}

// Page is what a fetch saw.
type Page struct {
	URL         string
	FinalURL    string
	StatusCode  int
	ContentType string
	Redirects   []Hop
	Body        []byte
	Truncated   bool // the body was larger than MaxBody
}

// New returns a Fetcher.
func New(opts Options) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "Mozilla/5.0 (compatible; TallyLinkCheck/1.0)"
	}
	f := &Fetcher{opts: opts, forbidden: Forbidden}
	dialer := &net.Dialer{Timeout: opts.Timeout, Control: f.control}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would be dialed instead of the target, hiding its address
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		// Redirects are followed by hand in Fetch, to record and check each hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return f
}

// control runs on every connection after DNS resolution, with the IP about
// to be dialed.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("check: unexpected dial address %q", address)
	}
	return f.allowed("", addr)
}

func (f *Fetcher) allowed(host string, addr netip.Addr) error {
	if f.opts.AllowPrivate {
		return nil
	}
	if kind := f.forbidden(addr); kind != "" {
		return &BlockedError{Host: host, Addr: addr.Unmap(), Kind: kind}
	}
	return nil
}

// Special-purpose ranges refused beside what netip classifies.
var forbiddenPrefixes = []struct {
	p    netip.Prefix
	kind string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("100.64.0.0/10"), "private (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "private (IETF protocol assignments)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "private (benchmarking)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
}

// Forbidden returns why addr may not be fetched, or "" when it may.
func Forbidden(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast(), addr.IsMulticast():
		return "multicast"
	}
	for _, f := range forbiddenPrefixes {
		if f.p.Contains(addr) {
			return f.kind
		}
	}
	return ""
}

// checkURL refuses non-http(s) URLs and literal forbidden IPs before any
// connection; names are checked at dial time, after resolution.
func (f *Fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("check: %s is not an http(s) URL", u.Redacted())
	}
	if u.Host == "" {
		return fmt.Errorf("check: %s has no host", u.Redacted())
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if addr, err := netip.ParseAddr(host); err == nil {
		return f.allowed(host, addr)
	}
	if !f.opts.AllowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return &BlockedError{Host: host, Addr: netip.MustParseAddr("127.0.0.1"), Kind: "loopback"}
	}
	return nil
}

// Fetch GETs rawURL, following at most MaxRedirects redirects. A refused
// address, at any hop, is a *BlockedError; other failures (timeouts,
// refused connections, TLS) are returned as they are, with the page so far.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Page, error) {
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	p := &Page{URL: rawURL, FinalURL: rawURL}
	u, err := url.Parse(rawURL)
	if err != nil {
		return p, fmt.Errorf("check: %s is not a URL", rawURL)
	}
	for hop := 0; ; hop++ {
		if err := f.checkURL(u); err != nil {
			return p, err
		}
		p.FinalURL = u.String()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return p, err
		}
		req.Header.Set("User-Agent", f.opts.UserAgent)
		req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
		resp, err := f.client.Do(req)
		if err != nil {
			var be *BlockedError
			if errors.As(err, &be) {
				be.Host = u.Hostname()
				return p, be
			}
			return p, err
		}
		p.StatusCode = resp.StatusCode
		p.ContentType = resp.Header.Get("Content-Type")
		loc := resp.Header.Get("Location")
		if isRedirect(resp.StatusCode) && loc != "" {
			resp.Body.Close()
			next, err := u.Parse(loc)
			if err != nil {
				return p, fmt.Errorf("check: %s redirected to an invalid Location %q", u.Redacted(), loc)
			}
			p.Redirects = append(p.Redirects, Hop{URL: u.String(), StatusCode: resp.StatusCode, Location: next.String()})
			if hop >= f.opts.MaxRedirects {
				return p, fmt.Errorf("check: more than %d redirects", f.opts.MaxRedirects)
			}
			u = next
			continue
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBody+1))
		if int64(len(body)) > f.opts.MaxBody {
			body, p.Truncated = body[:f.opts.MaxBody], true
		}
		p.Body = body
		if err != nil && !p.Truncated {
			return p, err
		}
		return p, nil
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}
