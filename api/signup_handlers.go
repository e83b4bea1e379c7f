package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/clickinfo"
)

// SignupBody is the body of POST /v1/signups and POST /v1/snippet/signup.
type SignupBody struct {
	PublicKey  string `json:"public_key"`
	Ref        string `json:"ref"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
}

// SignupRequest turns the body and the request into the domain request,
// its tokens verified for v. Tokens come from the body and from a tally_ref
// cookie that reached Tally (served on the vendor's own subdomain): the
// engine takes the newest valid one.
func (s *Server) SignupRequest(c echo.Context, v *attribution.Vendor, b SignupBody, source string) attribution.SignupRequest {
	r := attribution.SignupRequest{
		Email: b.Email, Name: b.Name, ExternalID: b.ExternalID, Source: source,
	}
	if b.Ref != "" {
		r.Tokens = append(r.Tokens, b.Ref)
	}
	if ck, err := c.Cookie(attribution.RefParam); err == nil && ck.Value != "" {
		r.Tokens = append(r.Tokens, ck.Value)
	}
	if source == attribution.SourceSnippet {
		ua := c.Request().UserAgent()
		addr := clientAddr(c.RealIP())
		if addr.IsValid() {
			r.IPTrunc = clickinfo.TruncateIP(addr).String()
		}
		r.VisitorHash = clickinfo.VisitorHash(s.cfg.IPSalt, addr, ua)
		agent := s.deps.Agents.Parse(ua)
		r.Browser, r.OS = agent.Browser, agent.OS
	}
	r.Checks = attribution.CheckTokens(s.deps.Tokens, r.Tokens, v, s.deps.Clock())
	return r
}

// createSignup is the server-side signup, for vendors whose users block scripts.
func (s *Server) createSignup(c echo.Context) error {
	var b SignupBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	v := VendorOf(c)
	if b.PublicKey != "" && b.PublicKey != v.PublicKey {
		return invalid("public_key does not belong to this secret key's vendor.")
	}
	res, err := s.deps.Store.RecordSignup(c.Request().Context(), v, s.SignupRequest(c, v, b, attribution.SourceAPI))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, res)
}
