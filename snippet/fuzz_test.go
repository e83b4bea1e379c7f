package snippet_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// fuzzEnv is one Tally per fuzz process, with a vendor, a partner, a link
// and a valid token the seeds use.
type fuzzEnv struct {
	*testenv.Env
	v     testenv.Vendor
	token string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	e := testenv.New(f, noLimit)
	v := e.NewVendor(f, "Acme")
	p := e.NewPartner(f, v, "Ada", "ada@partners.example")
	l := e.NewLink(f, v, p, "https://shop.example/a")
	loc := e.Must(f, http.StatusFound, e.Click(f, l.Key)).Header.Get("Location")
	return &fuzzEnv{Env: e, v: v, token: loc[strings.Index(loc, "tally_ref=")+len("tally_ref="):]}
}

// post sends body in process (no socket) and returns the status.
func (fe *fuzzEnv) post(path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", testenv.BrowserUA)
	rec := httptest.NewRecorder()
	fe.App.Handler().ServeHTTP(rec, req)
	return rec
}

// FuzzSnippetSignupBody posts arbitrary bodies to POST /v1/snippet/signup:
// the answer is 2xx or 4xx, never 5xx nor a panic, and a 4xx wrote nothing.
func FuzzSnippetSignupBody(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range []string{
		`{"public_key":"` + fe.v.PublicKey + `","ref":"` + fe.token + `","email":"a@b.example","name":"Ada","external_id":"cus_42"}`,
		`{"public_key":"` + fe.v.PublicKey + `","email":"a@b.example"}`,
		`{"public_key":"` + fe.v.PublicKey + `","external_id":"x"}`,
		`{"public_key":"` + fe.v.PublicKey + `","email":"not-an-email","name":"` + strings.Repeat("n", 300) + `"}`,
		`{"public_key":"` + fe.v.PublicKey + `","email":"a\u0000@b.example"}`,
		`{"public_key":"` + fe.v.PublicKey + `","email":"a@b.example","ref":"` + strings.Repeat("A", 2000) + `"}`,
		`{"public_key":"` + fe.v.PublicKey + `","email":"a@b.example","extra":1}`,
		`{"public_key":"` + fe.v.PublicKey + `","email":["a@b.example"]}`,
		`{"public_key":"sk_live_secret","email":"a@b.example"}`,
		`{"public_key":"pk_unknown","email":"a@b.example"}`,
		`{"public_key":"` + fe.v.PublicKey + `"}{"public_key":"x"}`,
		`null`, `[]`, `{}`, `{"public_key":null}`, `"pk_"`, ``, `{`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := fe.Env.TableCounts(t)
		rec := fe.post("/v1/snippet/signup", "application/json", body)
		checkAnswer(t, fe.Env, body, rec, before)
	})
}

// FuzzSnippetPingBody posts arbitrary bodies to POST /v1/snippet/ping
// (sendBeacon's text/plain): 2xx or 4xx, never 5xx nor a panic, and a 4xx
// recorded no ping (the buffer is flushed before counting).
func FuzzSnippetPingBody(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range []string{
		`{"public_key":"` + fe.v.PublicKey + `","url":"https://shop.example/a?tally_ref=x","ref_in_url":true,"cookie_ok":true}`,
		`{"public_key":"` + fe.v.PublicKey + `","url":"https://other.example/"}`,
		`{"public_key":"","url":"https://shop.example/"}`,
		`{"public_key":"sk_live_secret","url":"https://shop.example/"}`,
		`{"public_key":"pk_\u0000","url":"https://shop.example/"}`,
		`{"public_key":"` + fe.v.PublicKey + `","url":"javascript:alert(1)"}`,
		`{"public_key":"` + fe.v.PublicKey + `","url":"https://shop.example/` + strings.Repeat("%C3%A9", 400) + `"}`,
		`{"public_key":"` + fe.v.PublicKey + `","url":"https://shop.example/%ff%00"}`,
		`{"public_key":"` + fe.v.PublicKey + `","url":"https://[::1]:99999/"}`,
		`{"public_key":` + strings.Repeat("[", 10000) + `}`,
		`{"public_key":"pk_` + strings.Repeat("x", 500) + `","url":"https://shop.example/"}`,
		`{"url":1,"ref_in_url":"yes"}`,
		`null`, `[]`, `{}`, ``, `{`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		if err := fe.App.Pings.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		before := fe.Env.TableCounts(t)
		rec := fe.post("/v1/snippet/ping", "text/plain", body)
		if err := fe.App.Pings.Flush(ctx); err != nil {
			t.Fatalf("flush after %q: %v", body, err)
		}
		checkAnswer(t, fe.Env, body, rec, before)
	})
}

func checkAnswer(t *testing.T, e *testenv.Env, body []byte, rec *httptest.ResponseRecorder, before map[string]int) {
	t.Helper()
	switch code := rec.Code; {
	case code >= 500:
		t.Fatalf("body %q answered %d: %s", body, code, rec.Body)
	case code >= 400:
		if after := e.TableCounts(t); !maps.Equal(before, after) {
			t.Fatalf("body %q answered %d but wrote rows: %v -> %v", body, code, before, after)
		}
	case code < 200 || code >= 300:
		t.Fatalf("body %q answered %d", body, code)
	}
}
