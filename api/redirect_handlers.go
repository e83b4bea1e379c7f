package api

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
	"github.com/tally-dev/tally/internal/httpx"
	"github.com/tally-dev/tally/internal/metrics"
)

// redirectHandlers serve the referral redirect.
type redirectHandlers struct {
	deps          handlerDeps
	tokens        *attribution.TokenCodec
	clicks        attribution.ClickRecorder
	agents        *clickinfo.AgentParser
	geo           *clickinfo.Geo
	clock         attribution.Clock
	logger        *slog.Logger
	public        *url.URL
	hashes        *clickinfo.Hasher // keyed with the deployment's IP salt
	clickWait     time.Duration
	countryHeader string // a trusted CDN header carrying the visitor's country
	metrics       *metrics.Metrics
}

// redirect serves GET /r/{key}: it records the click, answers 302 to the
// link's destination with the click token, and sets the tally_ref cookie.
// The click is committed before the 302 leaves (group commit), unless the
// database is too slow, in which case the click stays queued and the
// visitor is not kept waiting: the token is self-contained.
func (s *redirectHandlers) redirect(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.deps.Links.ResolveLink(ctx, c.Param("key"))
	if err != nil {
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			return notFoundPage(c)
		}
		return err
	}
	if t.Link.Status != attribution.LinkActive {
		if t.FallbackURL != "" {
			return c.Redirect(http.StatusFound, t.FallbackURL)
		}
		return notFoundPage(c)
	}

	req := c.Request()
	ua := req.UserAgent()
	agent := s.agents.Parse(ua)
	addr := httpx.ClientAddr(c)
	query := req.URL.Query()
	v := attribution.Visit{At: s.clock(), Query: query, Country: s.country(req, addr),
		Browser: agent.Browser, OS: agent.OS, Device: agent.Device, Bot: agent.Bot}
	v.IPHash, v.VisitorHash = s.hashes.ClickHashes(addr, ua)
	if addr.IsValid() {
		v.IPTrunc = clickinfo.TruncateIP(addr).String()
	}
	v.ReferrerHost, v.Source = clickinfo.ClassifyReferrer(req.Referer(), s.public.Host)
	click := attribution.NewClick(&t.Link, v)
	token := ""
	if ct, ok := t.ClickToken(click); ok {
		if token, err = s.tokens.Encode(ct); err != nil {
			return err
		}
	}
	dest, err := t.RedirectURL(query, token)
	if err != nil {
		return err
	}

	// A visitor who leaves does not cut the wait short: the click is
	// committed in order either way (the request's context is not used).
	if err := s.clicks.Record(context.Background(), click, s.clickWait); err != nil {
		s.logger.Warn("click not yet committed; answering anyway", "link_id", click.LinkID, "err", err)
	}

	// Header values set straight into the map with canonical keys: Set
	// would allocate a slice per value.
	h := c.Response().Header()
	h["Cache-Control"] = noStore
	if token != "" {
		window := t.Window()
		vals := []string{dest, refCookie(token, t.CookieDomain, v.At.Add(window), window, s.public.Scheme == "https")}
		h["Location"], h["Set-Cookie"] = vals[:1:1], vals[1:] // one allocation for both
	} else {
		h["Location"] = []string{dest}
	}
	s.metrics.Redirected(v.Bot)
	c.Response().WriteHeader(http.StatusFound)
	return nil
}

// noStore is shared by every answer: header values are never written in
// place (Set replaces the slice, Add appends to a full one, which copies).
var noStore = []string{"no-store"}

// refCookie renders the tally_ref Set-Cookie value directly: the same
// attributes net/http's Cookie.String writes, without its per-call
// sanitising of a value that is always URL-safe base64 here (the token) and
// a domain validated when the vendor set it.
func refCookie(token, domain string, expires time.Time, maxAge time.Duration, secure bool) string {
	var room [512]byte // on the stack: the string below is the one allocation
	b := append(room[:0], attribution.RefParam...)
	b = append(b, '=')
	b = append(b, token...)
	b = append(b, "; Path=/"...)
	if domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, strings.TrimPrefix(domain, ".")...)
	}
	b = append(b, "; Expires="...)
	b = expires.UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, "; Max-Age="...)
	b = strconv.AppendInt(b, int64(maxAge/time.Second), 10)
	b = append(b, "; HttpOnly"...)
	if secure {
		b = append(b, "; Secure"...)
	}
	b = append(b, "; SameSite=Lax"...)
	return string(b)
}

// country prefers a trusted CDN header, then the GeoIP database.
func (s *redirectHandlers) country(req *http.Request, addr netip.Addr) string {
	if s.countryHeader != "" {
		if cc := clickinfo.CountryFromHeader(req.Header.Get(s.countryHeader)); cc != "" {
			return cc
		}
	}
	return s.geo.Country(addr)
}

var notFoundTmpl = template.Must(template.New("404").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Link not found</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#222}</style></head>
<body><h1>This link does not exist</h1><p>The referral link you followed is unknown or no longer active. Check the address, or ask the person who shared it for a new one.</p></body></html>`))

func notFoundPage(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusNotFound)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	return notFoundTmpl.Execute(c.Response(), nil)
}
