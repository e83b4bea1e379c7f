package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

const (
	iPhoneUA    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	googlebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	curlUA      = "curl/8.5.0"
)

// refOf returns the tally_ref of a redirect's Location.
func refOf(t *testing.T, r *testenv.Response) string {
	t.Helper()
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v", r.Header.Get("Location"), err)
	}
	return u.Query().Get(attribution.RefParam)
}

// clickOf decodes the token of a redirect and returns its click row, which
// must exist as soon as the 302 is answered.
func clickOf(t *testing.T, e *testenv.Env, r *testenv.Response) (attribution.ClickToken, attribution.Click) {
	t.Helper()
	tok, err := e.App.Tokens.Decode(refOf(t, r))
	if err != nil {
		t.Fatalf("decode token of %s: %v", r.Header.Get("Location"), err)
	}
	return tok, clickByID(t, e, tok.ClickID)
}

func clickByID(t *testing.T, e *testenv.Env, id string) attribution.Click {
	t.Helper()
	var c attribution.Click
	if err := e.App.Store.DB().NewSelect().Model(&c).Where("id = ?", id).Scan(t.Context()); err != nil {
		t.Fatalf("click %s: %v", id, err)
	}
	return c
}

// lastClick returns the newest click row (ids are time-ordered; tests advance the clock).
func lastClick(t *testing.T, e *testenv.Env) attribution.Click {
	t.Helper()
	var c attribution.Click
	if err := e.App.Store.DB().NewSelect().Model(&c).OrderExpr("id DESC").Limit(1).Scan(t.Context()); err != nil {
		t.Fatalf("last click: %v", err)
	}
	return c
}

func setCookies(r *testenv.Response) []*http.Cookie { return r.Cookies() }

func TestRedirect_Merging(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")

	for _, tc := range []struct {
		name        string
		destination string
		utm         map[string]string
		query       string // the visitor's query on /r/{key}
		want        string // TOKEN stands for the click token
		record      map[string]string
	}{
		{
			name:        "Plain",
			destination: "https://acme.example/",
			want:        "https://acme.example/?tally_ref=TOKEN",
			record:      map[string]string{"utm_source": "", "variant": ""},
		},
		{
			name:        "DestinationQueryKept",
			destination: "https://acme.example/p?a=1&b&c=%2F&plan=pro+plus",
			want:        "https://acme.example/p?a=1&b&c=%2F&plan=pro+plus&tally_ref=TOKEN",
		},
		{
			name:        "Fragment",
			destination: "https://acme.example/p#pricing",
			want:        "https://acme.example/p?tally_ref=TOKEN#pricing",
		},
		{
			name:        "QueryAndFragment",
			destination: "https://acme.example/p?plan=pro#top",
			want:        "https://acme.example/p?plan=pro&tally_ref=TOKEN#top",
		},
		{
			name:        "LinkUTM",
			destination: "https://acme.example/p?plan=pro",
			utm:         map[string]string{"source": "ada", "medium": "affiliate", "campaign": "spring sale"},
			want:        "https://acme.example/p?plan=pro&utm_source=ada&utm_medium=affiliate&utm_campaign=spring+sale&tally_ref=TOKEN",
			record:      map[string]string{"utm_source": "ada", "utm_medium": "affiliate", "utm_campaign": "spring sale"},
		},
		{
			name:        "LinkUTMOverridesDestination",
			destination: "https://acme.example/p?utm_source=old&x=1",
			utm:         map[string]string{"source": "ada"},
			want:        "https://acme.example/p?x=1&utm_source=ada&tally_ref=TOKEN",
			record:      map[string]string{"utm_source": "ada"},
		},
		{
			name:        "IncomingUTMForwardedWhereLinkSetsNone",
			destination: "https://acme.example/p",
			utm:         map[string]string{"source": "ada"},
			query:       "?utm_source=instagram&utm_campaign=story&utm_content=reel",
			want:        "https://acme.example/p?utm_source=ada&utm_campaign=story&utm_content=reel&tally_ref=TOKEN",
			record:      map[string]string{"utm_source": "instagram", "utm_campaign": "story", "utm_content": "reel", "utm_medium": ""},
		},
		{
			name:        "IncomingUTMOnly",
			destination: "https://acme.example/p?utm_medium=old",
			query:       "?utm_medium=email&utm_term=shoes",
			want:        "https://acme.example/p?utm_medium=email&utm_term=shoes&tally_ref=TOKEN",
			record:      map[string]string{"utm_medium": "email", "utm_term": "shoes"},
		},
		{
			name:        "Variant",
			destination: "https://acme.example/p",
			query:       "?v=b",
			want:        "https://acme.example/p?tally_ref=TOKEN",
			record:      map[string]string{"variant": "b"},
		},
		{
			name:        "VariantClipped",
			destination: "https://acme.example/p",
			query:       "?v=" + strings.Repeat("x", 100),
			want:        "https://acme.example/p?tally_ref=TOKEN",
			record:      map[string]string{"variant": strings.Repeat("x", 64)},
		},
		{
			name:        "OtherIncomingParamsDropped",
			destination: "https://acme.example/p",
			query:       "?tally_ref=forged&next=https://evil.example",
			want:        "https://acme.example/p?tally_ref=TOKEN",
		},
		{
			name:        "EscapedIncoming",
			destination: "https://acme.example/p",
			query:       "?utm_campaign=" + url.QueryEscape("a&b=c #1"),
			want:        "https://acme.example/p?utm_campaign=a%26b%3Dc+%231&tally_ref=TOKEN",
			record:      map[string]string{"utm_campaign": "a&b=c #1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"partner_id": p.ID, "destination_url": tc.destination}
			if tc.utm != nil {
				body["utm"] = tc.utm
			}
			var l testenv.Link
			e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, body)).JSON(t, &l)
			r := e.Must(t, http.StatusFound, e.Click(t, l.Key+tc.query))
			token := refOf(t, r)
			if token == "" {
				t.Fatalf("no tally_ref in %s", r.Header.Get("Location"))
			}
			if want := strings.Replace(tc.want, "TOKEN", token, 1); r.Header.Get("Location") != want {
				t.Errorf("Location\n got  %s\n want %s", r.Header.Get("Location"), want)
			}
			_, c := clickOf(t, e, r)
			got := map[string]string{
				"utm_source": c.UTMSource, "utm_medium": c.UTMMedium, "utm_campaign": c.UTMCampaign,
				"utm_content": c.UTMContent, "utm_term": c.UTMTerm, "variant": c.Variant,
			}
			for k, w := range tc.record {
				if got[k] != w {
					t.Errorf("click %s = %q, want %q", k, got[k], w)
				}
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestRedirect_Cookie(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")

	check := func(t *testing.T, r *testenv.Response, days int, domain string, secure bool) {
		t.Helper()
		if n := len(r.Header.Values("Set-Cookie")); n != 1 {
			t.Fatalf("%d Set-Cookie headers, want 1: %v", n, r.Header.Values("Set-Cookie"))
		}
		raw := r.Header.Get("Set-Cookie")
		c := setCookies(r)[0]
		if c.Name != "tally_ref" || c.Value != refOf(t, r) || c.Value == "" {
			t.Errorf("cookie %s=%s, want tally_ref = the token in Location", c.Name, c.Value)
		}
		if c.MaxAge != days*86400 || !strings.Contains(raw, fmt.Sprintf("Max-Age=%d", days*86400)) {
			t.Errorf("Max-Age = %d, want %d days (%s)", c.MaxAge, days, raw)
		}
		if c.Path != "/" {
			t.Errorf("Path = %q", c.Path)
		}
		if !c.HttpOnly {
			t.Errorf("not HttpOnly: %s", raw)
		}
		if c.SameSite != http.SameSiteLaxMode || !strings.Contains(raw, "SameSite=Lax") {
			t.Errorf("SameSite = %v: %s", c.SameSite, raw)
		}
		if c.Secure != secure {
			t.Errorf("Secure = %v, want %v: %s", c.Secure, secure, raw)
		}
		if c.Domain != domain {
			t.Errorf("Domain = %q, want %q: %s", c.Domain, domain, raw)
		}
		if domain == "" && strings.Contains(raw, "Domain=") {
			t.Errorf("Domain set: %s", raw)
		}
	}

	t.Run("Default", func(t *testing.T) {
		check(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)), 90, "", false)
	})
	t.Run("WindowAndCookieDomain", func(t *testing.T) {
		e.Must(t, http.StatusFound, e.Click(t, l.Key)) // the target is cached
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"attribution_window_days": 30, "cookie_domain": "acme.example"}))
		check(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)), 30, "acme.example", false)
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"attribution_window_days": 365, "cookie_domain": ""}))
		check(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)), 365, "", false)
	})
	t.Run("SecureOnHTTPS", func(t *testing.T) {
		e := testenv.New(t, func(c *app.Config) { c.PublicURL = "https://go.acme.example" })
		v := e.NewVendor(t, "Acme")
		p := e.NewPartner(t, v, "Ada", "ada@example.com")
		l := e.NewLink(t, v, p, "https://acme.example/")
		if l.URL != "https://go.acme.example/r/"+l.Key {
			t.Errorf("url = %s", l.URL)
		}
		check(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)), 90, "", true)
	})
}

func TestRedirect_Token(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	e.Clock.Advance(36*time.Hour + 17*time.Second)
	r := e.Must(t, http.StatusFound, e.Click(t, l.Key))

	tok, c := clickOf(t, e, r)
	want := attribution.ClickToken{ClickID: c.ID, LinkID: l.ID, PartnerID: p.ID, VendorID: v.ID, ClickedAt: e.Clock.Now().Unix()}
	if tok != want {
		t.Errorf("token = %+v\nwant    %+v", tok, want)
	}
	if !strings.HasPrefix(tok.ClickID, "clk_") || !tok.Time().Equal(e.Clock.Now().Truncate(time.Second)) {
		t.Errorf("click id %s, time %v", tok.ClickID, tok.Time())
	}
	if !c.ClickedAt.Equal(e.Clock.Now()) {
		t.Errorf("clicked_at = %v, want %v", c.ClickedAt, e.Clock.Now())
	}
	if setCookies(r)[0].Value != refOf(t, r) {
		t.Error("cookie and Location carry different tokens")
	}

	t.Run("EveryClickItsOwnToken", func(t *testing.T) {
		r2 := e.Must(t, http.StatusFound, e.Click(t, l.Key))
		tok2, _ := clickOf(t, e, r2)
		if refOf(t, r2) == refOf(t, r) || tok2.ClickID == tok.ClickID {
			t.Error("two clicks share a token or click id")
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		s := refOf(t, r)
		for _, i := range []int{0, len(s) / 4, len(s) / 2, len(s) - 1} {
			b := []byte(s)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			if _, err := e.App.Tokens.Decode(string(b)); err == nil {
				t.Errorf("token with char %d flipped decodes", i)
			}
		}
		if _, err := e.App.Tokens.Decode(s[:len(s)-1]); err == nil {
			t.Error("truncated token decodes")
		}
	})
	t.Run("OtherDeployment", func(t *testing.T) {
		other := testenv.New(t)
		if _, err := other.App.Tokens.Decode(refOf(t, r)); err == nil {
			t.Fatal("another deployment's codec accepts the token")
		}
		if _, err := e.App.Tokens.Decode(refOf(t, other.Must(t, http.StatusFound, other.Click(t, otherLink(t, other).Key)))); err == nil {
			t.Fatal("this deployment accepts another one's token")
		}
	})
}

func otherLink(t *testing.T, e *testenv.Env) testenv.Link {
	v := e.NewVendor(t, "Other")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	return e.NewLink(t, v, p, "https://other.example/")
}

func TestRedirect_ClickRow(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")

	r := e.Must(t, http.StatusFound, e.Click(t, l.Key))
	_, c := clickOf(t, e, r)
	if c.VendorID != v.ID || c.LinkID != l.ID || c.PartnerID != p.ID {
		t.Errorf("ids: %+v", c)
	}
	if c.IPTrunc != "127.0.0.0" {
		t.Errorf("ip_trunc = %q, want 127.0.0.0", c.IPTrunc)
	}
	if len(c.IPHash) != 32 || len(c.VisitorHash) != 32 || c.IPHash == c.VisitorHash {
		t.Errorf("ip_hash %q visitor_hash %q", c.IPHash, c.VisitorHash)
	}
	if c.Browser != "Chrome" || c.OS != "Windows" || c.Device != "desktop" || c.Bot {
		t.Errorf("agent: browser %q os %q device %q bot %v", c.Browser, c.OS, c.Device, c.Bot)
	}
	if c.Source != "direct" || c.ReferrerHost != "" || c.Country != "" {
		t.Errorf("referrer %q source %q country %q", c.ReferrerHost, c.Source, c.Country)
	}

	t.Run("SameVisitorSameHashes", func(t *testing.T) {
		_, c2 := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key)))
		if c2.IPHash != c.IPHash || c2.VisitorHash != c.VisitorHash {
			t.Error("the same visitor hashes differently")
		}
		_, c3 := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key, "User-Agent", iPhoneUA)))
		if c3.IPHash != c.IPHash || c3.VisitorHash == c.VisitorHash {
			t.Error("another browser on the same IP: want the same ip_hash, another visitor_hash")
		}
	})
	t.Run("Mobile", func(t *testing.T) {
		_, c := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key, "User-Agent", iPhoneUA)))
		if c.Browser != "Safari" || c.OS != "iOS" || c.Device != "mobile" || c.Bot {
			t.Errorf("agent: browser %q os %q device %q bot %v", c.Browser, c.OS, c.Device, c.Bot)
		}
	})
	// Before the self-referrer case below, whose referrer host is 127.0.0.1.
	t.Run("NoRawIPInRow", func(t *testing.T) {
		var rows []map[string]any
		if err := e.App.Store.DB().NewSelect().Table("clicks").Scan(t.Context(), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			t.Fatal("no rows")
		}
		for _, row := range rows {
			for col, val := range row {
				s := fmt.Sprintf("%s", val)
				if strings.Contains(s, "127.0.0.1") || strings.Contains(s, "::1") {
					t.Errorf("column %s holds the raw IP: %q", col, s)
				}
			}
		}
	})
	t.Run("Referrer", func(t *testing.T) {
		for _, tc := range []struct{ referer, host, source string }{
			{"", "", "direct"},
			{"https://www.facebook.com/", "facebook.com", "facebook"},
			{"https://l.facebook.com/l.php?u=https%3A%2F%2Fx", "l.facebook.com", "facebook"},
			{"https://www.google.co.uk/", "google.co.uk", "google"},
			{"https://linktr.ee/ada", "linktr.ee", "linktree"},
			{"https://blog.example.org/post/1?ref=x", "blog.example.org", "example.org"},
			{"android-app://com.google.android.gm/", "com.google.android.gm", "google"},
			{e.URL() + "/elsewhere", "", "direct"},
		} {
			t.Run(tc.referer, func(t *testing.T) {
				h := []string{}
				if tc.referer != "" {
					h = []string{"Referer", tc.referer}
				}
				_, c := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key, h...)))
				if c.Source != tc.source || (tc.host != "" && c.ReferrerHost != tc.host) {
					t.Errorf("referrer_host %q source %q, want %q %q", c.ReferrerHost, c.Source, tc.host, tc.source)
				}
			})
		}
	})
}

func TestRedirect_Bots(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	var l testenv.Link
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{
		"partner_id": p.ID, "destination_url": "https://acme.example/p?a=1#f", "utm": map[string]string{"source": "ada"},
	})).JSON(t, &l)

	for _, ua := range []string{curlUA, googlebotUA, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "python-requests/2.31.0"} {
		t.Run(ua, func(t *testing.T) {
			e.Clock.Advance(time.Second)
			r := e.Must(t, http.StatusFound, e.Click(t, l.Key, "User-Agent", ua))
			if loc := r.Header.Get("Location"); loc != "https://acme.example/p?a=1&utm_source=ada#f" {
				t.Errorf("Location = %s, want the destination without tally_ref", loc)
			}
			if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("bot got a cookie: %v", sc)
			}
			c := lastClick(t, e)
			if !c.Bot || c.Device != "bot" || c.LinkID != l.ID {
				t.Errorf("click: bot %v device %q link %s", c.Bot, c.Device, c.LinkID)
			}
		})
	}
	n, err := e.App.Store.DB().NewSelect().Table("clicks").Where("bot = ?", false).Count(t.Context())
	if err != nil || n != 0 {
		t.Errorf("human clicks = %d, %v", n, err)
	}
}

func TestRedirect_NotFound(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")

	check := func(t *testing.T, r *testenv.Response) {
		t.Helper()
		if r.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", r.StatusCode)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.Contains(strings.ToLower(string(r.Body)), "<html") {
			t.Errorf("body is not a page: %s", r.Body)
		}
		if len(r.Header.Values("Set-Cookie")) != 0 || r.Header.Get("Location") != "" {
			t.Errorf("404 with cookie or Location")
		}
	}
	for _, key := range []string{"nosuchkey", "ab", "a", strings.Repeat("k", 100), "%3Cscript%3E"} {
		t.Run("Unknown"+key[:min(len(key), 10)], func(t *testing.T) {
			r := e.Click(t, key)
			check(t, r)
			if strings.Contains(string(r.Body), "<script>") {
				t.Error("key reflected into the page")
			}
		})
	}
	t.Run("Archived", func(t *testing.T) {
		e.Must(t, http.StatusFound, e.Click(t, l.Key)) // cached
		e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
		check(t, e.Click(t, l.Key))
	})
	t.Run("ArchivedWithFallback", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"fallback_url": "https://acme.example/partners?from=old"}))
		before := countRows(t, e, "clicks")
		r := e.Must(t, http.StatusFound, e.Click(t, l.Key))
		if loc := r.Header.Get("Location"); loc != "https://acme.example/partners?from=old" {
			t.Errorf("Location = %s", loc)
		}
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Error("fallback redirect sets a cookie")
		}
		if n := countRows(t, e, "clicks"); n != before {
			t.Errorf("an archived link recorded a click")
		}
		// Unknown keys name no vendor, so they get the page.
		check(t, e.Click(t, "nosuchkey"))
	})
	t.Run("NoClickRecorded", func(t *testing.T) {
		before := countRows(t, e, "clicks")
		e.Click(t, "nosuchkey2")
		if n := countRows(t, e, "clicks"); n != before {
			t.Errorf("clicks %d -> %d", before, n)
		}
	})
}

func TestRedirect_CacheInvalidation(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")

	t.Run("ArchiveThenClick", func(t *testing.T) {
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
		if r := e.Click(t, l.Key); r.StatusCode != http.StatusNotFound {
			t.Fatalf("archived link answers %d", r.StatusCode)
		}
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]string{"status": "active"}))
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
	})
	t.Run("NewLinkUsableAtOnce", func(t *testing.T) {
		// A miss is cached too; creating the key must purge it.
		if r := e.Click(t, "launch-day"); r.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", r.StatusCode)
		}
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": "https://acme.example/launch", "key": "launch-day"}))
		r := e.Must(t, http.StatusFound, e.Click(t, "launch-day"))
		if !strings.HasPrefix(r.Header.Get("Location"), "https://acme.example/launch?tally_ref=") {
			t.Errorf("Location = %s", r.Header.Get("Location"))
		}
	})
	t.Run("RandomKeyUsableAtOnce", func(t *testing.T) {
		for range 3 {
			l := e.NewLink(t, v, p, "https://acme.example/r")
			e.Must(t, http.StatusFound, e.Click(t, l.Key))
		}
	})
	t.Run("FallbackChangeSeenAtOnce", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
		if r := e.Click(t, l.Key); r.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", r.StatusCode)
		}
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"fallback_url": "https://acme.example/"}))
		if r := e.Must(t, http.StatusFound, e.Click(t, l.Key)); r.Header.Get("Location") != "https://acme.example/" {
			t.Errorf("Location = %s", r.Header.Get("Location"))
		}
	})
}

func TestRedirect_ForwardedFor(t *testing.T) {
	t.Parallel()
	const raw = "203.0.113.77"
	xff := func(t *testing.T, e *testenv.Env, key string, h ...string) attribution.Click {
		t.Helper()
		_, c := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, key, h...)))
		return c
	}
	t.Run("IgnoredByDefault", func(t *testing.T) {
		e := testenv.New(t)
		l := otherLink(t, e)
		c := xff(t, e, l.Key, "X-Forwarded-For", raw, "X-Real-IP", raw)
		if c.IPTrunc != "127.0.0.0" {
			t.Errorf("ip_trunc = %q: a spoofed X-Forwarded-For was believed", c.IPTrunc)
		}
		if d := xff(t, e, l.Key); d.IPHash != c.IPHash {
			t.Error("X-Forwarded-For changed the ip hash")
		}
	})
	t.Run("TrustedProxy", func(t *testing.T) {
		e := testenv.New(t, func(c *app.Config) { c.TrustedProxies = []string{"127.0.0.0/8"} })
		l := otherLink(t, e)
		direct := xff(t, e, l.Key)
		for _, tc := range []struct{ name, header, trunc string }{
			{"Single", raw, "203.0.113.0"},
			{"Chain", "198.51.100.9, " + raw, "203.0.113.0"},
			{"ChainThroughTrusted", raw + ", 127.0.0.9", "203.0.113.0"},
			{"IPv6", "2001:db8:1234:5678::1", "2001:db8:1234::"},
			{"Garbage", "not-an-ip", "127.0.0.0"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := xff(t, e, l.Key, "X-Forwarded-For", tc.header)
				if c.IPTrunc != tc.trunc {
					t.Errorf("ip_trunc = %q, want %q", c.IPTrunc, tc.trunc)
				}
				if tc.trunc != "127.0.0.0" && c.IPHash == direct.IPHash {
					t.Error("ip_hash is the proxy's")
				}
			})
		}
		// Neither the row nor the logs keep the forwarded address.
		var rows []map[string]any
		if err := e.App.Store.DB().NewSelect().Table("clicks").Scan(t.Context(), &rows); err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for col, val := range row {
				if s := fmt.Sprintf("%s", val); strings.Contains(s, raw) || strings.Contains(s, "198.51.100.9") || strings.Contains(s, "2001:db8:1234:5678") {
					t.Errorf("column %s holds a raw IP: %q", col, s)
				}
			}
		}
		if strings.Contains(e.LogText(), raw) {
			t.Error("the raw IP is logged")
		}
	})
}

func TestRedirect_CountryHeader(t *testing.T) {
	t.Parallel()
	t.Run("Configured", func(t *testing.T) {
		e := testenv.New(t, func(c *app.Config) { c.CountryHeader = "CF-IPCountry" })
		l := otherLink(t, e)
		for _, tc := range []struct{ header, want string }{
			{"de", "DE"},
			{"FR", "FR"},
			{"XX", ""},
			{"T1", ""},
			{"Germany", ""},
			{"", ""},
		} {
			t.Run(tc.header, func(t *testing.T) {
				h := []string{}
				if tc.header != "" {
					h = []string{"CF-IPCountry", tc.header}
				}
				_, c := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key, h...)))
				if c.Country != tc.want {
					t.Errorf("country = %q, want %q", c.Country, tc.want)
				}
			})
		}
	})
	t.Run("NotConfigured", func(t *testing.T) {
		e := testenv.New(t)
		l := otherLink(t, e)
		_, c := clickOf(t, e, e.Must(t, http.StatusFound, e.Click(t, l.Key, "CF-IPCountry", "DE")))
		if c.Country != "" {
			t.Errorf("country = %q from an untrusted header", c.Country)
		}
	})
}
