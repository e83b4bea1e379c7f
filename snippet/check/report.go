package check

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"

	"github.com/tally-dev/tally/attribution"
)

// Check names of a destination report.
const (
	CheckReachable = "reachable"
	CheckRefKept   = "ref_kept"
	CheckSnippet   = "snippet"
	CheckPublicKey = "public_key"
)

// Finding is one check of a destination report.
type Finding struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok | warning | failing
	Detail string `json:"detail"`
}

// Report is the answer of POST /v1/links/{id}/check.
type Report struct {
	URL             string    `json:"url"`
	FinalURL        string    `json:"final_url"`
	StatusCode      int       `json:"status_code"`
	SnippetFound    bool      `json:"snippet_found"`
	PublicKeyFound  bool      `json:"public_key_found"`
	OtherPublicKeys []string  `json:"other_public_keys"`
	RefKept         bool      `json:"ref_kept"`
	Redirects       []Hop     `json:"redirects"`
	Checks          []Finding `json:"checks"`
	Status          string    `json:"status"`
}

// Check fetches target (a destination as a click would reach it, with
// tally_ref) and reports on the snippet and publicKey. It fails only with a
// *BlockedError or for a target that is not an http(s) URL; a page that
// cannot be fetched is a failing report.
func (f *Fetcher) Check(ctx context.Context, target, publicKey string) (*Report, error) {
	page, err := f.Fetch(ctx, target)
	var be *BlockedError
	if errors.As(err, &be) {
		return nil, err
	}
	if u, perr := url.Parse(target); perr != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("check: %q is not an http(s) URL", target)
	}
	return Evaluate(page, err, publicKey), nil
}

// Evaluate turns what a fetch saw (fetchErr its error, if any) into the report.
func Evaluate(p *Page, fetchErr error, publicKey string) *Report {
	r := &Report{URL: p.URL, FinalURL: p.FinalURL, StatusCode: p.StatusCode, Redirects: p.Redirects, OtherPublicKeys: []string{}}
	if r.Redirects == nil {
		r.Redirects = []Hop{}
	}
	add := func(name, status, format string, args ...any) {
		r.Checks = append(r.Checks, Finding{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)})
	}

	fetched := fetchErr == nil && p.StatusCode >= 200 && p.StatusCode < 300
	switch {
	case fetchErr != nil:
		add(CheckReachable, attribution.HealthFailing, "The destination could not be fetched from %s: %s.", p.FinalURL, describe(fetchErr))
	case !fetched:
		add(CheckReachable, attribution.HealthFailing, "%s answered HTTP %d: visitors of this link land on an error page.", p.FinalURL, p.StatusCode)
	default:
		add(CheckReachable, attribution.HealthOK, "%s answered HTTP %d.", p.FinalURL, p.StatusCode)
	}

	if fu, err := url.Parse(p.FinalURL); err == nil {
		r.RefKept = fu.Query().Get(attribution.RefParam) != ""
	}
	switch {
	case r.RefKept && len(p.Redirects) == 0:
		add(CheckRefKept, attribution.HealthOK, "The page is reached without redirects and receives tally_ref.")
	case r.RefKept:
		add(CheckRefKept, attribution.HealthOK, "The site redirected %s and kept tally_ref up to %s.", plural(len(p.Redirects), "time", "times"), p.FinalURL)
	default:
		from := p.URL
		if len(p.Redirects) > 0 {
			from = p.Redirects[len(p.Redirects)-1].URL
		}
		add(CheckRefKept, attribution.HealthFailing,
			"The site's redirect from %s to %s dropped tally_ref: the snippet on the final page cannot store the click, so signups from this link go unattributed. "+
				"Make the redirect keep the query string, or point the link at the final URL.", from, p.FinalURL)
	}

	if !fetched {
		r.Status = worst(r.Checks)
		return r
	}
	if ct := p.ContentType; ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "text/html" && mt != "application/xhtml+xml" {
			add(CheckSnippet, attribution.HealthFailing, "The destination is %s, not an HTML page: no snippet can run on it.", mt)
			r.Status = worst(r.Checks)
			return r
		}
	}
	s := ScanHTML(p.Body)
	r.SnippetFound = len(s.Snippets) > 0
	missingKey := false
	for _, t := range s.Snippets {
		switch {
		case t.Key == publicKey:
			r.PublicKeyFound = true
		case t.Key == "":
			missingKey = true
		case strings.HasPrefix(t.Key, attribution.PrefixSecretKey):
			r.OtherPublicKeys = appendOnce(r.OtherPublicKeys, attribution.PrefixSecretKey+"…")
		default:
			k := t.Key
			if len(k) > 64 {
				k = k[:64] + "…"
			}
			r.OtherPublicKeys = appendOnce(r.OtherPublicKeys, k)
		}
	}

	switch {
	case r.SnippetFound:
		add(CheckSnippet, attribution.HealthOK, "The page loads the snippet from %s.", s.Snippets[0].Src)
	case s.TagManager:
		add(CheckSnippet, attribution.HealthWarning,
			"The page's HTML has no <script src=…/snippet.js>, but it loads a tag manager that may inject it after load, which this check cannot see; GET /v1/health/snippet shows whether this page pings.")
	default:
		note := ""
		if p.Truncated {
			note = " (only the first 2 MiB of the page were read)"
		}
		add(CheckSnippet, attribution.HealthFailing,
			"The page's HTML has no <script src=…/snippet.js>%s: add the two script tags to %s, or visitors from this link cannot be attributed by the snippet.", note, pageOf(p.FinalURL))
	}

	if r.SnippetFound {
		switch {
		case r.PublicKeyFound && (len(r.OtherPublicKeys) > 0 || missingKey):
			add(CheckPublicKey, attribution.HealthWarning, "The page has your public key but also another snippet tag with %s; only the first tag to load runs: keep one tag, with data-key=%q.",
				otherDesc(r.OtherPublicKeys, missingKey), publicKey)
		case r.PublicKeyFound:
			add(CheckPublicKey, attribution.HealthOK, "The snippet carries your public key %s.", publicKey)
		case slices.Contains(r.OtherPublicKeys, attribution.PrefixSecretKey+"…"):
			add(CheckPublicKey, attribution.HealthFailing, "The snippet's data-key holds a secret key (sk_…): replace it with your public key %s and have the secret key replaced, it is published in the page.", publicKey)
		case len(r.OtherPublicKeys) > 0:
			add(CheckPublicKey, attribution.HealthFailing, "The snippet carries %s, not your public key: set data-key=%q.", otherDesc(r.OtherPublicKeys, false), publicKey)
		default:
			add(CheckPublicKey, attribution.HealthFailing, "The snippet tag has no data-key: add data-key=%q.", publicKey)
		}
	}
	r.Status = worst(r.Checks)
	return r
}

func worst(checks []Finding) string {
	status := attribution.HealthOK
	for _, c := range checks {
		switch {
		case c.Status == attribution.HealthFailing:
			return attribution.HealthFailing
		case c.Status == attribution.HealthWarning:
			status = attribution.HealthWarning
		}
	}
	return status
}

// describe turns a fetch error into a short reason without Go's wrapping.
func describe(err error) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "Client.Timeout"), strings.Contains(msg, "timeout"):
		return "no answer within the time limit"
	}
	return strings.TrimPrefix(msg, "check: ")
}

func pageOf(u string) string {
	return strings.SplitN(strings.SplitN(u, "#", 2)[0], "?", 2)[0]
}

func otherDesc(keys []string, missing bool) string {
	var parts []string
	if len(keys) > 0 {
		parts = append(parts, "the key "+strings.Join(keys, ", "))
	}
	if missing {
		parts = append(parts, "no data-key")
	}
	return strings.Join(parts, " and ")
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
