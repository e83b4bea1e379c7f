package web

import (
	"crypto/subtle"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// Cookies. The session cookie holds a random token whose hash finds the
// session; the pre-session CSRF cookie protects the sign-in and setup
// forms (double submit) until there is a session to derive the token from.
const (
	sessionCookie = "tally_session"
	csrfCookie    = "tally_csrf"
	csrfField     = "csrf_token"
)

// Context keys of the signed-in user and their session's token.
const (
	ctxUser  = "web.user"
	ctxToken = "web.session_token"
)

func (p *pages) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure}
}

// startSession gives the browser the session cookie. The server ends an
// idle session; the cookie lasts as long, and each page view renews it.
func (p *pages) startSession(c echo.Context, token string) {
	c.SetCookie(p.cookie(sessionCookie, token, int(attribution.SessionIdleTimeout.Seconds())))
}

func (p *pages) endSession(c echo.Context) {
	c.SetCookie(p.cookie(sessionCookie, "", -1))
}

func cookieValue(c echo.Context, name string) string {
	if ck, err := c.Cookie(name); err == nil {
		return ck.Value
	}
	return ""
}

// signedIn lets a request through with its user, or sends the browser to
// the sign-in page. Only the cookie counts: an Authorization header (a
// secret key) never opens a page.
func (p *pages) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := cookieValue(c, sessionCookie)
		_, u, err := p.Accounts.Session(c.Request().Context(), token)
		if attribution.ErrorCode(err) == attribution.EUNAUTHORIZED {
			if token != "" {
				p.endSession(c)
			}
			return c.Redirect(http.StatusSeeOther, "/login")
		} else if err != nil {
			return err
		}
		c.Set(ctxUser, u)
		c.Set(ctxToken, token)
		if !unsafeMethod(c.Request()) {
			p.startSession(c, token) // renew the cookie with the idle timeout
		}
		return next(c)
	}
}

// userOf returns the signed-in user.
func userOf(c echo.Context) *attribution.User { return c.Get(ctxUser).(*attribution.User) }

// csrfToken is the token the forms of this page carry: derived from the
// session cookie when there is one, else the pre-session cookie's value
// (made and set on first use).
func (p *pages) csrfToken(c echo.Context) string {
	if token := cookieValue(c, sessionCookie); token != "" {
		return attribution.CSRFToken(token)
	}
	return p.preSessionCSRF(c)
}

// preSessionCSRF is the pre-session cookie's token, made and set on first use.
func (p *pages) preSessionCSRF(c echo.Context) string {
	if v := cookieValue(c, csrfCookie); len(v) >= 32 {
		return v
	}
	v := attribution.RandomString(43)
	c.SetCookie(p.cookie(csrfCookie, v, 0))
	c.Request().AddCookie(&http.Cookie{Name: csrfCookie, Value: v}) // later calls in this request agree
	return v
}

// checkCSRF refuses, with 403, a state-changing request whose form does not
// carry this browser's token: another site can make the browser post, but
// cannot read the token. SameSite=Lax alone would let a same-site page do it.
func (p *pages) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !unsafeMethod(c.Request()) {
			return next(c)
		}
		want := ""
		if token := cookieValue(c, sessionCookie); token != "" {
			want = attribution.CSRFToken(token)
		} else {
			want = cookieValue(c, csrfCookie)
		}
		got := c.FormValue(csrfField)
		if len(want) < 32 || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return attribution.Errorf(attribution.EFORBIDDEN,
				"This form has expired or did not come from Tally. Go back, reload the page and try again.")
		}
		return next(c)
	}
}

// changesNeedAdmin answers 403 to any change by a viewer.
func (p *pages) changesNeedAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if unsafeMethod(c.Request()) && !userOf(c).MayChange() {
			return attribution.Errorf(attribution.EFORBIDDEN, "Viewers can see everything but change nothing. Ask an admin.")
		}
		return next(c)
	}
}

// sessionMeta describes the browser for sign-in throttling and the session
// list. RealIP trusts forwarded headers only from the configured proxies.
func sessionMeta(c echo.Context) attribution.SessionMeta {
	return attribution.SessionMeta{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}
