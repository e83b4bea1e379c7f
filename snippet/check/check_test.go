package check

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestForbidden(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"239.1.1.1", "multicast"},
		{"ff02::1", "multicast"},
		{"100.64.0.1", "private (carrier-grade NAT)"},
		{"255.255.255.255", "reserved"},
		{"64:ff9b::a00:1", "NAT64"},
		{"93.184.215.14", ""},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", ""},
		{"8.8.8.8", ""},
	} {
		if got := Forbidden(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Forbidden(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestFetcher_DialControl(t *testing.T) {
	f := New(Options{})
	for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "10.0.0.1:80", "169.254.169.254:80"} {
		var be *BlockedError
		if err := f.control("tcp", addr, nil); !errors.As(err, &be) {
			t.Errorf("control(%s) = %v, want a BlockedError", addr, err)
		}
	}
	if err := f.control("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
	if err := New(Options{AllowPrivate: true}).control("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("AllowPrivate: %v", err)
	}
}

// The dial-time check is wired into the transport: an address that passed
// the URL check is refused when the connection is made (DNS rebinding).
func TestFetcher_RefusedAtDial(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	f := New(Options{})
	calls := 0
	f.forbidden = func(a netip.Addr) string {
		calls++
		if calls == 1 {
			return "" // the URL check
		}
		return Forbidden(a) // the dial
	}
	_, err := f.Fetch(t.Context(), srv.URL+"/")
	var be *BlockedError
	if !errors.As(err, &be) || be.Kind != "loopback" || !strings.Contains(be.Error(), "127.0.0.1") {
		t.Fatalf("err %v, want a loopback BlockedError", err)
	}
	if hits != 0 || calls != 2 {
		t.Fatalf("hits %d, calls %d", hits, calls)
	}
}

// A site on an allowed address that redirects to a refused one: each
// redirect is checked again and never followed.
func TestFetcher_RedirectToPrivate(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/literal":
			http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
		case "/name":
			http.Redirect(w, r, "http://localhost:"+r.Host[strings.LastIndex(r.Host, ":")+1:]+"/private", http.StatusFound)
		case "/private":
			hits++
		}
	}))
	defer srv.Close()
	f := New(Options{})
	// The test server listens on loopback: let it through, nothing else.
	f.forbidden = func(a netip.Addr) string {
		if a == netip.MustParseAddr("127.0.0.1") {
			return ""
		}
		return Forbidden(a)
	}
	for _, path := range []string{"/literal", "/metadata", "/name"} {
		p, err := f.Fetch(t.Context(), srv.URL+path)
		var be *BlockedError
		if !errors.As(err, &be) {
			t.Fatalf("%s: err %v, want a BlockedError", path, err)
		}
		if len(p.Redirects) != 1 || p.Redirects[0].URL != srv.URL+path {
			t.Errorf("%s: redirects %+v", path, p.Redirects)
		}
	}
	if hits != 0 {
		t.Fatalf("the refused target was fetched %d times", hits)
	}
}

func TestScanHTML(t *testing.T) {
	for _, tc := range []struct {
		name   string
		html   string
		keys   []string
		stub   bool
		tagMgr bool
	}{
		{"Snippet", `<html><head><script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>
<script async src="https://t.example/snippet.js" data-key="pk_a"></script></head></html>`, []string{"pk_a"}, true, false},
		{"QueryAndCase", `<SCRIPT SRC="/snippet.js?v=2" DATA-KEY=" pk_b "></SCRIPT>`, []string{"pk_b"}, false, false},
		{"NoKey", `<script src="//cdn.example/x/snippet.js"></script>`, []string{""}, false, false},
		{"InBody", `<body><div><script src="snippet.js" data-key="pk_c"></script></div></body>`, []string{"pk_c"}, false, false},
		{"Two", `<script src="/snippet.js" data-key="pk_a"></script><script src="/snippet.js" data-key="pk_z"></script>`, []string{"pk_a", "pk_z"}, false, false},
		{"NotSnippet", `<script src="/mysnippet.js.map" data-key="pk_a"></script><script src="/snippet.json"></script>`, nil, false, false},
		{"Comment", `<!-- <script src="/snippet.js" data-key="pk_a"></script> -->`, nil, false, false},
		{"Text", `<p>&lt;script src="/snippet.js"&gt;</p><textarea><script src="/snippet.js"></script></textarea>`, nil, false, false},
		{"InlineString", `<script>document.write('<script src="/snippet.js" data-key="pk_a"><\/script>')</script>`, nil, false, false},
		{"TagManager", `<script async src="https://www.googletagmanager.com/gtm.js?id=GTM-X"></script>`, nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ScanHTML([]byte(tc.html))
			var keys []string
			for _, sn := range s.Snippets {
				keys = append(keys, sn.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tc.keys, ",") || len(keys) != len(tc.keys) || s.QueueStub != tc.stub || s.TagManager != tc.tagMgr {
				t.Fatalf("scan %+v, want keys %v stub %v tag manager %v", s, tc.keys, tc.stub, tc.tagMgr)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	const pk = "pk_right"
	html := func(tags string) []byte { return []byte("<html><head>" + tags + "</head></html>") }
	ok := func(body []byte) *Page {
		return &Page{URL: "https://s.example/?tally_ref=tally_check", FinalURL: "https://s.example/?tally_ref=tally_check", StatusCode: 200, ContentType: "text/html", Body: body}
	}
	for _, tc := range []struct {
		name     string
		page     *Page
		err      error
		status   string
		checks   map[string]string
		others   []string
		keyFound bool
	}{
		{"Right", ok(html(`<script src="/snippet.js" data-key="pk_right"></script>`)), nil, "ok",
			map[string]string{CheckReachable: "ok", CheckRefKept: "ok", CheckSnippet: "ok", CheckPublicKey: "ok"}, nil, true},
		{"RightAndWrong", ok(html(`<script src="/snippet.js" data-key="pk_right"></script><script src="/snippet.js" data-key="pk_old"></script>`)), nil, "warning",
			map[string]string{CheckPublicKey: "warning"}, []string{"pk_old"}, true},
		{"Secret", ok(html(`<script src="/snippet.js" data-key="sk_live_secret"></script>`)), nil, "failing",
			map[string]string{CheckPublicKey: "failing"}, []string{"sk_…"}, false},
		{"MissingKey", ok(html(`<script src="/snippet.js"></script>`)), nil, "failing",
			map[string]string{CheckPublicKey: "failing"}, nil, false},
		{"TagManager", ok(html(`<script src="https://www.googletagmanager.com/gtm.js"></script>`)), nil, "warning",
			map[string]string{CheckSnippet: "warning", CheckPublicKey: ""}, nil, false},
		{"NotHTML", &Page{URL: "https://s.example/f.pdf?tally_ref=x", FinalURL: "https://s.example/f.pdf?tally_ref=x", StatusCode: 200, ContentType: "application/pdf"}, nil, "failing",
			map[string]string{CheckSnippet: "failing"}, nil, false},
		{"Timeout", &Page{URL: "https://s.example/?tally_ref=x", FinalURL: "https://s.example/?tally_ref=x"}, errors.New("context deadline exceeded (Client.Timeout exceeded)"), "failing",
			map[string]string{CheckReachable: "failing", CheckSnippet: ""}, nil, false},
		{"Dropped", &Page{URL: "https://s.example/a?tally_ref=x", FinalURL: "https://s.example/b", StatusCode: 200, ContentType: "text/html",
			Redirects: []Hop{{URL: "https://s.example/a?tally_ref=x", StatusCode: 301, Location: "https://s.example/b"}},
			Body:      html(`<script src="/snippet.js" data-key="pk_right"></script>`)}, nil, "failing",
			map[string]string{CheckRefKept: "failing", CheckPublicKey: "ok"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Evaluate(tc.page, tc.err, pk)
			if r.Status != tc.status || r.PublicKeyFound != tc.keyFound || strings.Join(r.OtherPublicKeys, ",") != strings.Join(tc.others, ",") {
				t.Fatalf("report %+v", r)
			}
			got := map[string]string{}
			for _, c := range r.Checks {
				got[c.Name] = c.Status
				if c.Detail == "" {
					t.Errorf("%s has no detail", c.Name)
				}
			}
			for name, want := range tc.checks {
				if got[name] != want {
					t.Errorf("%s: %q, want %q (%+v)", name, got[name], want, r.Checks)
				}
			}
		})
	}
}
