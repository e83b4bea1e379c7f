package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

// Helpers shared by the api tests.

// mustError checks an error answer: the status, a JSON body of the shape
// {"error":{"code","message"}} with the wanted code and a message.
func mustError(t *testing.T, r *testenv.Response, status int, code string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var b struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil || b.Error == nil || b.Error.Code == nil || b.Error.Message == nil {
		t.Fatalf("body %s is not {\"error\":{\"code\",\"message\"}} (%v)", r.Body, err)
	}
	if *b.Error.Code != code {
		t.Errorf("error.code = %q, want %q (%s)", *b.Error.Code, code, r.Body)
	}
	if strings.TrimSpace(*b.Error.Message) == "" {
		t.Errorf("error.message is empty")
	}
}

// get answers the body of a GET that must succeed.
func get(t *testing.T, e *testenv.Env, token, path string) string {
	t.Helper()
	return string(e.Must(t, http.StatusOK, e.Do(t, "GET", path, token, nil)).Body)
}

// countRows counts the rows of a table.
func countRows(t *testing.T, e *testenv.Env, table string) int {
	t.Helper()
	n, err := e.App.Store.DB().NewSelect().Table(table).Count(t.Context())
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// noAdmin starts Tally without TALLY_ADMIN_TOKEN.
func noAdmin(c *app.Config) { c.AdminToken = "" }

func TestAuth_VendorAPI(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	other := e.NewVendor(t, "Other")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")

	for _, tc := range []struct {
		name   string
		header string // the whole Authorization header; "" sends none
	}{
		{"Missing", ""},
		{"EmptyBearer", "Bearer "},
		{"BearerOnly", "Bearer"},
		{"Basic", "Basic " + v.SecretKey},
		{"NoScheme", v.SecretKey},
		{"TokenScheme", "Token " + v.SecretKey},
		{"WrongSecretKey", "Bearer sk_" + strings.Repeat("x", 40)},
		{"SecretKeyTruncated", "Bearer " + v.SecretKey[:len(v.SecretKey)-1]},
		{"SecretKeyExtended", "Bearer " + v.SecretKey + "x"},
		{"SecretKeyCaseChanged", "Bearer " + strings.ToUpper(v.SecretKey)},
		{"SecretKeyHugeGarbage", "Bearer sk_" + strings.Repeat("a", 5000)},
		{"PrefixOnly", "Bearer sk_"},
		{"PublicKey", "Bearer " + v.PublicKey},
		{"PartnerToken", "Bearer " + p.Token},
		{"AdminToken", "Bearer " + testenv.AdminToken},
		{"TwoKeys", "Bearer " + v.SecretKey + " " + other.SecretKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range []struct{ method, path string }{
				{"GET", "/v1/vendor"},
				{"PATCH", "/v1/vendor"},
				{"GET", "/v1/partners"},
				{"POST", "/v1/partners"},
				{"GET", "/v1/partners/" + p.ID},
				{"GET", "/v1/links"},
				{"POST", "/v1/links"},
			} {
				var body any
				if req.method != "GET" {
					body = map[string]string{"name": "Mallory", "email": "mallory@example.com"}
				}
				var r *testenv.Response
				if tc.header == "" {
					r = e.Do(t, req.method, req.path, "", body)
				} else {
					r = e.Do(t, req.method, req.path, "", body, "Authorization", tc.header)
				}
				mustError(t, r, http.StatusUnauthorized, "unauthorized")
			}
		})
	}

	// Nothing changed.
	if n := countRows(t, e, "partners"); n != 1 {
		t.Errorf("partners = %d, want 1", n)
	}
	var got map[string]any
	json.Unmarshal([]byte(get(t, e, v.SecretKey, "/v1/vendor")), &got)
	if got["name"] != "Acme" {
		t.Errorf("vendor name = %v", got["name"])
	}

	t.Run("SchemeCaseInsensitive", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", "", nil, "Authorization", "bearer "+v.SecretKey))
	})
	t.Run("RightKeyRightVendor", func(t *testing.T) {
		var got map[string]any
		json.Unmarshal([]byte(get(t, e, other.SecretKey, "/v1/vendor")), &got)
		if got["id"] != other.ID {
			t.Errorf("vendor = %v, want %s", got["id"], other.ID)
		}
	})
}

func TestAuth_PublicRoutesNeedNoKey(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/healthz", "", nil))
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/readyz", "", nil))
	// A referral link never asks for a key, and a stray Authorization header changes nothing.
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://shop.example/")
	e.Must(t, http.StatusFound, e.Click(t, l.Key, "Authorization", "Bearer nonsense"))
}

func TestAuth_Admin(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	body := map[string]string{"name": "Mallory Inc"}

	for _, tc := range []struct {
		name   string
		header string
	}{
		{"Missing", ""},
		{"EmptyBearer", "Bearer "},
		{"Wrong", "Bearer wrong-token"},
		{"Prefix", "Bearer " + testenv.AdminToken[:len(testenv.AdminToken)-1]},
		{"Extended", "Bearer " + testenv.AdminToken + "x"},
		{"NoScheme", testenv.AdminToken},
		{"Basic", "Basic " + testenv.AdminToken},
		{"SecretKey", "Bearer " + v.SecretKey},
		{"PublicKey", "Bearer " + v.PublicKey},
		{"PartnerToken", "Bearer " + p.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *testenv.Response
			if tc.header == "" {
				r = e.Do(t, "POST", "/admin/v1/vendors", "", body)
			} else {
				r = e.Do(t, "POST", "/admin/v1/vendors", "", body, "Authorization", tc.header)
			}
			mustError(t, r, http.StatusUnauthorized, "unauthorized")
		})
	}
	if n := countRows(t, e, "vendors"); n != 1 {
		t.Fatalf("vendors = %d after refused requests, want 1", n)
	}

	t.Run("Valid", func(t *testing.T) {
		r := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{"name": "Globex", "domain": "globex.example"}))
		var got struct {
			ID, Name, Domain, SecretKey, PublicKey string
		}
		m := r.Map(t)
		for _, k := range []string{"id", "name", "domain", "secret_key", "public_key"} {
			if _, ok := m[k].(string); !ok {
				t.Errorf("answer lacks %s: %s", k, r.Body)
			}
		}
		got.ID, got.SecretKey, got.PublicKey = m["id"].(string), m["secret_key"].(string), m["public_key"].(string)
		if !strings.HasPrefix(got.ID, "ven_") || !strings.HasPrefix(got.SecretKey, "sk_") || len(got.SecretKey) < 35 || !strings.HasPrefix(got.PublicKey, "pk_") {
			t.Errorf("keys: %s", r.Body)
		}
		if m["name"] != "Globex" || m["domain"] != "globex.example" {
			t.Errorf("answer %s", r.Body)
		}
		// The secret key works at once, and is stored only hashed.
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", got.SecretKey, nil))
		n, err := e.App.Store.DB().NewSelect().Table("vendors").Where("secret_key_hash = ?", got.SecretKey).Count(t.Context())
		if err != nil || n != 0 {
			t.Errorf("secret key stored in clear (%d, %v)", n, err)
		}
	})
	t.Run("AdminTokenNotAVendorKey", func(t *testing.T) {
		mustError(t, e.Do(t, "GET", "/v1/vendor", testenv.AdminToken, nil), http.StatusUnauthorized, "unauthorized")
	})
	t.Run("Validation", func(t *testing.T) {
		before := countRows(t, e, "vendors")
		for name, b := range map[string]any{
			"NoName":       map[string]string{"domain": "x.example"},
			"BlankName":    map[string]string{"name": "   "},
			"BadDomain":    map[string]string{"name": "X", "domain": "not a domain"},
			"UnknownField": map[string]any{"name": "X", "admin": true},
			"Malformed":    `{"name": "X"`,
			"WrongType":    `{"name": 42}`,
			"Trailing":     `{"name": "X"} {"name": "Y"}`,
			"Empty":        ``,
		} {
			t.Run(name, func(t *testing.T) {
				mustError(t, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, b), http.StatusBadRequest, "invalid")
			})
		}
		if n := countRows(t, e, "vendors"); n != before {
			t.Errorf("vendors = %d, want %d", n, before)
		}
	})
}

func TestAuth_AdminDisabled(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, noAdmin)
	for _, tc := range []struct{ name, token string }{
		{"NoToken", ""},
		{"FormerToken", testenv.AdminToken},
		{"Anything", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, "POST", "/admin/v1/vendors", tc.token, map[string]string{"name": "Acme"})
			mustError(t, r, http.StatusNotFound, "not_found")
		})
	}
	if n := countRows(t, e, "vendors"); n != 0 {
		t.Fatalf("vendors = %d with the admin API disabled", n)
	}
}
