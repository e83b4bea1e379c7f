package api

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
	"github.com/tally-dev/tally/snippet"
)

// ServerSignupBody is the body of POST /v1/signups: the vendor's backend
// may add the visitor's ip and user_agent, so the diagnosis can find the
// visitor's clicks. They are stored as clicks store them: the truncated IP,
// a salted hash of IP and user agent, the browser and OS; never the raw IP.
type ServerSignupBody struct {
	snippet.SignupBody
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// maxUserAgent bounds a user agent passed in a body.
const maxUserAgent = 1024

// signupHandlers serve the vendor backend's POST /v1/signups.
type signupHandlers struct {
	deps   handlerDeps
	reader *snippet.SignupReader
}

// serverVisitor validates the ip and user_agent a backend passed.
func serverVisitor(b ServerSignupBody) (snippet.Visitor, error) {
	var v snippet.Visitor
	if ip := strings.TrimSpace(b.IP); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return v, invalid("ip must be the visitor's IPv4 or IPv6 address, such as 203.0.113.7.")
		}
		v.Addr = a.Unmap()
	}
	v.UserAgent = strings.TrimSpace(b.UserAgent)
	if len(v.UserAgent) > maxUserAgent {
		return v, invalid("user_agent is longer than %d characters.", maxUserAgent)
	}
	return v, nil
}

// createSignup is the server-side signup, for vendors whose users block scripts.
func (s *signupHandlers) createSignup(c echo.Context) error {
	var b ServerSignupBody
	if err := httpx.DecodeJSON(c, &b); err != nil {
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
	r := s.reader.Read(c, v, b.SignupBody, attribution.SourceAPI, who)
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
