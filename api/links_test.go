package api_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestLinks_Create(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")

	t.Run("RandomKey", func(t *testing.T) {
		m := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{
			"partner_id": p.ID, "destination_url": " https://acme.example/pricing?plan=pro#top ",
			"utm": map[string]string{"source": "partner", "medium": "affiliate", "campaign": "spring"},
		})).Map(t)
		id, _ := m["id"].(string)
		key, _ := m["key"].(string)
		if !strings.HasPrefix(id, "lnk_") || len(key) != 8 {
			t.Fatalf("answer %v", m)
		}
		want := map[string]any{
			"partner_id": p.ID, "vendor_id": v.ID, "status": "active",
			"destination_url": "https://acme.example/pricing?plan=pro#top",
			"url":             e.URL() + "/r/" + key,
			"created_at":      "2026-01-15T12:00:00Z",
		}
		for k, w := range want {
			if m[k] != w {
				t.Errorf("%s = %v, want %v", k, m[k], w)
			}
		}
		utm, _ := m["utm"].(map[string]any)
		if utm["source"] != "partner" || utm["medium"] != "affiliate" || utm["campaign"] != "spring" || utm["content"] != "" || utm["term"] != "" {
			t.Errorf("utm = %v", m["utm"])
		}
		if got := get(t, e, v.SecretKey, "/v1/links/"+id); !strings.Contains(got, `"url":"`+e.URL()+"/r/"+key+`"`) {
			t.Errorf("GET: %s", got)
		}
		e.Must(t, http.StatusFound, e.Click(t, key))
	})
	t.Run("RandomKeysDiffer", func(t *testing.T) {
		seen := map[string]bool{}
		for range 5 {
			l := e.NewLink(t, v, p, "https://acme.example/")
			if seen[l.Key] {
				t.Fatalf("key %s issued twice", l.Key)
			}
			seen[l.Key] = true
		}
	})
	t.Run("CustomKey", func(t *testing.T) {
		m := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{
			"partner_id": p.ID, "destination_url": "https://acme.example/", "key": "Ada-Spring_2026",
		})).Map(t)
		if m["key"] != "Ada-Spring_2026" || m["url"] != e.URL()+"/r/Ada-Spring_2026" {
			t.Fatalf("answer %v", m)
		}
		e.Must(t, http.StatusFound, e.Click(t, "Ada-Spring_2026"))
	})
	t.Run("DestinationsAccepted", func(t *testing.T) {
		for _, d := range []string{"http://acme.example", "https://acme.example:8443/a/b?x=1&y#f", "HTTPS://ACME.EXAMPLE/"} {
			e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": d}))
		}
	})

	t.Run("Validation", func(t *testing.T) {
		before := get(t, e, v.SecretKey, "/v1/links?limit=200")
		body := func(fields string) string {
			return `{"partner_id": "` + p.ID + `"` + fields + `}`
		}
		cases := []badRequest{
			{"NoDestination", body(``), 400, "invalid"},
			{"EmptyDestination", body(`, "destination_url": ""`), 400, "invalid"},
			{"Javascript", body(`, "destination_url": "javascript:alert(document.cookie)"`), 400, "invalid"},
			{"JavascriptMixedCase", body(`, "destination_url": "JaVaScRiPt:alert(1)"`), 400, "invalid"},
			{"JavascriptLeadingSpace", body(`, "destination_url": " javascript:alert(1)"`), 400, "invalid"},
			{"Data", body(`, "destination_url": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="`), 400, "invalid"},
			{"Relative", body(`, "destination_url": "/pricing"`), 400, "invalid"},
			{"RelativeNoSlash", body(`, "destination_url": "pricing.html"`), 400, "invalid"},
			{"SchemeRelative", body(`, "destination_url": "//evil.example/"`), 400, "invalid"},
			{"FTP", body(`, "destination_url": "ftp://acme.example/file"`), 400, "invalid"},
			{"File", body(`, "destination_url": "file:///etc/passwd"`), 400, "invalid"},
			{"NoHost", body(`, "destination_url": "https://"`), 400, "invalid"},
			{"Credentials", body(`, "destination_url": "https://user:pass@acme.example/"`), 400, "invalid"},
			{"Whitespace", body(`, "destination_url": "https://acme.example/a b"`), 400, "invalid"},
			{"Newline", body(`, "destination_url": "https://acme.example/\r\nSet-Cookie: x=y"`), 400, "invalid"},
			{"TooLong", body(`, "destination_url": "https://acme.example/` + strings.Repeat("a", 2100) + `"`), 400, "invalid"},
			{"DestinationNumber", body(`, "destination_url": 42`), 400, "invalid"},
			{"KeyTooShort", body(`, "destination_url": "https://acme.example/", "key": "ab"`), 400, "invalid"},
			{"KeyTooLong", body(`, "destination_url": "https://acme.example/", "key": "` + strings.Repeat("k", 65) + `"`), 400, "invalid"},
			{"KeyLeadingDash", body(`, "destination_url": "https://acme.example/", "key": "-abc"`), 400, "invalid"},
			{"KeySlash", body(`, "destination_url": "https://acme.example/", "key": "a/b/c"`), 400, "invalid"},
			{"KeySpace", body(`, "destination_url": "https://acme.example/", "key": "a b c"`), 400, "invalid"},
			{"KeyDot", body(`, "destination_url": "https://acme.example/", "key": "../admin"`), 400, "invalid"},
			{"KeyUnicode", body(`, "destination_url": "https://acme.example/", "key": "ключ"`), 400, "invalid"},
			{"KeyTaken", body(`, "destination_url": "https://acme.example/", "key": "Ada-Spring_2026"`), 409, "conflict"},
			{"KeyNumber", body(`, "destination_url": "https://acme.example/", "key": 12345`), 400, "invalid"},
			{"UTMTooLong", body(`, "destination_url": "https://acme.example/", "utm": {"source": "` + strings.Repeat("s", 201) + `"}`), 400, "invalid"},
			{"UTMUnknownField", body(`, "destination_url": "https://acme.example/", "utm": {"sauce": "x"}`), 400, "invalid"},
			{"UTMString", body(`, "destination_url": "https://acme.example/", "utm": "source=x"`), 400, "invalid"},
			{"StatusField", body(`, "destination_url": "https://acme.example/", "status": "active"`), 400, "invalid"},
			{"URLField", body(`, "destination_url": "https://acme.example/", "url": "https://evil.example/"`), 400, "invalid"},
			{"NoPartner", `{"destination_url": "https://acme.example/"}`, 400, "invalid"},
			{"UnknownPartner", `{"partner_id": "par_01kf0rdqg0syc3j57wfa5tgbac", "destination_url": "https://acme.example/"}`, 400, "invalid"},
			{"GarbagePartner", `{"partner_id": "x' OR '1'='1", "destination_url": "https://acme.example/"}`, 400, "invalid"},
			{"Oversized", oversized("destination_url"), 413, "invalid"},
		}
		cases = withBadBodies(cases)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				mustError(t, e.Do(t, "POST", "/v1/links", v.SecretKey, tc.body), tc.status, tc.code)
			})
		}
		if after := get(t, e, v.SecretKey, "/v1/links?limit=200"); after != before {
			t.Errorf("a refused create changed the links")
		}
	})
	t.Run("KeyUniqueAcrossVendors", func(t *testing.T) {
		w := e.NewVendor(t, "Other")
		q := e.NewPartner(t, w, "Quinn", "quinn@example.com")
		mustError(t, e.Do(t, "POST", "/v1/links", w.SecretKey, map[string]any{
			"partner_id": q.ID, "destination_url": "https://other.example/", "key": "Ada-Spring_2026",
		}), http.StatusConflict, "conflict")
		// The existing link still goes to Acme.
		loc := e.Must(t, http.StatusFound, e.Click(t, "Ada-Spring_2026")).Header.Get("Location")
		if !strings.HasPrefix(loc, "https://acme.example/") {
			t.Errorf("Location = %s", loc)
		}
	})
}

func TestLinks_List(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p1 := e.NewPartner(t, v, "Ada", "ada@example.com")
	p2 := e.NewPartner(t, v, "Bob", "bob@example.com")
	var ada, bob []string // oldest first
	for i := range 5 {
		e.Clock.Advance(time.Second)
		ada = append(ada, e.NewLink(t, v, p1, fmt.Sprintf("https://acme.example/%d", i)).ID)
	}
	e.Clock.Advance(time.Second)
	bob = append(bob, e.NewLink(t, v, p2, "https://acme.example/bob").ID)
	slices.Reverse(ada)

	t.Run("Pagination", func(t *testing.T) {
		got := pages(t, e, v.SecretKey, "/v1/links?partner_id="+p1.ID, 2)
		if len(got) != 3 || len(got[0]) != 2 || len(got[1]) != 2 || len(got[2]) != 1 {
			t.Fatalf("pages = %v, want 2+2+1", got)
		}
		if all := slices.Concat(got...); !slices.Equal(all, ada) {
			t.Fatalf("links = %v, want %v", all, ada)
		}
		all := slices.Concat(pages(t, e, v.SecretKey, "/v1/links", 2)...)
		if want := append(slices.Clone(bob), ada...); !slices.Equal(all, want) {
			t.Fatalf("all links = %v, want %v", all, want)
		}
	})
	t.Run("ItemsHaveURL", func(t *testing.T) {
		var page listPage
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links?limit=1", v.SecretKey, nil)).JSON(t, &page)
		if u, _ := page.Data[0]["url"].(string); !strings.HasPrefix(u, e.URL()+"/r/") {
			t.Errorf("url = %v", page.Data[0]["url"])
		}
	})

	e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+ada[0], v.SecretKey, nil))
	e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+bob[0], v.SecretKey, nil))
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"Archived", "?status=archived", []string{bob[0], ada[0]}},
		{"ActiveOfPartner", "?status=active&partner_id=" + p1.ID, ada[1:]},
		{"ArchivedOfPartner", "?status=archived&partner_id=" + p2.ID, bob},
		{"UnknownPartner", "?partner_id=par_01kf0rdqg0syc3j57wfa5tgbac", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := slices.Concat(pages(t, e, v.SecretKey, "/v1/links"+tc.query, 2)...)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("BadParams", func(t *testing.T) {
		for _, q := range []string{"?limit=0", "?limit=1000", "?limit=x", "?cursor=nope", "?cursor=" + p1.ID, "?status=deleted"} {
			mustError(t, e.Do(t, "GET", "/v1/links"+q, v.SecretKey, nil), http.StatusBadRequest, "invalid")
		}
	})
}

func TestLinks_Get(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	m := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+l.ID, v.SecretKey, nil)).Map(t)
	if m["id"] != l.ID || m["key"] != l.Key || m["url"] != l.URL {
		t.Errorf("link = %v", m)
	}
	for _, id := range []string{"lnk_01kf0rdqg0syc3j57wfa5tgbac", p.ID, l.Key, "x"} {
		mustError(t, e.Do(t, "GET", "/v1/links/"+id, v.SecretKey, nil), http.StatusNotFound, "not_found")
	}
}

func TestLinks_Patch(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/old")
	other := e.NewLink(t, v, p, "https://acme.example/other")
	e.Must(t, http.StatusFound, e.Click(t, l.Key)) // cache the target

	t.Run("Destination", func(t *testing.T) {
		m := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]any{"destination_url": "https://acme.example/new"})).Map(t)
		if m["destination_url"] != "https://acme.example/new" || m["key"] != l.Key || m["url"] != l.URL {
			t.Errorf("patched = %v", m)
		}
		loc := e.Must(t, http.StatusFound, e.Click(t, l.Key)).Header.Get("Location")
		if !strings.HasPrefix(loc, "https://acme.example/new?tally_ref=") {
			t.Errorf("redirect after PATCH goes to %s", loc)
		}
	})
	t.Run("UTM", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]any{"utm": map[string]string{"source": "newsletter"}}))
		loc := e.Must(t, http.StatusFound, e.Click(t, l.Key)).Header.Get("Location")
		if !strings.HasPrefix(loc, "https://acme.example/new?utm_source=newsletter&tally_ref=") {
			t.Errorf("redirect after PATCH goes to %s", loc)
		}
	})
	t.Run("Key", func(t *testing.T) {
		m := e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]any{"key": "renamed-key"})).Map(t)
		if m["key"] != "renamed-key" || m["url"] != e.URL()+"/r/renamed-key" {
			t.Errorf("patched = %v", m)
		}
		if m["aliases"].([]any)[0] != l.Key {
			t.Errorf("aliases = %v", m["aliases"])
		}
		e.Must(t, http.StatusFound, e.Click(t, l.Key)) // the old key is an alias
		e.Must(t, http.StatusFound, e.Click(t, "renamed-key"))
	})

	before := get(t, e, v.SecretKey, "/v1/links/"+l.ID)
	cases := []badRequest{
		{"KeyTaken", `{"key": "` + other.Key + `"}`, 409, "conflict"},
		{"KeyInvalid", `{"key": "a b"}`, 400, "invalid"},
		{"KeyEmpty", `{"key": ""}`, 400, "invalid"},
		{"DestinationJavascript", `{"destination_url": "javascript:alert(1)"}`, 400, "invalid"},
		{"DestinationData", `{"destination_url": "data:text/html,x"}`, 400, "invalid"},
		{"DestinationRelative", `{"destination_url": "/x"}`, 400, "invalid"},
		{"DestinationFTP", `{"destination_url": "ftp://acme.example/"}`, 400, "invalid"},
		{"DestinationEmpty", `{"destination_url": ""}`, 400, "invalid"},
		{"StatusBad", `{"status": "deleted"}`, 400, "invalid"},
		{"PartnerField", `{"partner_id": "` + p.ID + `"}`, 400, "invalid"},
		{"UTMTooLong", `{"utm": {"term": "` + strings.Repeat("t", 201) + `"}}`, 400, "invalid"},
		{"ValidThenInvalid", `{"destination_url": "https://acme.example/changed", "key": "!"}`, 400, "invalid"},
		{"Oversized", oversized("destination_url"), 413, "invalid"},
	}
	cases = withBadBodies(cases)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustError(t, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, tc.body), tc.status, tc.code)
			if after := get(t, e, v.SecretKey, "/v1/links/"+l.ID); after != before {
				t.Errorf("link changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	// The refused changes did not reach the redirect either.
	loc := e.Must(t, http.StatusFound, e.Click(t, "renamed-key")).Header.Get("Location")
	if !strings.HasPrefix(loc, "https://acme.example/new?") {
		t.Errorf("Location = %s", loc)
	}
	t.Run("Unknown", func(t *testing.T) {
		mustError(t, e.Do(t, "PATCH", "/v1/links/lnk_01kf0rdqg0syc3j57wfa5tgbac", v.SecretKey, map[string]string{"key": "whatever"}), http.StatusNotFound, "not_found")
	})
}

func TestLinks_Archive(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	e.Must(t, http.StatusFound, e.Click(t, l.Key))

	m := e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil)).Map(t)
	if m["status"] != "archived" || m["id"] != l.ID {
		t.Fatalf("DELETE answer %v", m)
	}
	if got := get(t, e, v.SecretKey, "/v1/links/"+l.ID); !strings.Contains(got, `"status":"archived"`) {
		t.Errorf("GET after archive: %s", got)
	}
	if r := e.Click(t, l.Key); r.StatusCode != http.StatusNotFound {
		t.Errorf("archived link answers %d", r.StatusCode)
	}
	// Archiving twice is harmless.
	e.Must(t, http.StatusOK, e.Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
	// The key stays reserved: an archived link keeps its history.
	mustError(t, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": "https://acme.example/", "key": l.Key}), http.StatusConflict, "conflict")
	// Restoring works and the link redirects again at once.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]string{"status": "active"}))
	e.Must(t, http.StatusFound, e.Click(t, l.Key))
	mustError(t, e.Do(t, "DELETE", "/v1/links/lnk_01kf0rdqg0syc3j57wfa5tgbac", v.SecretKey, nil), http.StatusNotFound, "not_found")
}

func TestLinks_QR(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")

	t.Run("SVG", func(t *testing.T) {
		r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+l.ID+"/qr.svg", v.SecretKey, nil))
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
			t.Errorf("Content-Type = %q", ct)
		}
		var doc struct {
			XMLName xml.Name
			ViewBox string `xml:"viewBox,attr"`
		}
		if err := xml.Unmarshal(r.Body, &doc); err != nil {
			t.Fatalf("SVG is not XML: %v", err)
		}
		if doc.XMLName.Local != "svg" || doc.ViewBox == "" {
			t.Errorf("root = %v viewBox %q", doc.XMLName, doc.ViewBox)
		}
		// Well-formed all the way through.
		d := xml.NewDecoder(bytes.NewReader(r.Body))
		for {
			if _, err := d.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("SVG token: %v", err)
				}
				break
			}
		}
	})
	for _, tc := range []struct {
		name, query string
		size        int
	}{
		{"PNG", "", 0},
		{"PNGSmall", "?size=64", 64},
		{"PNGLarge", "?size=1024", 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+l.ID+"/qr.png"+tc.query, v.SecretKey, nil))
			if ct := r.Header.Get("Content-Type"); ct != "image/png" {
				t.Errorf("Content-Type = %q", ct)
			}
			img, err := png.Decode(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("PNG does not decode: %v", err)
			}
			// Modules are whole pixels, so the size is only about the one asked.
			if b := img.Bounds(); b.Dx() != b.Dy() || (tc.size != 0 && (b.Dx() < tc.size*3/4 || b.Dx() > tc.size*5/4)) {
				t.Errorf("size %dx%d, asked %d", b.Dx(), b.Dy(), tc.size)
			}
			bmp, err := gozxing.NewBinaryBitmapFromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
			if err != nil {
				t.Fatalf("QR does not decode: %v", err)
			}
			if res.GetText() != l.URL {
				t.Errorf("QR says %q, want %q", res.GetText(), l.URL)
			}
		})
	}
	t.Run("FollowsKeyChange", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]string{"key": "qr-renamed"}))
		r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+l.ID+"/qr.png", v.SecretKey, nil))
		img, err := png.Decode(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
		if err != nil || res.GetText() != e.URL()+"/r/qr-renamed" {
			t.Fatalf("QR = %v, %v", res, err)
		}
	})
	t.Run("BadSize", func(t *testing.T) {
		for _, q := range []string{"?size=0", "?size=10", "?size=99999", "?size=abc"} {
			mustError(t, e.Do(t, "GET", "/v1/links/"+l.ID+"/qr.png"+q, v.SecretKey, nil), http.StatusBadRequest, "invalid")
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		for _, ext := range []string{"svg", "png"} {
			mustError(t, e.Do(t, "GET", "/v1/links/lnk_01kf0rdqg0syc3j57wfa5tgbac/qr."+ext, v.SecretKey, nil), http.StatusNotFound, "not_found")
		}
	})
}

func TestLinks_KeyAliases(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	create := func(t *testing.T, v testenv.Vendor, p testenv.Partner, key string) *testenv.Response {
		return e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": "https://acme.example/x", "key": key})
	}
	rename := func(t *testing.T, id, key string) *testenv.Response {
		return tick(e).Do(t, "PATCH", "/v1/links/"+id, v.SecretKey, map[string]any{"key": key})
	}
	aliases := func(t *testing.T, id string) []string {
		var l struct{ Aliases []string }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+id, v.SecretKey, nil)).JSON(t, &l)
		return l.Aliases
	}
	var l testenv.Link
	e.Must(t, http.StatusCreated, create(t, v, p, "qr-spring")).JSON(t, &l)
	if got := aliases(t, l.ID); got == nil || len(got) != 0 {
		t.Fatalf("a new link's aliases = %#v, want []", got)
	}
	e.Must(t, http.StatusFound, e.Click(t, "qr-spring")) // cached under the old key

	e.Must(t, http.StatusOK, rename(t, l.ID, "qr-summer"))
	e.Must(t, http.StatusOK, rename(t, l.ID, "qr-autumn"))
	if got := aliases(t, l.ID); !slices.Equal(got, []string{"qr-spring", "qr-summer"}) {
		t.Fatalf("aliases = %v", got)
	}

	t.Run("AliasRedirectsLikeTheKey", func(t *testing.T) {
		for _, key := range []string{"qr-spring", "qr-summer", "qr-autumn"} {
			r := e.Must(t, http.StatusFound, e.Click(t, key+"?utm_source=flyer"))
			tok, c := clickOf(t, e, r)
			if tok.LinkID != l.ID || c.LinkID != l.ID || c.PartnerID != p.ID || c.UTMSource != "flyer" {
				t.Errorf("/r/%s: token %+v, click %+v", key, tok, c)
			}
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "https://acme.example/x?utm_source=flyer&tally_ref=") {
				t.Errorf("/r/%s goes to %s", key, loc)
			}
		}
	})
	t.Run("ListShowsAliases", func(t *testing.T) {
		var list struct {
			Data []struct {
				ID, Key string
				Aliases []string
			}
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links", v.SecretKey, nil)).JSON(t, &list)
		if len(list.Data) != 1 || list.Data[0].Key != "qr-autumn" || len(list.Data[0].Aliases) != 2 {
			t.Errorf("list = %+v", list.Data)
		}
	})
	t.Run("OneNamespace", func(t *testing.T) {
		other := e.NewVendor(t, "Other")
		op := e.NewPartner(t, other, "Bob", "bob@example.com")
		var l2 testenv.Link
		e.Must(t, http.StatusCreated, create(t, v, p, "qr-winter")).JSON(t, &l2)
		for _, key := range []string{"qr-spring", "qr-autumn"} {
			mustError(t, create(t, v, p, key), http.StatusConflict, "conflict")
			mustError(t, create(t, other, op, key), http.StatusConflict, "conflict") // /r/{key} is global
			mustError(t, rename(t, l2.ID, key), http.StatusConflict, "conflict")
		}
		mustError(t, rename(t, l.ID, "qr-winter"), http.StatusConflict, "conflict")
		if got := aliases(t, l2.ID); len(got) != 0 {
			t.Errorf("refused renames left aliases %v", got)
		}
		if got := aliases(t, l.ID); !slices.Equal(got, []string{"qr-spring", "qr-summer"}) {
			t.Errorf("aliases = %v", got)
		}
	})
	t.Run("BackToAnOldKey", func(t *testing.T) {
		m := e.Must(t, http.StatusOK, rename(t, l.ID, "qr-spring")).Map(t)
		if m["key"] != "qr-spring" || fmt.Sprint(m["aliases"]) != "[qr-summer qr-autumn]" {
			t.Errorf("answer %v", m)
		}
		for _, key := range []string{"qr-spring", "qr-summer", "qr-autumn"} {
			e.Must(t, http.StatusFound, e.Click(t, key))
		}
	})
	t.Run("ArchiveArchivesAliases", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
		for _, key := range []string{"qr-spring", "qr-summer", "qr-autumn"} {
			if r := e.Click(t, key); r.StatusCode != http.StatusNotFound {
				t.Errorf("/r/%s of an archived link answers %d", key, r.StatusCode)
			}
		}
		mustError(t, create(t, v, p, "qr-summer"), http.StatusConflict, "conflict") // still reserved
	})
}
