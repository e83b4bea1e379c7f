package httpx

import (
	"net/netip"

	"github.com/labstack/echo/v4"
)

// ClientAddr is the request's client IP as the server's IP extractor
// found it (forwarded headers only from trusted proxies); the zero Addr
// when unparsable.
func ClientAddr(c echo.Context) netip.Addr {
	a, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
