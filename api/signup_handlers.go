package api

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
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

// ServerSignupBody is the body of POST /v1/signups: the vendor's backend
// may add the visitor's ip and user_agent, so the diagnosis can find the
// visitor's clicks. They are stored as clicks store them: the truncated IP,
// a salted hash of IP and user agent, the browser and OS; never the raw IP.
type ServerSignupBody struct {
	SignupBody
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// maxUserAgent bounds a user agent passed in a body.
const maxUserAgent = 1024

// visitor is what a signup knows of the visitor's browser.
type visitor struct {
	addr netip.Addr
	ua   string
}

// SignupRequest turns the body and the request into the domain request,
// its tokens verified for v. Tokens come from the body and from a
// tally_ref cookie that reached Tally (served on the vendor's own
// subdomain): the engine takes the newest valid one. A snippet signup's
// visitor is the request's own client.
func (s *Server) SignupRequest(c echo.Context, v *attribution.Vendor, b SignupBody, source string) attribution.SignupRequest {
	r := s.signupRequest(c, v, b, source)
	if source == attribution.SourceSnippet {
		s.addVisitor(&r, visitor{addr: clientAddr(c.RealIP()), ua: c.Request().UserAgent()})
	}
	return r
}

func (s *Server) signupRequest(c echo.Context, v *attribution.Vendor, b SignupBody, source string) attribution.SignupRequest {
	r := attribution.SignupRequest{
		Email: b.Email, Name: b.Name, ExternalID: b.ExternalID, Source: source,
	}
	if b.Ref != "" {
		r.Tokens = append(r.Tokens, b.Ref)
	}
	if ck, err := c.Cookie(attribution.RefParam); err == nil && ck.Value != "" {
		r.Tokens = append(r.Tokens, ck.Value)
	}
	r.Checks = attribution.CheckTokens(s.deps.Tokens, r.Tokens, v, s.deps.Clock())
	return r
}

// addVisitor records the visitor facts the diagnosis searches clicks by.
func (s *Server) addVisitor(r *attribution.SignupRequest, v visitor) {
	if v.addr.IsValid() {
		r.IPTrunc = clickinfo.TruncateIP(v.addr).String()
		r.VisitorHash = clickinfo.VisitorHash(s.cfg.IPSalt, v.addr, v.ua)
	}
	if v.ua != "" {
		agent := s.deps.Agents.Parse(v.ua)
		r.Browser, r.OS = agent.Browser, agent.OS
	}
}

// serverVisitor validates the ip and user_agent a backend passed.
func serverVisitor(b ServerSignupBody) (visitor, error) {
	var v visitor
	if ip := strings.TrimSpace(b.IP); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return v, invalid("ip must be the visitor's IPv4 or IPv6 address, such as 203.0.113.7.")
		}
		v.addr = a.Unmap()
	}
	v.ua = strings.TrimSpace(b.UserAgent)
	if len(v.ua) > maxUserAgent {
		return v, invalid("user_agent is longer than %d characters.", maxUserAgent)
	}
	return v, nil
}

// createSignup is the server-side signup, for vendors whose users block scripts.
func (s *Server) createSignup(c echo.Context) error {
	var b ServerSignupBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	v := VendorOf(c)
	if b.PublicKey != "" && b.PublicKey != v.PublicKey {
		return invalid("public_key does not belong to this secret key's vendor.")
	}
	who, err := serverVisitor(b)
	if err != nil {
		return err
	}
	r := s.signupRequest(c, v, b.SignupBody, attribution.SourceAPI)
	s.addVisitor(&r, who)
	res, err := s.deps.Signups.RecordSignup(c.Request().Context(), v, r)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, res)
}
