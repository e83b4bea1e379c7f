package attribution

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Health statuses, worst last. NeverSeen is only an overall status.
const (
	HealthOK        = "ok"
	HealthWarning   = "warning"
	HealthFailing   = "failing"
	HealthNeverSeen = "never_seen"
)

// Snippet health check names, one row each in every report.
const (
	CheckSnippetSeen         = "snippet_seen"
	CheckCookieWrite         = "cookie_write"
	CheckPublicKey           = "public_key"
	CheckSignupsWithoutToken = "signups_without_token"
	CheckLandingPages        = "landing_pages"
)

// Health window bounds, in days.
const (
	DefaultHealthDays = 7
	MaxHealthDays     = 90
)

// LandingGrace is how old a click must be before the landing-page check
// expects a ping from its destination: the visitor needs a moment to load
// the page and pings are written in batches.
const LandingGrace = 2 * time.Minute

// Thresholds of the signups_without_token check.
const (
	tokenlessWarnShare = 0.30
	tokenlessFailShare = 0.70
	tokenlessFailMin   = 5
)

// maxReportPages bounds the pages listed in a report.
const maxReportPages = 200

// HealthCheck is one finding of a health report.
type HealthCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok | warning | failing
	Detail string `json:"detail"`
	Remedy string `json:"remedy,omitempty"`
	// Steps are the remedy as actions, when there are any.
	Steps []RemedyAction `json:"steps,omitempty"`
}

// SnippetPage is the pings of one page (origin and path) over a period.
type SnippetPage struct {
	Origin         string `json:"origin" bun:"origin"`
	Path           string `json:"path" bun:"path"`
	Pings          int    `json:"pings" bun:"pings"`
	RefInURL       int    `json:"ref_in_url" bun:"ref_in_url"`
	CookieFailures int    `json:"cookie_failures" bun:"cookie_failures"`
	// RefCookieFailures counts the loads with tally_ref in the URL whose
	// cookie could not be written: the ones that lose attribution.
	RefCookieFailures int       `json:"ref_cookie_failures" bun:"ref_cookie_failures"`
	LastSeenAt        time.Time `json:"last_seen_at" bun:"last_seen"`
}

// PageRef names a page.
type PageRef struct {
	Origin string `json:"origin"`
	Path   string `json:"path"`
}

// MisconfiguredPings are pings of one page that did not count: PublicKey
// is what the page presented ("" missing, "sk_" a secret key of no vendor,
// LeakedSecretKey, an unknown key, or a vendor's own key from an origin it
// does not allow). Relation is how they relate to the vendor asking
// (BadPingRelation).
type MisconfiguredPings struct {
	PublicKey  string    `bun:"public_key"`
	Origin     string    `bun:"origin"`
	Path       string    `bun:"path"`
	Pings      int       `bun:"pings"`
	LastSeenAt time.Time `bun:"last_seen"`
	Relation   string    `bun:"-"`
}

// ownPings returns the pings that are the vendor's alone.
func ownPings(bad []MisconfiguredPings) []MisconfiguredPings {
	var out []MisconfiguredPings
	for _, m := range bad {
		if m.Relation == PingOwn {
			out = append(out, m)
		}
	}
	return out
}

// LandingClicks are the non-bot clicks of one active link over a period.
type LandingClicks struct {
	LinkID         string    `bun:"link_id"`
	DestinationURL string    `bun:"destination_url"`
	Clicks         int       `bun:"clicks"`
	FirstClickAt   time.Time `bun:"first_click"`
}

// SnippetHealthData is what the health checks are computed from, for one
// vendor and the window [Since, Until).
type SnippetHealthData struct {
	Since, Until time.Time
	// LastSeen is the vendor's newest counted ping ever kept; nil if none.
	LastSeen *SnippetPage
	// Pages are the counted pings per page in the window, newest first.
	Pages          []SnippetPage
	PagesTruncated bool
	// OriginLastSeen is the newest counted ping of each origin in the window.
	OriginLastSeen map[string]time.Time
	// Misconfigured are the window's pings that did not count and are shown
	// to this vendor (BadPingRelation): its own, or unowned ones from its site.
	Misconfigured []MisconfiguredPings
	// Signups in the window, and those that came without any token.
	Signups, SignupsWithoutToken int
	// Clicks counts the non-bot clicks in the window.
	Clicks int
	// Landings are non-bot clicks per active link in the window, older than LandingGrace.
	Landings []LandingClicks
}

// SnippetHealth is the answer of GET /v1/health/snippet.
type SnippetHealth struct {
	Status     string        `json:"status"`
	Days       int           `json:"days"`
	Since      time.Time     `json:"since"`
	LastSeenAt *time.Time    `json:"last_seen_at"`
	LastSeen   *PageRef      `json:"last_seen"`
	Checks     []HealthCheck `json:"checks"`
	Pages      []SnippetPage `json:"pages"`
}

// HealthService reads what the snippet health checks need.
type HealthService interface {
	// SnippetHealthData gathers the vendor's pings, signups and clicks
	// from since until now.
	SnippetHealthData(ctx context.Context, v *Vendor, since time.Time) (*SnippetHealthData, error)
}

// OriginOf returns scheme://host[:port] of an http(s) URL, in lower case.
func OriginOf(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// EvaluateSnippetHealth turns the data into the report: one row per check,
// the overall status the worst of them, never_seen when no ping ever came.
func EvaluateSnippetHealth(v *Vendor, d *SnippetHealthData, now time.Time) *SnippetHealth {
	days := int((d.Until.Sub(d.Since) + time.Hour) / (24 * time.Hour))
	h := &SnippetHealth{Days: days, Since: d.Since.UTC(), Pages: d.Pages}
	if h.Pages == nil {
		h.Pages = []SnippetPage{}
	}
	if len(h.Pages) > maxReportPages {
		h.Pages = h.Pages[:maxReportPages]
	}
	if d.LastSeen != nil {
		t := d.LastSeen.LastSeenAt.UTC()
		h.LastSeenAt = &t
		h.LastSeen = &PageRef{Origin: d.LastSeen.Origin, Path: d.LastSeen.Path}
	}
	bad := d.Misconfigured
	own := ownPings(bad)
	h.Checks = []HealthCheck{
		checkSnippetSeen(v, d, own, days, now),
		checkCookieWrite(v, d),
		checkPublicKey(v, d, bad),
		checkSignupsWithoutToken(d, days),
		checkLandingPages(v, d, bad),
	}
	h.Status = HealthOK
	for _, c := range h.Checks {
		if rank(c.Status) > rank(h.Status) {
			h.Status = c.Status
		}
	}
	// Pings of a key that matches no vendor do not tell that this vendor's
	// snippet ever ran: they are warnings beside never_seen.
	if d.LastSeen == nil && len(own) == 0 {
		h.Status = HealthNeverSeen
	}
	return h
}

func rank(status string) int {
	switch status {
	case HealthWarning:
		return 1
	case HealthFailing:
		return 2
	}
	return 0
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// siteOf names where the vendor's snippet should be, for remedies.
func siteOf(v *Vendor, d *SnippetHealthData) string {
	if v.Domain != "" {
		return "https://" + v.Domain
	}
	if len(v.AllowedOrigins) > 0 {
		return v.AllowedOrigins[0]
	}
	for _, l := range d.Landings {
		if o, ok := OriginOf(l.DestinationURL); ok {
			return o
		}
	}
	return "your site"
}

func checkSnippetSeen(v *Vendor, d *SnippetHealthData, bad []MisconfiguredPings, days int, now time.Time) HealthCheck {
	c := HealthCheck{Name: CheckSnippetSeen}
	switch {
	case d.LastSeen == nil && len(bad) == 0:
		c.Status = HealthFailing
		c.Detail = "Tally has never received a ping from your snippet: it is not on your pages yet, or it cannot reach Tally."
		c.Remedy = fmt.Sprintf("Add the two script tags (the queue stub and snippet.js with data-key=%q) to every page of %s, then load a page.", v.PublicKey, siteOf(v, d))
		c.Steps = []RemedyAction{{Action: ActionInstallSnippet, PublicKey: v.PublicKey}, {Action: ActionCheckSnippetHealth}}
	case d.LastSeen == nil:
		c.Status = HealthFailing
		c.Detail = fmt.Sprintf("The snippet loads (last on %s%s at %s) but never with your public key from an allowed origin, so none of its pings or signups count.",
			bad[0].Origin, bad[0].Path, stamp(bad[0].LastSeenAt))
		c.Remedy = "Fix the data-key or allowed_origins as the public_key check says."
	case d.LastSeen.LastSeenAt.Before(d.Since):
		c.Status = HealthFailing
		c.Detail = fmt.Sprintf("The snippet was last seen on %s%s at %s, %s ago: not once in the last %s.",
			d.LastSeen.Origin, d.LastSeen.Path, stamp(d.LastSeen.LastSeenAt),
			plural(int(now.Sub(d.LastSeen.LastSeenAt)/(24*time.Hour)), "day", "days"), plural(days, "day", "days"))
		c.Remedy = fmt.Sprintf("Check that the snippet is still on the pages of %s (a redesign or a new tag manager may have dropped it) and that no Content-Security-Policy blocks %s.",
			d.LastSeen.Origin, "snippet.js")
	default:
		pings := 0
		for _, p := range d.Pages {
			pings += p.Pings
		}
		c.Status = HealthOK
		c.Detail = fmt.Sprintf("The snippet was last seen on %s%s at %s; %s on %s in the last %s.",
			d.LastSeen.Origin, d.LastSeen.Path, stamp(d.LastSeen.LastSeenAt),
			plural(pings, "page load", "page loads"), plural(len(d.Pages), "page", "pages"), plural(days, "day", "days"))
	}
	return c
}

func checkCookieWrite(v *Vendor, d *SnippetHealthData) HealthCheck {
	c := HealthCheck{Name: CheckCookieWrite, Status: HealthOK}
	var withRef, failed int
	var pages []string
	for _, p := range d.Pages {
		withRef += p.RefInURL
		failed += p.RefCookieFailures
		if p.RefCookieFailures > 0 && len(pages) < 5 {
			pages = append(pages, fmt.Sprintf("%s%s (%d of %d)", p.Origin, p.Path, p.RefCookieFailures, p.RefInURL))
		}
	}
	switch {
	case withRef == 0:
		c.Detail = "No page loaded with tally_ref in its URL in this window, so no cookie write was tried."
		return c
	case failed == 0 && withRef == 1:
		c.Detail = "The one page load with tally_ref in the URL stored the tally_ref cookie."
		return c
	case failed == 0:
		c.Detail = fmt.Sprintf("All %d page loads with tally_ref in the URL stored the tally_ref cookie.", withRef)
		return c
	}
	c.Detail = fmt.Sprintf("%d of %s with tally_ref in the URL could not write the tally_ref cookie: %s. "+
		"Those visitors' signups arrive without a token unless a server-set cookie carries it. "+
		"The snippet also reports this when Tally runs on your own subdomain (a CNAME, cookie_domain set) and the HttpOnly tally_ref cookie set by the redirect on the same domain blocks the script's write; attribution then still works through that server cookie.",
		failed, plural(withRef, "page load", "page loads"), strings.Join(pages, ", "))
	c.Remedy = "Check that no consent banner or browser setting blocks first-party cookies before the snippet runs, and that the pages are not in a sandboxed iframe. " +
		"To be independent of script cookies, read tally_ref on your backend and send it as ref, with the visitor's ip and user_agent, in your backend's signup call."
	c.Steps = []RemedyAction{{Action: ActionServerSignup, Fill: []string{FillEmail, FillRef}}}
	c.Status = HealthWarning
	if v.CookieDomain == "" && failed >= 3 && failed*2 > withRef {
		c.Status = HealthFailing
	}
	return c
}

// Kinds of pings that did not count, for the public_key check.
const (
	badMissing = "missing" // no data-key
	badSecret  = "secret"  // a secret key: the vendor's own (leaked) or no vendor's
	badOrigin  = "origin"  // the vendor's public key from an origin it does not allow
	badUnknown = "unknown" // a key that is no vendor's
)

// badKind classifies the key a page that did not count presented.
func badKind(v *Vendor, key string) string {
	switch {
	case key == "":
		return badMissing
	case key == PrefixSecretKey || key == LeakedSecretKey(v.PublicKey):
		return badSecret
	case key == v.PublicKey:
		return badOrigin
	}
	return badUnknown
}

// checkPublicKey reports the pings that did not count: the vendor's own
// (its key from an origin it does not allow, its leaked secret key) can
// fail the check; those of a key that matches no vendor, from pages of its
// site, are only ever a warning, since another program on the same host
// may have sent them.
func checkPublicKey(v *Vendor, d *SnippetHealthData, bad []MisconfiguredPings) HealthCheck {
	c := HealthCheck{Name: CheckPublicKey, Status: HealthOK}
	if len(bad) == 0 {
		c.Detail = "Every ping in this window carried your public key from an allowed origin."
		return c
	}
	// A bad page whose counted pings are newer than its bad ones was fixed.
	fixedAt := map[PageRef]time.Time{}
	for _, p := range d.Pages {
		fixedAt[PageRef{p.Origin, p.Path}] = p.LastSeenAt
	}
	type group struct {
		origin, kind, key string
		own               bool
		pings             int
		paths             []string
		last              time.Time
		open              bool
	}
	groups := map[[3]string]*group{}
	var order [][3]string
	for _, m := range bad {
		kind := badKind(v, m.PublicKey)
		k := [3]string{m.Origin, kind, m.PublicKey}
		g := groups[k]
		if g == nil {
			g = &group{origin: m.Origin, kind: kind, key: m.PublicKey, own: m.Relation == PingOwn}
			groups[k] = g
			order = append(order, k)
		}
		g.pings += m.Pings
		if len(g.paths) < 5 {
			g.paths = append(g.paths, m.Path)
		}
		if m.LastSeenAt.After(g.last) {
			g.last = m.LastSeenAt
		}
		if t, ok := fixedAt[PageRef{m.Origin, m.Path}]; !ok || !t.After(m.LastSeenAt) {
			g.open = true
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return groups[order[i]].pings > groups[order[j]].pings })
	var details, remedies, allow []string
	c.Status = HealthWarning
	fixed := true
	for _, k := range order {
		g := groups[k]
		if g.open {
			fixed = false
			if g.own {
				c.Status = HealthFailing
			}
		}
		where := fmt.Sprintf("%s (%s, %s, last at %s)", g.origin, strings.Join(g.paths, ", "), plural(g.pings, "ping", "pings"), stamp(g.last))
		switch {
		case g.kind == badOrigin:
			details = append(details, "your public key on an origin missing from allowed_origins, "+where+"; signups from there are refused")
			remedies = append(remedies, fmt.Sprintf("Add %s to allowed_origins, or remove the snippet there if it is not your site.", g.origin))
			allow = append(allow, g.origin)
		case g.kind == badSecret && g.own:
			details = append(details, "your secret key (sk_…) as data-key on "+where)
			remedies = append(remedies, fmt.Sprintf("Replace the secret key in data-key with your public key %s on %s, and treat your secret key as leaked: have it replaced, since anyone who saw the page can use it.", v.PublicKey, g.origin))
		case g.kind == badMissing:
			details = append(details, "no data-key on "+where)
			remedies = append(remedies, fmt.Sprintf("If %s is your page, add data-key=%q to the snippet's script tag there.", g.origin, v.PublicKey))
		case g.kind == badSecret:
			details = append(details, "a secret-key-shaped data-key (sk_…) that is no Tally key on "+where)
			remedies = append(remedies, fmt.Sprintf("If %s is your page, put your public key %s in data-key there instead.", g.origin, v.PublicKey))
		default:
			key := g.key
			if len(key) > 40 {
				key = key[:40] + "…"
			}
			details = append(details, fmt.Sprintf("the key %q, which matches no Tally program, on %s", key, where))
			remedies = append(remedies, fmt.Sprintf("If %s is your page, replace data-key %q with your public key %s there.", g.origin, key, v.PublicKey))
		}
	}
	c.Detail = "Pings that did not count for you: " + strings.Join(details, "; ") + "."
	if fixed {
		c.Detail += " Each of these pages has since pinged with the right key, so this looks fixed."
	} else if c.Status == HealthWarning {
		c.Detail += " Their keys are not yours, and other programs may share these hosts: check whether these pages are yours."
	}
	c.Remedy = strings.Join(remedies, " ")
	if len(allow) > 0 {
		c.Steps = append(c.Steps, RemedyAction{Action: ActionAllowOrigins, Origins: append(append([]string(nil), v.AllowedOrigins...), allow...)})
	}
	if c.Status != HealthOK {
		c.Steps = append(c.Steps, RemedyAction{Action: ActionCheckSnippetHealth})
	}
	return c
}

func checkSignupsWithoutToken(d *SnippetHealthData, days int) HealthCheck {
	c := HealthCheck{Name: CheckSignupsWithoutToken, Status: HealthOK}
	switch {
	case d.Signups == 0:
		c.Detail = fmt.Sprintf("No signups in the last %s.", plural(days, "day", "days"))
		return c
	case d.Clicks == 0:
		c.Detail = fmt.Sprintf("%s in the last %s but no referral clicks, so signups without a token are expected.",
			plural(d.Signups, "signup", "signups"), plural(days, "day", "days"))
		return c
	}
	share := float64(d.SignupsWithoutToken) / float64(d.Signups)
	c.Detail = fmt.Sprintf("%d of %s in the last %s (%.0f %%) arrived without a tally_ref token, while your links had %s.",
		d.SignupsWithoutToken, plural(d.Signups, "signup", "signups"), plural(days, "day", "days"), share*100, plural(d.Clicks, "click", "clicks"))
	switch {
	case share > tokenlessFailShare && d.Signups >= tokenlessFailMin:
		c.Status = HealthFailing
	case share > tokenlessWarnShare:
		c.Status = HealthWarning
	default:
		return c
	}
	c.Detail += " Some are direct visitors; a high share usually means the token is lost between the click and the signup."
	c.Remedy = "Check that the snippet runs on the signup page and that tally('signup', …) (or your backend's signup call with ref) is called for every signup; see the cookie_write and landing_pages checks. " +
		"Diagnose a customer you expected to be referred to see why."
	c.Steps = []RemedyAction{{Action: ActionDiagnose, Fill: []string{FillEmail}}}
	return c
}

func checkLandingPages(v *Vendor, d *SnippetHealthData, bad []MisconfiguredPings) HealthCheck {
	c := HealthCheck{Name: CheckLandingPages, Status: HealthOK}
	lastPing := map[string]time.Time{}
	for o, t := range d.OriginLastSeen {
		lastPing[o] = t
	}
	for _, m := range bad {
		if m.LastSeenAt.After(lastPing[m.Origin]) {
			lastPing[m.Origin] = m.LastSeenAt
		}
	}
	pageSeen := map[PageRef]time.Time{}
	for _, p := range d.Pages {
		pageSeen[PageRef{p.Origin, p.Path}] = p.LastSeenAt
	}
	for _, m := range bad {
		if k := (PageRef{m.Origin, m.Path}); m.LastSeenAt.After(pageSeen[k]) {
			pageSeen[k] = m.LastSeenAt
		}
	}
	type landing struct {
		first time.Time
		dests []string
		seen  map[string]bool
	}
	missing := map[string]*landing{}
	var origins []string
	var pathless, pathlessLinks []string
	clicks := 0
	for _, l := range d.Landings {
		origin, ok := OriginOf(l.DestinationURL)
		if !ok || l.Clicks == 0 {
			continue
		}
		clicks += l.Clicks
		page := strings.SplitN(strings.SplitN(l.DestinationURL, "#", 2)[0], "?", 2)[0]
		if t, ok := lastPing[origin]; !ok || t.Before(l.FirstClickAt) {
			m := missing[origin]
			if m == nil {
				m = &landing{first: l.FirstClickAt, seen: map[string]bool{}}
				missing[origin] = m
				origins = append(origins, origin)
			}
			if l.FirstClickAt.Before(m.first) {
				m.first = l.FirstClickAt
			}
			if !m.seen[page] && len(m.dests) < 5 {
				m.seen[page] = true
				m.dests = append(m.dests, page)
			}
			continue
		}
		u, err := url.Parse(l.DestinationURL)
		if err != nil || d.PagesTruncated {
			continue
		}
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		if t, ok := pageSeen[PageRef{origin, path}]; (!ok || t.Before(l.FirstClickAt)) && len(pathless) < 5 && !slices.Contains(pathless, page) {
			pathless = append(pathless, page)
			pathlessLinks = append(pathlessLinks, l.LinkID)
		}
	}
	if len(d.Landings) == 0 || clicks == 0 {
		c.Detail = "No clicks landed on your links' destinations in this window."
		return c
	}
	if len(origins) == 0 && len(pathless) == 0 {
		c.Detail = "Every destination your links' visitors landed on ran the snippet after their click."
		return c
	}
	var details, remedies []string
	sort.Strings(origins)
	for _, o := range origins {
		m := missing[o]
		details = append(details, fmt.Sprintf("%s never pinged after clicks landed there (first at %s) on %s", o, stamp(m.first), strings.Join(m.dests, ", ")))
		remedies = append(remedies, "Add the two script tags to "+strings.Join(m.dests, " and ")+".")
	}
	if len(origins) > 0 {
		c.Steps = append(c.Steps, RemedyAction{Action: ActionInstallSnippet, PublicKey: v.PublicKey})
		c.Status = HealthFailing
		c.Detail = "The snippet is missing on landing pages: " + strings.Join(details, "; ") +
			". Clicks there cannot store the referral cookie, so those visitors' signups go unattributed."
	} else {
		c.Status = HealthWarning
	}
	if len(pathless) > 0 {
		c.Detail = strings.TrimSpace(c.Detail + " The snippet runs elsewhere on these sites but never pinged from " + strings.Join(pathless, ", ") +
			" after a click: it may be missing on that page, or the site redirects it to another path.")
		remedies = append(remedies, "Add the two script tags to "+strings.Join(pathless, " and ")+", or check the destination of its links.")
		for _, id := range pathlessLinks {
			c.Steps = append(c.Steps, RemedyAction{Action: ActionCheckLink, LinkID: id})
		}
	}
	c.Remedy = strings.Join(remedies, " ")
	return c
}
