package snippet

import (
	"net/netip"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
	"github.com/tally-dev/tally/internal/httpx"
)

// SignupBody is the body of POST /v1/snippet/signup, and the common part
// of POST /v1/signups.
type SignupBody struct {
	PublicKey  string `json:"public_key"`
	Ref        string `json:"ref"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
}

// Visitor is what a signup knows of the visitor's browser.
type Visitor struct {
	Addr      netip.Addr
	UserAgent string
}

// ClientVisitor is the request's own client: the visitor of a signup the
// browser itself sends.
func ClientVisitor(c echo.Context) Visitor {
	return Visitor{Addr: httpx.ClientAddr(c), UserAgent: c.Request().UserAgent()}
}

// SignupReader builds the domain signup request of both signup endpoints:
// the snippet's (POST /v1/snippet/signup) and the vendor backend's
// (POST /v1/signups).
type SignupReader struct {
	tokens *attribution.TokenCodec
	agents *clickinfo.AgentParser
	ipSalt []byte
	clock  attribution.Clock
}

// NewSignupReader verifies tokens with codec at the clock's time, and
// hashes visitors with ipSalt as clicks are hashed.
func NewSignupReader(codec *attribution.TokenCodec, agents *clickinfo.AgentParser, ipSalt []byte, clock attribution.Clock) *SignupReader {
	if clock == nil {
		clock = attribution.SystemClock
	}
	return &SignupReader{tokens: codec, agents: agents, ipSalt: ipSalt, clock: clock}
}

// Read turns the body and the request into the domain request, its tokens
// verified for v. Tokens come from the body and from a tally_ref cookie
// that reached Tally (served on the vendor's own subdomain): the engine
// takes the newest valid one. The visitor facts are the ones the
// diagnosis searches clicks by: the truncated IP, a salted hash of IP and
// user agent, the browser and OS; never the raw IP.
func (s *SignupReader) Read(c echo.Context, v *attribution.Vendor, b SignupBody, source string, who Visitor) attribution.SignupRequest {
	r := attribution.SignupRequest{
		Email: b.Email, Name: b.Name, ExternalID: b.ExternalID, Source: source,
	}
	if b.Ref != "" {
		r.Tokens = append(r.Tokens, b.Ref)
	}
	if ck, err := c.Cookie(attribution.RefParam); err == nil && ck.Value != "" {
		r.Tokens = append(r.Tokens, ck.Value)
	}
	r.Checks = attribution.CheckTokens(s.tokens, r.Tokens, v, s.clock())
	if who.Addr.IsValid() {
		r.IPTrunc = clickinfo.TruncateIP(who.Addr).String()
		r.VisitorHash = clickinfo.VisitorHash(s.ipSalt, who.Addr, who.UserAgent)
	}
	if who.UserAgent != "" {
		agent := s.agents.Parse(who.UserAgent)
		r.Browser, r.OS = agent.Browser, agent.OS
	}
	return r
}
