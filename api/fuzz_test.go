package api_test

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// FuzzServerSignupBody posts arbitrary bodies to POST /v1/signups with the
// vendor's secret key: 2xx or 4xx, never 5xx nor a panic, and a 4xx wrote
// nothing.
func FuzzServerSignupBody(f *testing.F) {
	e := testenv.New(f)
	v := e.NewVendor(f, "Acme")
	p := e.NewPartner(f, v, "Ada", "ada@partners.example")
	l := e.NewLink(f, v, p, "https://shop.example/a")
	loc := e.Must(f, http.StatusFound, e.Click(f, l.Key)).Header.Get("Location")
	token := loc[strings.Index(loc, "tally_ref=")+len("tally_ref="):]
	for _, s := range []string{
		`{"ref":"` + token + `","email":"a@b.example","name":"Ada","external_id":"cus_42"}`,
		`{"public_key":"` + v.PublicKey + `","ref":"` + token + `","email":"ada@partners.example"}`,
		`{"email":"a@b.example"}`,
		`{"external_id":"x"}`,
		`{"public_key":"pk_other","email":"a@b.example"}`,
		`{"email":"not-an-email","name":"` + strings.Repeat("n", 300) + `"}`,
		`{"email":"a\u0000@b.example"}`,
		`{"email":"a\\u0000@b.example"}`,
		`{"email":"a@b.example","ref":"` + strings.Repeat("A", 2000) + `"}`,
		`{"email":"a@b.example","external_id":"` + strings.Repeat("é", 300) + `"}`,
		`{"email":"a@b.example","extra":1}`,
		`{"email":1e999}`,
		`{"email":"a@b.example"} trailing`,
		`null`, `[]`, `{}`, ``, `{`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	handler := e.App.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		before := e.TableCounts(t)
		req := httptest.NewRequest(http.MethodPost, "/v1/signups", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+v.SecretKey)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
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
	})
}
