// Package clickinfo turns the raw facts of a referral click (user agent,
// referrer, client IP, CDN country header) into what Tally stores: browser,
// OS, device class and bot verdict, referrer source, truncated and hashed IPs,
// and country.
//
// It is pure and HTTP-free on purpose: handlers read the request and pass
// plain strings and netip.Addr values in, so the rules can be tested and
// reused without a server.
package clickinfo
