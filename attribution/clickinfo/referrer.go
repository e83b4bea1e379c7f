package clickinfo

import (
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Referrer source classes that are not site names.
const (
	SourceDirect  = "direct"
	SourceUnknown = "unknown"
)

// knownDomains maps registrable domains to the site names reports use, so
// l.facebook.com, m.facebook.com and fb.me all count as "facebook".
var knownDomains = map[string]string{
	"facebook.com":    "facebook",
	"fb.com":          "facebook",
	"fb.me":           "facebook",
	"instagram.com":   "instagram",
	"linktr.ee":       "linktree",
	"linktree.com":    "linktree",
	"twitter.com":     "twitter",
	"x.com":           "twitter",
	"t.co":            "twitter",
	"youtube.com":     "youtube",
	"youtu.be":        "youtube",
	"linkedin.com":    "linkedin",
	"lnkd.in":         "linkedin",
	"reddit.com":      "reddit",
	"redd.it":         "reddit",
	"tiktok.com":      "tiktok",
	"pin.it":          "pinterest",
	"bing.com":        "bing",
	"duckduckgo.com":  "duckduckgo",
	"threads.net":     "threads",
	"threads.com":     "threads",
	"whatsapp.com":    "whatsapp",
	"wa.me":           "whatsapp",
	"t.me":            "telegram",
	"telegram.me":     "telegram",
	"telegram.org":    "telegram",
	"discord.com":     "discord",
	"discord.gg":      "discord",
	"discordapp.com":  "discord",
	"substack.com":    "substack",
	"medium.com":      "medium",
	"producthunt.com": "producthunt",
}

// anyTLD lists brands that run one site per country TLD (google.co.uk,
// pinterest.de, yahoo.co.jp): matched on the label before the public suffix.
var anyTLD = map[string]string{
	"google":    "google",
	"pinterest": "pinterest",
	"yahoo":     "yahoo",
}

// androidApps maps the package names Android apps send as
// "android-app://PACKAGE" referrers to the same site names.
var androidApps = map[string]string{
	"com.facebook.katana":                     "facebook",
	"com.facebook.orca":                       "facebook",
	"com.instagram.android":                   "instagram",
	"com.google.android.googlequicksearchbox": "google",
	"com.google.android.gm":                   "google",
	"com.twitter.android":                     "twitter",
	"com.linkedin.android":                    "linkedin",
	"com.reddit.frontpage":                    "reddit",
	"com.zhiliaoapp.musically":                "tiktok",
	"com.pinterest":                           "pinterest",
	"com.google.android.youtube":              "youtube",
	"com.whatsapp":                            "whatsapp",
	"org.telegram.messenger":                  "telegram",
	"com.discord":                             "discord",
	"com.instagram.barcelona":                 "threads",
}

// ClassifyReferrer returns the referrer's host (lowercased, "www." stripped)
// and its source class: "direct" when referer is empty (or is one of
// selfHosts, compared case-insensitively); "unknown" when it cannot be parsed
// or has no host; a known site name (facebook, google, twitter, ...) for
// well-known hosts; otherwise the registrable domain of the host, e.g.
// "blog.example.co.uk" -> "example.co.uk".
func ClassifyReferrer(referer string, selfHosts ...string) (host, source string) {
	referer = strings.TrimSpace(referer)
	if referer == "" {
		return "", SourceDirect
	}
	host, scheme, ok := referrerHost(referer)
	if !ok {
		return "", SourceUnknown
	}
	if scheme == "android-app" {
		if name, ok := androidApps[host]; ok {
			return host, name
		}
		return host, host
	}
	for _, self := range selfHosts {
		if s := normalizeHost(self); s != "" && s == host {
			return host, SourceDirect
		}
	}
	return host, siteOf(host)
}

// referrerHost extracts the normalised host. A scheme-less value such as
// "facebook.com/x" (seen in hand-built referrers) is read as a host too.
func referrerHost(referer string) (host, scheme string, ok bool) {
	u, err := url.Parse(referer)
	if err == nil && u.Scheme == "" && u.Host == "" {
		u, err = url.Parse("//" + referer)
	}
	if err != nil {
		return "", "", false
	}
	host = normalizeHost(u.Host)
	if host == "" {
		return "", "", false
	}
	return host, strings.ToLower(u.Scheme), true
}

// normalizeHost lowercases, drops the port, a trailing dot and "www.". It
// accepts a bare host or a URL so selfHosts can be given either way.
func normalizeHost(h string) string {
	h = strings.TrimSpace(strings.ToLower(h))
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	if i := strings.LastIndex(h, "@"); i >= 0 {
		h = h[i+1:]
	}
	if strings.IndexByte(h, ':') >= 0 { // no port otherwise (and no error to build)
		if hp, _, err := net.SplitHostPort(h); err == nil {
			h = hp
		}
	}
	h = strings.Trim(h, "[]")
	h = strings.TrimSuffix(h, ".")
	return strings.TrimPrefix(h, "www.")
}

// siteOf names the source for a host: a known site, else its registrable
// domain, else the host itself (IP addresses, localhost, bare suffixes).
func siteOf(host string) string {
	domain, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	if name := knownDomains[domain]; name != "" {
		return name
	}
	// The registrable domain is one label before its public suffix.
	label, _, _ := strings.Cut(domain, ".")
	if name, ok := anyTLD[label]; ok {
		return name
	}
	return domain
}
