package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

var partnerPath = regexp.MustCompile(`^/dashboard/partners/par_[0-9a-z]+$`)

func TestPartnersPages(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyState", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard/partners").Must(t, http.StatusOK))
		if !strings.Contains(got, "No partners yet") || !strings.Contains(got, "New partner") {
			t.Errorf("the empty partner list:\n%s", got)
		}
	})

	created := b.Submit(t, "/dashboard/partners/new", url.Values{"name": {"Grace Hopper"}, "email": {"Grace@Partners.example"}}).
		Must(t, http.StatusSeeOther)
	if !partnerPath.MatchString(created.Location()) {
		t.Fatalf("creating a partner leads to %q", created.Location())
	}
	page := text(b.Get(t, created.Location()).Must(t, http.StatusOK))
	for _, want := range []string{"Grace Hopper", "grace@partners.example", "Active", "No rewards (the program's rule)", "No links yet", "Change status"} {
		if !strings.Contains(page, want) {
			t.Errorf("the new partner's page lacks %q:\n%s", want, page)
		}
	}
	// The same service as the API: the partner is there, active, audited as the user.
	var list struct {
		Data []struct{ ID, Email, Status string } `json:"data"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners", v.SecretKey, nil)).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].Status != "active" || list.Data[0].Email != "grace@partners.example" {
		t.Fatalf("partners by the API: %+v", list.Data)
	}
	var audit struct {
		Data []struct{ Actor, Action string } `json:"data"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit", v.SecretKey, nil)).JSON(t, &audit)
	if len(audit.Data) == 0 || audit.Data[0].Actor != "ada@acme.example" || audit.Data[0].Action != "partner.create" {
		t.Errorf("audit: %+v", audit.Data)
	}

	t.Run("BadInputKeepsTheForm", func(t *testing.T) {
		p := b.Submit(t, "/dashboard/partners/new", url.Values{"name": {"Linus"}, "email": {"not an email"}}).Must(t, http.StatusBadRequest)
		if got := text(p); !strings.Contains(got, "email must be a valid email address") || !strings.Contains(p.Body, `value="Linus"`) {
			t.Errorf("a bad email:\n%s", got)
		}
		p = b.Submit(t, "/dashboard/partners/new", url.Values{"name": {"Grace again"}, "email": {"grace@partners.example"}}).Must(t, http.StatusConflict)
		if !strings.Contains(text(p), "exists already") {
			t.Errorf("a taken email:\n%s", text(p))
		}
	})

	t.Run("InviteThenApprove", func(t *testing.T) {
		// Email is off: the answer is Ivy's page, with the invite link to copy.
		sent := b.Submit(t, "/dashboard/partners/invite", url.Values{"name": {"Ivy"}, "email": {"ivy@partners.example"}}).Must(t, http.StatusOK)
		if got := text(sent); !strings.Contains(got, "Ivy is invited") || !strings.Contains(got, "/join/invite/") {
			t.Errorf("the invite's answer lacks the link to copy:\n%s", got)
		}
		path := regexp.MustCompile(`/dashboard/partners/par_[0-9a-z]+`).FindString(sent.Body)
		p := b.Get(t, path).Must(t, http.StatusOK)
		if got := text(p); !strings.Contains(got, "Invited") || !strings.Contains(got, "Approve") || strings.Contains(got, "Reject") {
			t.Errorf("an invited partner's page:\n%s", got)
		}
		// An invited partner's link carries no token until they are active.
		var ivy testenv.Partner
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+strings.TrimPrefix(path, "/dashboard/partners/"), v.SecretKey, nil)).JSON(t, &ivy)
		l := e.NewLink(t, v, ivy, "https://acme.example/")
		if loc := e.Click(t, l.Key).Header.Get("Location"); strings.Contains(loc, "tally_ref=") {
			t.Errorf("an invited partner's click carries a token: %s", loc)
		}
		b.Post(t, path+"/approve", url.Values{"csrf_token": {p.CSRF(t)}}).Must(t, http.StatusSeeOther)
		if got := text(b.Get(t, path).Must(t, http.StatusOK)); !strings.Contains(got, "Active") {
			t.Errorf("approved:\n%s", got)
		}
		if loc := e.Click(t, l.Key).Header.Get("Location"); !strings.Contains(loc, "tally_ref=") {
			t.Errorf("an approved partner's click carries no token: %s", loc)
		}
		// Approving twice is a conflict, and changes nothing.
		b.Post(t, path+"/approve", url.Values{"csrf_token": {p.CSRF(t)}}).Must(t, http.StatusConflict)
	})

	t.Run("ApplicationRejected", func(t *testing.T) {
		applicant := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/partners", v.SecretKey,
			map[string]string{"name": "Pat", "email": "pat@partners.example", "status": "pending"})).Map(t)
		path := "/dashboard/partners/" + applicant["id"].(string)
		if got := text(b.Get(t, "/dashboard").Must(t, http.StatusOK)); !strings.Contains(got, "1 partner application to review") {
			t.Errorf("the overview's tasks lack the application:\n%s", got)
		}
		p := b.Get(t, path).Must(t, http.StatusOK)
		if got := text(p); !strings.Contains(got, "Application") || !strings.Contains(got, "Reject") {
			t.Fatalf("a pending partner's page:\n%s", got)
		}
		b.Post(t, path+"/reject", url.Values{"csrf_token": {p.CSRF(t)}, "reason": {"not a fit"}}).Must(t, http.StatusSeeOther)
		if got := text(b.Get(t, path).Must(t, http.StatusOK)); !strings.Contains(got, "Rejected") || strings.Contains(got, "Approve") {
			t.Errorf("rejected:\n%s", got)
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit", v.SecretKey, nil)).JSON(t, &audit)
		if audit.Data[0].Action != "partner.reject" || audit.Data[0].Actor != "ada@acme.example" {
			t.Errorf("audit: %+v", audit.Data[0])
		}
		if got := text(b.Get(t, "/dashboard/partners?status=rejected").Must(t, http.StatusOK)); !strings.Contains(got, "Pat") || strings.Contains(got, "Grace") {
			t.Errorf("the rejected filter:\n%s", got)
		}
	})

	t.Run("Disable", func(t *testing.T) {
		p := b.Get(t, created.Location()).Must(t, http.StatusOK)
		b.Post(t, created.Location()+"/status", url.Values{"csrf_token": {p.CSRF(t)}, "status": {"disabled"}}).Must(t, http.StatusSeeOther)
		if got := text(b.Get(t, created.Location()).Must(t, http.StatusOK)); !strings.Contains(got, "Disabled") {
			t.Errorf("disabled:\n%s", got)
		}
		b.Post(t, created.Location()+"/status", url.Values{"csrf_token": {p.CSRF(t)}, "status": {"banned"}}).Must(t, http.StatusBadRequest)
	})

	t.Run("OtherVendorsPartnerIsNotFound", func(t *testing.T) {
		_, other := owner(t, e, "Globex", "hank@globex.example")
		other.Get(t, created.Location()).Must(t, http.StatusNotFound)
		page := other.Get(t, "/dashboard/partners").Must(t, http.StatusOK)
		other.Post(t, created.Location()+"/status", url.Values{"csrf_token": {page.CSRF(t)}, "status": {"active"}}).Must(t, http.StatusNotFound)
	})
}

// Viewers see the partners and links but no change buttons, and every
// change is refused with 403; a post without the CSRF token is refused too.
func TestDashAViewerAndCSRF(t *testing.T) {
	e := testenv.New(t)
	v, admin := owner(t, e, "Acme", "ada@acme.example")
	p := e.NewPartner(t, v, "Grace", "grace@partners.example")
	l := e.NewLink(t, v, p, "https://acme.example/")
	viewer := e.NewBrowser(t)
	viewer.Submit(t, userLink(t, e, v.ID, "vic@acme.example", "viewer"), url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther)

	for _, path := range []string{"/dashboard/partners", "/dashboard/partners/" + p.ID, "/dashboard/links", "/dashboard/links/" + l.ID} {
		page := viewer.Get(t, path).Must(t, http.StatusOK)
		for _, button := range []string{"New partner", "Invite partner", "New link", "Change status", "Save destination", "Archive this link", "Approve"} {
			if strings.Contains(text(page), button) {
				t.Errorf("a viewer sees %q on %s", button, path)
			}
		}
	}
	for _, path := range []string{"/dashboard/partners/new", "/dashboard/partners/invite", "/dashboard/links/new", "/dashboard/links/" + l.ID + "/archive"} {
		viewer.Get(t, path).Must(t, http.StatusForbidden)
	}
	csrf := viewer.Get(t, "/dashboard/links").Must(t, http.StatusOK).CSRF(t)
	for path, form := range map[string]url.Values{
		"/dashboard/partners/new":                   {"name": {"X"}, "email": {"x@example.com"}},
		"/dashboard/partners/invite":                {"name": {"X"}, "email": {"x@example.com"}},
		"/dashboard/partners/" + p.ID + "/status":   {"status": {"disabled"}},
		"/dashboard/links/new":                      {"partner_id": {p.ID}, "destination_url": {"https://acme.example/x"}},
		"/dashboard/links/" + l.ID + "/destination": {"destination_url": {"https://acme.example/y"}},
		"/dashboard/links/" + l.ID + "/archive":     {},
	} {
		form.Set("csrf_token", csrf)
		viewer.Post(t, path, form).Must(t, http.StatusForbidden)
		form.Del("csrf_token")
		admin.Post(t, path, form).Must(t, http.StatusForbidden) // no CSRF token
	}
	// Nothing changed.
	var link struct {
		DestinationURL string `json:"destination_url"`
		Status         string `json:"status"`
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links/"+l.ID, v.SecretKey, nil)).JSON(t, &link)
	var partners struct{ Data []struct{ Status string } }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners", v.SecretKey, nil)).JSON(t, &partners)
	if link.DestinationURL != "https://acme.example/" || link.Status != "active" || len(partners.Data) != 1 || partners.Data[0].Status != "active" {
		t.Errorf("refused changes changed something: %+v %+v", link, partners.Data)
	}
}
