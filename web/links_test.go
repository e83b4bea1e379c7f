package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

var linkPath = regexp.MustCompile(`^/dashboard/links/lnk_[0-9a-z]+$`)

func TestLinksPages(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyStates", func(t *testing.T) {
		if got := text(b.Get(t, "/dashboard/links").Must(t, http.StatusOK)); !strings.Contains(got, "No links yet") || !strings.Contains(got, "add a partner") {
			t.Errorf("the empty link list:\n%s", got)
		}
		if got := text(b.Get(t, "/dashboard/links/new").Must(t, http.StatusOK)); !strings.Contains(got, "Add a partner first") {
			t.Errorf("a new link without partners:\n%s", got)
		}
	})

	p := e.NewPartner(t, v, "Grace", "grace@partners.example")
	created := b.Submit(t, "/dashboard/links/new", url.Values{"partner_id": {p.ID}, "destination_url": {"https://acme.example/pricing"},
		"key": {"grace-launch"}, "utm_source": {"newsletter"}, "utm_medium": {"email"}, "utm_campaign": {"launch"}}).Must(t, http.StatusSeeOther)
	if !linkPath.MatchString(created.Location()) {
		t.Fatalf("creating a link leads to %q", created.Location())
	}
	id := strings.TrimPrefix(created.Location(), "/dashboard/links/")
	page := text(b.Get(t, created.Location()).Must(t, http.StatusOK))
	for _, want := range []string{"Link grace-launch", e.URL() + "/r/grace-launch", "https://acme.example/pricing", "Grace",
		"source newsletter medium email campaign launch", "Download SVG", "Download PNG", "Clicks over time", "Clicks by UTM source"} {
		if !strings.Contains(page, want) {
			t.Errorf("the link's page lacks %q:\n%s", want, page)
		}
	}
	loc := e.Click(t, "grace-launch").Header.Get("Location")
	if !strings.HasPrefix(loc, "https://acme.example/pricing?") || !strings.Contains(loc, "utm_campaign=launch") {
		t.Errorf("the new link redirects to %q", loc)
	}
	if got := text(b.Get(t, "/dashboard/links").Must(t, http.StatusOK)); !strings.Contains(got, "grace-launch Grace https://acme.example/pricing Active") {
		t.Errorf("the link list:\n%s", got)
	}

	t.Run("BadInputKeepsTheForm", func(t *testing.T) {
		r := b.Submit(t, "/dashboard/links/new", url.Values{"partner_id": {p.ID}, "destination_url": {"javascript:alert(1)"}, "utm_source": {"kept"}}).
			Must(t, http.StatusBadRequest)
		if !strings.Contains(text(r), "destination_url") || !strings.Contains(r.Body, `value="kept"`) {
			t.Errorf("a bad destination:\n%s", text(r))
		}
		r = b.Submit(t, "/dashboard/links/new", url.Values{"partner_id": {p.ID}, "destination_url": {"https://acme.example/"}, "key": {"grace-launch"}}).
			Must(t, http.StatusConflict)
		if !strings.Contains(text(r), "grace-launch") {
			t.Errorf("a taken key:\n%s", text(r))
		}
	})

	t.Run("QR", func(t *testing.T) {
		svg := b.Get(t, created.Location()+"/qr.svg").Must(t, http.StatusOK)
		png := b.Get(t, created.Location()+"/qr.png").Must(t, http.StatusOK)
		if svg.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(svg.Body, "<svg") ||
			!strings.Contains(svg.Header.Get("Content-Disposition"), `filename="grace-launch-qr.svg"`) {
			t.Errorf("svg: %v %.80s", svg.Header, svg.Body)
		}
		if png.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(png.Body, "\x89PNG") {
			t.Errorf("png: %v", png.Header)
		}
	})

	t.Run("ChangeDestination", func(t *testing.T) {
		pg := b.Get(t, created.Location()).Must(t, http.StatusOK)
		b.Post(t, created.Location()+"/destination", url.Values{"csrf_token": {pg.CSRF(t)}, "destination_url": {"https://acme.example/new"}}).
			Must(t, http.StatusSeeOther)
		if loc := e.Click(t, "grace-launch").Header.Get("Location"); !strings.HasPrefix(loc, "https://acme.example/new?") {
			t.Errorf("after the change the link redirects to %q", loc)
		}
		b.Post(t, created.Location()+"/destination", url.Values{"csrf_token": {pg.CSRF(t)}, "destination_url": {"ftp://x"}}).Must(t, http.StatusBadRequest)
	})

	t.Run("OtherVendorsLinkIsNotFound", func(t *testing.T) {
		_, other := owner(t, e, "Globex", "hank@globex.example")
		for _, path := range []string{created.Location(), created.Location() + "/qr.svg", created.Location() + "/qr.png", created.Location() + "/archive"} {
			other.Get(t, path).Must(t, http.StatusNotFound)
		}
		csrf := other.Get(t, "/dashboard/links").Must(t, http.StatusOK).CSRF(t)
		other.Post(t, created.Location()+"/archive", url.Values{"csrf_token": {csrf}}).Must(t, http.StatusNotFound)
		other.Post(t, created.Location()+"/destination", url.Values{"csrf_token": {csrf}, "destination_url": {"https://evil.example/"}}).Must(t, http.StatusNotFound)
		if got := text(other.Get(t, "/dashboard/analytics?link_id="+id).Must(t, http.StatusOK)); !strings.Contains(got, "Clicks 0") {
			t.Errorf("another vendor's analytics filtered by this link:\n%s", got)
		}
	})

	t.Run("ArchiveAfterConfirming", func(t *testing.T) {
		confirm := b.Get(t, created.Location()+"/archive").Must(t, http.StatusOK)
		if got := text(confirm); !strings.Contains(got, "Archive "+e.URL()+"/r/grace-launch ?") || !strings.Contains(got, "Cancel") {
			t.Errorf("the confirmation:\n%s", got)
		}
		b.Post(t, created.Location()+"/archive", url.Values{"csrf_token": {confirm.CSRF(t)}}).Must(t, http.StatusSeeOther)
		if got := text(b.Get(t, created.Location()).Must(t, http.StatusOK)); !strings.Contains(got, "Archived") || strings.Contains(got, "Save destination") {
			t.Errorf("archived:\n%s", got)
		}
		e.Must(t, http.StatusNotFound, e.Click(t, "grace-launch"))
		var audit struct {
			Data []struct{ Actor, Action string } `json:"data"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_id="+id, v.SecretKey, nil)).JSON(t, &audit)
		if len(audit.Data) == 0 || audit.Data[0].Action != "link.archive" || audit.Data[0].Actor != "ada@acme.example" {
			t.Errorf("audit: %+v", audit.Data)
		}
	})
}
