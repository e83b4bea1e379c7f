package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

// linkCheckAnswer is the JSON of POST /v1/links/{id}/check.
type linkCheckAnswer struct {
	URL             string   `json:"url"`
	FinalURL        string   `json:"final_url"`
	StatusCode      int      `json:"status_code"`
	SnippetFound    bool     `json:"snippet_found"`
	PublicKeyFound  bool     `json:"public_key_found"`
	OtherPublicKeys []string `json:"other_public_keys"`
	RefKept         bool     `json:"ref_kept"`
	Redirects       []struct {
		URL        string `json:"url"`
		StatusCode int    `json:"status_code"`
		Location   string `json:"location"`
	} `json:"redirects"`
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Detail string `json:"detail"`
	} `json:"checks"`
	Status string `json:"status"`
}

func (a linkCheckAnswer) checkStatus(name string) string {
	for _, c := range a.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func allowPrivateChecks(c *app.Config) { c.CheckAllowPrivate = true }

// vendorSite is a vendor's web site for the destination check.
type vendorSite struct {
	*httptest.Server
	mu        sync.Mutex
	publicKey string
	queries   []string
}

func newVendorSite(t *testing.T) *vendorSite {
	s := &vendorSite{}
	page := func(key string) string {
		return `<!doctype html><html><head><title>Shop</title>
<script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>
<script async src="https://tally.example/snippet.js" data-key="` + key + `"></script>
</head><body><h1>Pricing</h1></body></html>`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/right", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.RawQuery)
		key := s.publicKey
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page(key))
	})
	mux.HandleFunc("/wrong", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page("pk_someoneelse12345678"))
	})
	mux.HandleFunc("/none", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		// A comment and a string that merely mention the snippet are not a tag.
		fmt.Fprint(w, `<html><head><!-- <script src="/snippet.js" data-key="pk_x"></script> --></head>
<body><p>&lt;script src="snippet.js"&gt;</p><script>var s = '<script src="snippet.js">';</script></body></html>`)
	})
	mux.HandleFunc("/drop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/right", http.StatusMovedPermanently) // the site drops the query
	})
	mux.HandleFunc("/keep", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/right?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>"+strings.Repeat("<p>filler</p>", 3<<20/13))
		s.mu.Lock()
		key := s.publicKey
		s.mu.Unlock()
		fmt.Fprint(w, `<script src="/snippet.js" data-key="`+key+`"></script></body></html>`)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestLinkCheck(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, allowPrivateChecks)
	site := newVendorSite(t)
	v := e.NewVendor(t, "Acme")
	site.mu.Lock()
	site.publicKey = v.PublicKey
	site.mu.Unlock()
	p := e.NewPartner(t, v, "Ada", "ada@example.com")

	check := func(t *testing.T, path string) linkCheckAnswer {
		t.Helper()
		l := e.NewLink(t, v, p, site.URL+path)
		var a linkCheckAnswer
		r := e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/links/"+l.ID+"/check", v.SecretKey, nil))
		t.Logf("%s", r.Body)
		r.JSON(t, &a)
		return a
	}

	t.Run("RightKey", func(t *testing.T) {
		a := check(t, "/right?plan=pro")
		if a.Status != "ok" || !a.SnippetFound || !a.PublicKeyFound || !a.RefKept || a.StatusCode != 200 ||
			len(a.OtherPublicKeys) != 0 || len(a.Redirects) != 0 || a.FinalURL != a.URL {
			t.Fatalf("answer %+v", a)
		}
		if a.URL != site.URL+"/right?plan=pro&tally_ref=tally_check" {
			t.Errorf("url %s", a.URL)
		}
		for _, name := range []string{"reachable", "ref_kept", "snippet", "public_key"} {
			if a.checkStatus(name) != "ok" {
				t.Errorf("%s: %q", name, a.checkStatus(name))
			}
		}
		site.mu.Lock()
		last := site.queries[len(site.queries)-1]
		site.mu.Unlock()
		if q, _ := url.ParseQuery(last); q.Get("tally_ref") != "tally_check" || q.Get("plan") != "pro" {
			t.Errorf("the site got ?%s", last)
		}
	})
	t.Run("LinkUTM", func(t *testing.T) {
		m := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{
			"partner_id": p.ID, "destination_url": site.URL + "/right", "utm": map[string]string{"source": "ada"},
		})).Map(t)
		var a linkCheckAnswer
		e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/links/"+m["id"].(string)+"/check", v.SecretKey, nil)).JSON(t, &a)
		if a.URL != site.URL+"/right?utm_source=ada&tally_ref=tally_check" || a.Status != "ok" {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("WrongKey", func(t *testing.T) {
		a := check(t, "/wrong")
		if a.Status != "failing" || !a.SnippetFound || a.PublicKeyFound || len(a.OtherPublicKeys) != 1 ||
			a.OtherPublicKeys[0] != "pk_someoneelse12345678" || a.checkStatus("public_key") != "failing" || a.checkStatus("snippet") != "ok" {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("NoSnippet", func(t *testing.T) {
		a := check(t, "/none")
		if a.Status != "failing" || a.SnippetFound || a.PublicKeyFound || a.checkStatus("snippet") != "failing" ||
			a.checkStatus("public_key") != "" || !a.RefKept {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("RedirectDropsRef", func(t *testing.T) {
		a := check(t, "/drop?plan=pro")
		if a.Status != "failing" || a.RefKept || a.FinalURL != site.URL+"/right" || len(a.Redirects) != 1 ||
			a.Redirects[0].StatusCode != 301 || a.checkStatus("ref_kept") != "failing" || !a.PublicKeyFound {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("RedirectKeepsRef", func(t *testing.T) {
		a := check(t, "/keep")
		if a.Status != "ok" || !a.RefKept || len(a.Redirects) != 1 || !strings.HasPrefix(a.FinalURL, site.URL+"/right?") {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("TooManyRedirects", func(t *testing.T) {
		a := check(t, "/loop")
		if a.Status != "failing" || a.checkStatus("reachable") != "failing" || len(a.Redirects) != 6 {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		a := check(t, "/gone")
		if a.Status != "failing" || a.StatusCode != 404 || a.checkStatus("reachable") != "failing" {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("BodyLimit", func(t *testing.T) {
		a := check(t, "/big")
		if a.SnippetFound || a.checkStatus("snippet") != "failing" {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		l := e.NewLink(t, v, p, closed.URL+"/")
		var a linkCheckAnswer
		e.Must(t, http.StatusOK, e.Do(t, "POST", "/v1/links/"+l.ID+"/check", v.SecretKey, nil)).JSON(t, &a)
		if a.Status != "failing" || a.checkStatus("reachable") != "failing" {
			t.Fatalf("answer %+v", a)
		}
	})
	t.Run("OtherVendorsLink", func(t *testing.T) {
		l := e.NewLink(t, v, p, site.URL+"/right")
		other := e.NewVendor(t, "Other")
		r := e.Do(t, "POST", "/v1/links/"+l.ID+"/check", other.SecretKey, nil)
		if r.StatusCode != http.StatusNotFound || r.ErrorCode() != "not_found" {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})
}

func TestLinkCheck_RefusesPrivate(t *testing.T) {
	t.Parallel()
	e := testenv.New(t) // TALLY_CHECK_ALLOW_PRIVATE unset
	site := newVendorSite(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	port := site.URL[strings.LastIndex(site.URL, ":")+1:]
	for _, dest := range []string{
		site.URL + "/right", // 127.0.0.1
		"http://localhost:" + port + "/right",
		"http://[::1]:" + port + "/right",
		"http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:" + port + "/",
	} {
		l := e.NewLink(t, v, p, dest)
		r := e.Do(t, "POST", "/v1/links/"+l.ID+"/check", v.SecretKey, nil)
		msg := strings.ToLower(string(r.Body))
		if r.StatusCode != http.StatusBadRequest || r.ErrorCode() != "invalid" || !strings.Contains(msg, "refused") ||
			!strings.Contains(msg, "tally_check_allow_private") {
			t.Errorf("%s: %d %s", dest, r.StatusCode, r.Body)
		}
		t.Logf("%s: %s", dest, r.Body)
	}
	site.mu.Lock()
	n := len(site.queries)
	site.mu.Unlock()
	if n != 0 {
		t.Fatalf("the private site was fetched %d times", n)
	}
}
