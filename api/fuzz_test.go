package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// allTableCounts counts the rows of every table but the migration bookkeeping.
func allTableCounts(tb testing.TB, e *testenv.Env) map[string]int {
	tb.Helper()
	db := e.App.Store.DB()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if testenv.IsPostgres() {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
	}
	var tables []string
	if err := db.NewRaw(q).Scan(context.Background(), &tables); err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	out := map[string]int{}
	for _, t := range tables {
		if strings.HasPrefix(t, "bun_") {
			continue
		}
		n, err := db.NewSelect().TableExpr(t).Count(context.Background())
		if err != nil {
			tb.Fatalf("count %s: %v", t, err)
		}
		out[t] = int(n)
	}
	return out
}

func sameTableCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// FuzzServerSignupBody posts arbitrary bodies to POST /v1/signups with the
// vendor's secret key: 2xx or 4xx, never 5xx nor a panic, and a 4xx wrote
// nothing.
func FuzzServerSignupBody(f *testing.F) {
	e := testenv.New(f)
	v := e.NewVendor("Acme")
	p := e.NewPartner(v, "Ada", "ada@partners.example")
	l := e.NewLink(v, p, "https://shop.example/a")
	loc := e.Must(http.StatusFound, e.Click(l.Key)).Header.Get("Location")
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
		before := allTableCounts(t, e)
		req := httptest.NewRequest(http.MethodPost, "/v1/signups", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+v.SecretKey)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch code := rec.Code; {
		case code >= 500:
			t.Fatalf("body %q answered %d: %s", body, code, rec.Body)
		case code >= 400:
			if after := allTableCounts(t, e); !sameTableCounts(before, after) {
				t.Fatalf("body %q answered %d but wrote rows: %v -> %v", body, code, before, after)
			}
		case code < 200 || code >= 300:
			t.Fatalf("body %q answered %d", body, code)
		}
	})
}
