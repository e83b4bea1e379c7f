package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

type listPage struct {
	Data       []map[string]any `json:"data"`
	HasMore    bool             `json:"has_more"`
	NextCursor *string          `json:"next_cursor"`
}

// pages walks a list with the given limit, following next_cursor, and
// returns the ids of each page. It checks has_more and next_cursor on the way.
func pages(t *testing.T, e *testenv.Env, token, path string, limit int) [][]string {
	t.Helper()
	var out [][]string
	cursor := ""
	for range 100 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		q := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var p listPage
		if err := json.Unmarshal([]byte(get(t, e, token, q)), &p); err != nil {
			t.Fatal(err)
		}
		if p.Data == nil {
			t.Fatalf("GET %s: data is not an array", q)
		}
		var ids []string
		for _, item := range p.Data {
			ids = append(ids, item["id"].(string))
		}
		out = append(out, ids)
		if len(ids) > limit {
			t.Fatalf("GET %s: %d items, limit %d", q, len(ids), limit)
		}
		if !p.HasMore {
			if p.NextCursor != nil && *p.NextCursor != "" {
				t.Fatalf("GET %s: has_more false but next_cursor %q", q, *p.NextCursor)
			}
			return out
		}
		if p.NextCursor == nil || *p.NextCursor == "" {
			t.Fatalf("GET %s: has_more without next_cursor", q)
		}
		if len(ids) != limit {
			t.Fatalf("GET %s: has_more on a short page", q)
		}
		cursor = *p.NextCursor
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestPartners_Create(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")

	r := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]string{"name": " Ada Lovelace ", "email": " Ada@Example.COM "}))
	m := r.Map(t)
	id, _ := m["id"].(string)
	token, _ := m["token"].(string)
	if !strings.HasPrefix(id, "par_") || !strings.HasPrefix(token, "pt_") || len(token) < 35 {
		t.Fatalf("answer %s", r.Body)
	}
	want := map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "status": "active", "vendor_id": v.ID, "created_at": "2026-01-15T12:00:00Z"}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %v, want %v", k, m[k], w)
		}
	}
	if _, ok := m["token_hash"]; ok {
		t.Error("token_hash is returned")
	}

	t.Run("TokenShownOnce", func(t *testing.T) {
		for _, body := range []string{get(t, e, v.SecretKey, "/v1/partners/"+id), get(t, e, v.SecretKey, "/v1/partners")} {
			if strings.Contains(body, token) || strings.Contains(body, `"token"`) {
				t.Errorf("token shown again: %s", body)
			}
		}
		var stored string
		e.App.Store.DB().NewSelect().Table("partners").Column("token_hash").Where("id = ?", id).Scan(t.Context(), &stored)
		if stored == "" || strings.Contains(stored, token) || strings.Contains(token, stored) {
			t.Errorf("token stored as %q", stored)
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		m := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]string{"name": "Dis", "email": "dis@example.com", "status": "disabled"})).Map(t)
		if m["status"] != "disabled" {
			t.Errorf("status = %v", m["status"])
		}
	})
	t.Run("DuplicateEmail", func(t *testing.T) {
		before := get(t, e, v.SecretKey, "/v1/partners")
		for _, email := range []string{"ada@example.com", "ADA@example.com", " ada@EXAMPLE.com"} {
			r := e.Do(t, "POST", "/v1/partners", v.SecretKey, map[string]string{"name": "Ada 2", "email": email})
			mustError(t, r, http.StatusConflict, "conflict")
		}
		if after := get(t, e, v.SecretKey, "/v1/partners"); after != before {
			t.Errorf("partners changed")
		}
	})
	t.Run("Validation", func(t *testing.T) {
		before := get(t, e, v.SecretKey, "/v1/partners")
		cases := []struct {
			name   string
			body   string
			status int
		}{
			{"NoName", `{"email": "x@example.com"}`, 400},
			{"BlankName", `{"name": "  ", "email": "x@example.com"}`, 400},
			{"LongName", `{"name": "` + strings.Repeat("n", 201) + `", "email": "x@example.com"}`, 400},
			{"NoEmail", `{"name": "X"}`, 400},
			{"BadEmail", `{"name": "X", "email": "not-an-email"}`, 400},
			{"DisplayNameEmail", `{"name": "X", "email": "X <x@example.com>"}`, 400},
			{"TwoEmails", `{"name": "X", "email": "x@example.com,y@example.com"}`, 400},
			{"BadStatus", `{"name": "X", "email": "x@example.com", "status": "banned"}`, 400},
			{"NameNumber", `{"name": 1, "email": "x@example.com"}`, 400},
			{"EmailArray", `{"name": "X", "email": ["x@example.com"]}`, 400},
			{"TokenField", `{"name": "X", "email": "x@example.com", "token": "pt_mine"}`, 400},
			{"IDField", `{"name": "X", "email": "x@example.com", "id": "par_mine"}`, 400},
			{"VendorField", `{"name": "X", "email": "x@example.com", "vendor_id": "` + v.ID + `"}`, 400},
			{"Oversized", oversized("name"), 413},
		}
		for _, b := range badBodies {
			cases = append(cases, struct {
				name   string
				body   string
				status int
			}{b.name, b.body, 400})
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				mustError(t, e.Do(t, "POST", "/v1/partners", v.SecretKey, tc.body), tc.status, "invalid")
			})
		}
		if after := get(t, e, v.SecretKey, "/v1/partners"); after != before {
			t.Errorf("a refused create changed the list:\nbefore %s\nafter  %s", before, after)
		}
	})
}

func TestPartners_List(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	var ids []string // oldest first
	for i := range 5 {
		e.Clock.Advance(time.Second) // ids are time-ordered: newest first
		p := e.NewPartner(t, v, fmt.Sprintf("P%d", i), fmt.Sprintf("p%d@example.com", i))
		ids = append(ids, p.ID)
	}
	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)

	t.Run("Pagination", func(t *testing.T) {
		got := pages(t, e, v.SecretKey, "/v1/partners", 2)
		if len(got) != 3 || len(got[0]) != 2 || len(got[1]) != 2 || len(got[2]) != 1 {
			t.Fatalf("pages = %v, want 2+2+1", got)
		}
		if all := slices.Concat(got...); !slices.Equal(all, newestFirst) {
			t.Fatalf("pages = %v, want %v", all, newestFirst)
		}
	})
	t.Run("ExactFit", func(t *testing.T) {
		got := pages(t, e, v.SecretKey, "/v1/partners", 5)
		if len(got) != 1 || len(got[0]) != 5 {
			t.Fatalf("pages = %v", got)
		}
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		var p listPage
		json.Unmarshal([]byte(get(t, e, v.SecretKey, "/v1/partners")), &p)
		if len(p.Data) != 5 || p.HasMore {
			t.Fatalf("default page: %d items, has_more %v", len(p.Data), p.HasMore)
		}
	})

	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+ids[1], v.SecretKey, map[string]string{"status": "disabled"}))
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+ids[3], v.SecretKey, map[string]string{"status": "disabled"}))

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"StatusDisabled", "?status=disabled", []string{ids[3], ids[1]}},
		{"StatusActive", "?status=active", []string{ids[4], ids[2], ids[0]}},
		{"Email", "?email=p2@example.com", []string{ids[2]}},
		{"EmailCaseInsensitive", "?email=P2%40Example.com", []string{ids[2]}},
		{"EmailUnknown", "?email=nobody@example.com", nil},
		{"EmailAndStatus", "?email=p3@example.com&status=active", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Concat(pages(t, e, v.SecretKey, "/v1/partners"+tc.query, 1)...)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("BadParams", func(t *testing.T) {
		for _, q := range []string{"?limit=0", "?limit=-1", "?limit=201", "?limit=abc", "?limit=1.5", "?cursor=garbage",
			"?cursor=lnk_01kf0rdqg0syc3j57wfa5tgbac", "?status=deleted", "?status=ACTIVE"} {
			mustError(t, e.Do(t, "GET", "/v1/partners"+q, v.SecretKey, nil), http.StatusBadRequest, "invalid")
		}
	})
}

func TestPartners_Get(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	m := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+p.ID, v.SecretKey, nil)).Map(t)
	if m["id"] != p.ID || m["email"] != "ada@example.com" || m["name"] != "Ada" {
		t.Errorf("partner = %v", m)
	}
	for _, id := range []string{"par_01kf0rdqg0syc3j57wfa5tgbac", "garbage", "%27%20OR%201%3D1--", strings.Repeat("x", 300)} {
		mustError(t, e.Do(t, "GET", "/v1/partners/"+id, v.SecretKey, nil), http.StatusNotFound, "not_found")
	}
}

func TestPartners_Patch(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	e.NewPartner(t, v, "Bob", "bob@example.com")

	e.Clock.Advance(time.Hour)
	m := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]string{"name": "Ada L.", "email": "ADA.L@example.com"})).Map(t)
	if m["name"] != "Ada L." || m["email"] != "ada.l@example.com" || m["status"] != "active" {
		t.Errorf("patched = %v", m)
	}
	if m["updated_at"] != "2026-01-15T13:00:00Z" || m["created_at"] != "2026-01-15T12:00:00Z" {
		t.Errorf("times = %v / %v", m["created_at"], m["updated_at"])
	}
	if got := get(t, e, v.SecretKey, "/v1/partners/"+p.ID); !strings.Contains(got, `"email":"ada.l@example.com"`) {
		t.Errorf("GET after PATCH: %s", got)
	}

	before := get(t, e, v.SecretKey, "/v1/partners/"+p.ID)
	cases := []badRequest{
		{"EmailTaken", `{"email": "bob@example.com"}`, 409, "conflict"},
		{"EmailTakenOtherCase", `{"email": "BOB@example.com"}`, 409, "conflict"},
		{"EmailEmpty", `{"email": ""}`, 400, "invalid"},
		{"EmailBad", `{"email": "bob"}`, 400, "invalid"},
		{"NameEmpty", `{"name": ""}`, 400, "invalid"},
		{"StatusBad", `{"status": "archived"}`, 400, "invalid"},
		{"StatusNumber", `{"status": 1}`, 400, "invalid"},
		{"ValidThenInvalid", `{"name": "Changed", "status": "nope"}`, 400, "invalid"},
		{"TokenField", `{"token": "pt_x"}`, 400, "invalid"},
		{"Oversized", oversized("name"), 413, "invalid"},
	}
	cases = withBadBodies(cases)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustError(t, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, tc.body), tc.status, tc.code)
			if after := get(t, e, v.SecretKey, "/v1/partners/"+p.ID); after != before {
				t.Errorf("partner changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	t.Run("Unknown", func(t *testing.T) {
		mustError(t, e.Do(t, "PATCH", "/v1/partners/par_01kf0rdqg0syc3j57wfa5tgbac", v.SecretKey, map[string]string{"name": "X"}), http.StatusNotFound, "not_found")
	})
	t.Run("DisableKeepsLinksRedirecting", func(t *testing.T) {
		l := e.NewLink(t, v, p, "https://acme.example/")
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]string{"status": "disabled"}))
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		if got := get(t, e, v.SecretKey, "/v1/partners/"+p.ID); !strings.Contains(got, `"status":"disabled"`) {
			t.Errorf("GET: %s", got)
		}
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]string{"status": "active"}))
	})
}
