package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestIsolation_VendorBCannotTouchVendorA: every partner and link route,
// called with vendor B's key on vendor A's objects, answers 404 as if they
// did not exist, and A's data is unchanged afterwards.
func TestIsolation_VendorBCannotTouchVendorA(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	a := e.NewVendor(t, "Acme")
	b := e.NewVendor(t, "Bravo")
	pa := e.NewPartner(t, a, "Ada", "ada@example.com")
	la := e.NewLink(t, a, pa, "https://acme.example/pricing")
	pb := e.NewPartner(t, b, "Bob", "bob@example.com")
	lb := e.NewLink(t, b, pb, "https://bravo.example/")

	snapshot := func() map[string]string {
		return map[string]string{
			"vendor":   get(t, e, a.SecretKey, "/v1/vendor"),
			"partner":  get(t, e, a.SecretKey, "/v1/partners/"+pa.ID),
			"partners": get(t, e, a.SecretKey, "/v1/partners"),
			"link":     get(t, e, a.SecretKey, "/v1/links/"+la.ID),
			"links":    get(t, e, a.SecretKey, "/v1/links"),
		}
	}
	before := snapshot()

	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"GetPartner", "GET", "/v1/partners/" + pa.ID, nil},
		{"PatchPartnerName", "PATCH", "/v1/partners/" + pa.ID, map[string]string{"name": "Hijacked"}},
		{"PatchPartnerStatus", "PATCH", "/v1/partners/" + pa.ID, map[string]string{"status": "disabled"}},
		{"PatchPartnerEmail", "PATCH", "/v1/partners/" + pa.ID, map[string]string{"email": "mallory@example.com"}},
		{"GetLink", "GET", "/v1/links/" + la.ID, nil},
		{"PatchLinkDestination", "PATCH", "/v1/links/" + la.ID, map[string]string{"destination_url": "https://evil.example/"}},
		{"PatchLinkKey", "PATCH", "/v1/links/" + la.ID, map[string]string{"key": "stolen-key"}},
		{"PatchLinkStatus", "PATCH", "/v1/links/" + la.ID, map[string]string{"status": "archived"}},
		{"ArchiveLink", "DELETE", "/v1/links/" + la.ID, nil},
		{"QRSVG", "GET", "/v1/links/" + la.ID + "/qr.svg", nil},
		{"QRPNG", "GET", "/v1/links/" + la.ID + "/qr.png", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, tc.method, tc.path, b.SecretKey, tc.body)
			mustError(t, r, http.StatusNotFound, "not_found")
			if strings.Contains(string(r.Body), "Ada") || strings.Contains(string(r.Body), "acme.example") {
				t.Errorf("404 answer leaks A's data: %s", r.Body)
			}
		})
	}

	t.Run("ListPartners", func(t *testing.T) {
		for _, q := range []string{"", "?email=ada@example.com", "?status=active", "?limit=200"} {
			body := get(t, e, b.SecretKey, "/v1/partners"+q)
			if strings.Contains(body, pa.ID) || strings.Contains(body, "ada@example.com") {
				t.Errorf("GET /v1/partners%s shows A's partner: %s", q, body)
			}
		}
		var list struct{ Data []map[string]any }
		json.Unmarshal([]byte(get(t, e, b.SecretKey, "/v1/partners")), &list)
		if len(list.Data) != 1 || list.Data[0]["id"] != pb.ID {
			t.Errorf("B's partners = %v, want only %s", list.Data, pb.ID)
		}
	})
	t.Run("ListLinks", func(t *testing.T) {
		for _, q := range []string{"", "?partner_id=" + pa.ID, "?status=active", "?cursor=" + la.ID} {
			body := get(t, e, b.SecretKey, "/v1/links"+q)
			if strings.Contains(body, la.ID) || strings.Contains(body, la.Key) {
				t.Errorf("GET /v1/links%s shows A's link: %s", q, body)
			}
		}
		var list struct{ Data []map[string]any }
		json.Unmarshal([]byte(get(t, e, b.SecretKey, "/v1/links?partner_id="+pa.ID)), &list)
		if len(list.Data) != 0 {
			t.Errorf("B lists %d links of A's partner", len(list.Data))
		}
	})
	t.Run("CreateLinkForAsPartner", func(t *testing.T) {
		r := e.Do(t, "POST", "/v1/links", b.SecretKey, map[string]any{"partner_id": pa.ID, "destination_url": "https://bravo.example/"})
		if r.StatusCode != http.StatusBadRequest && r.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 400 or 404: %s", r.StatusCode, r.Body)
		}
		mustError(t, r, r.StatusCode, map[int]string{400: "invalid", 404: "not_found"}[r.StatusCode])
		n, err := e.App.Store.DB().NewSelect().Table("links").Where("partner_id = ?", pa.ID).Count(t.Context())
		if err != nil || n != 1 {
			t.Errorf("links of A's partner = %d, %v; want 1", n, err)
		}
	})
	t.Run("CustomKeyOfATaken", func(t *testing.T) {
		// Keys are unique per deployment: B cannot take A's key, and the
		// conflict does not change A's link.
		r := e.Do(t, "POST", "/v1/links", b.SecretKey, map[string]any{"partner_id": pb.ID, "destination_url": "https://bravo.example/", "key": la.Key})
		mustError(t, r, http.StatusConflict, "conflict")
		r = e.Do(t, "PATCH", "/v1/links/"+lb.ID, b.SecretKey, map[string]any{"key": la.Key})
		mustError(t, r, http.StatusConflict, "conflict")
	})

	after := snapshot()
	for k := range before {
		if before[k] != after[k] {
			t.Errorf("A's %s changed:\nbefore %s\nafter  %s", k, before[k], after[k])
		}
	}
	// A's link still redirects to A's destination.
	loc := e.Must(t, http.StatusFound, e.Click(t, la.Key)).Header.Get("Location")
	if !strings.HasPrefix(loc, "https://acme.example/pricing?tally_ref=") {
		t.Errorf("A's link now redirects to %s", loc)
	}
	// And B's own link is untouched by the failed attempts.
	if body := get(t, e, b.SecretKey, "/v1/links/"+lb.ID); !strings.Contains(body, `"key":"`+lb.Key+`"`) {
		t.Errorf("B's link changed: %s", body)
	}
}

// TestIsolation_SameEmailAcrossVendors: partner emails are unique per vendor
// only, so two programs can sign up the same person.
func TestIsolation_SameEmailAcrossVendors(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	a := e.NewVendor(t, "Acme")
	b := e.NewVendor(t, "Bravo")
	pa := e.NewPartner(t, a, "Ada", "ada@example.com")
	pb := e.NewPartner(t, b, "Ada", "ada@example.com")
	if pa.ID == pb.ID || pa.Token == pb.Token {
		t.Fatal("two vendors share a partner")
	}
	// B changing its partner does not touch A's.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partners/"+pb.ID, b.SecretKey, map[string]string{"status": "disabled"}))
	if body := get(t, e, a.SecretKey, "/v1/partners/"+pa.ID); !strings.Contains(body, `"status":"active"`) {
		t.Errorf("A's partner: %s", body)
	}
}
