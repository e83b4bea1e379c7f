package web_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

var nextLinkRE = regexp.MustCompile(`<a href="([^"]+)">Older [a-z]+</a>`)

// walkPages follows a list's "Older …" links from path and returns every
// item item matches, in order, failing on an item shown twice.
func walkPages(t *testing.T, b *testenv.Browser, path string, item *regexp.Regexp) (items []string, pages int) {
	t.Helper()
	seen := map[string]bool{}
	for path != "" && pages < 10 {
		page := b.Get(t, path).Must(t, http.StatusOK)
		pages++
		for _, m := range item.FindAllStringSubmatch(page.Body, -1) {
			if seen[m[1]] {
				continue // an item may be named twice on its own page (a row's links)
			}
			seen[m[1]] = true
			items = append(items, m[1])
		}
		path = ""
		if m := nextLinkRE.FindStringSubmatch(page.Body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	return items, pages
}

// TestListsPage: a dashboard or portal list longer than a page shows the
// newest page and links to the next, keeping its filter, until every item
// was shown once.
func TestListsPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")
	const n = 57 // more than a page of 50
	var partners []testenv.Partner
	for i := range n {
		partners = append(partners, e.NewPartner(t, v, fmt.Sprintf("Partner %02d", i), fmt.Sprintf("p%02d@partners.example", i)))
	}

	t.Run("Partners", func(t *testing.T) {
		got, pages := walkPages(t, b, "/dashboard/partners?status=active", regexp.MustCompile(`/dashboard/partners/(par_[0-9a-z]+)"`))
		if len(got) != n || pages != 2 {
			t.Fatalf("%d partners over %d pages, want %d over 2", len(got), pages, n)
		}
		for i, id := range got { // newest first
			if want := partners[n-1-i].ID; id != want {
				t.Fatalf("partner %d is %s, want %s", i, id, want)
			}
		}
	})
	t.Run("Links", func(t *testing.T) {
		for _, pa := range partners {
			e.NewLink(t, v, pa, "https://acme.example/")
		}
		var links struct{ Data []struct{ ID string } }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/links?limit=200", v.SecretKey, nil)).JSON(t, &links)
		got, pages := walkPages(t, b, "/dashboard/links", regexp.MustCompile(`/dashboard/links/(lnk_[0-9a-z]+)"`))
		if len(got) != len(links.Data) || len(got) <= 50 || pages != 2 {
			t.Fatalf("%d links over %d pages, want the API's %d over 2", len(got), pages, len(links.Data))
		}
	})
	t.Run("PortalRewards", func(t *testing.T) {
		ada := partners[0]
		for i := range n {
			e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/rewards", v.SecretKey, map[string]any{
				"partner_id": ada.ID, "amount": 100 + i, "currency": "usd", "reason": fmt.Sprintf("bonus %02d", i)}))
		}
		pb := e.NewBrowser(t)
		portalSignIn(t, e, pb, "p00@partners.example")
		got, pages := walkPages(t, pb, "/partner/rewards?status=approved", regexp.MustCompile(`(bonus \d\d)`))
		if len(got) != n || pages != 2 || got[0] != fmt.Sprintf("bonus %02d", n-1) {
			t.Fatalf("%d rewards over %d pages (first %v), want %d over 2", len(got), pages, got[:1], n)
		}
	})
	t.Run("PortalCustomers", func(t *testing.T) {
		bob := partners[1]
		for i := range n {
			e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
				"email": fmt.Sprintf("buyer%02d@example.com", i), "partner_id": bob.ID, "reason": "deal"}))
		}
		pb := e.NewBrowser(t)
		portalSignIn(t, e, pb, "p01@partners.example")
		first := pb.Get(t, "/partner/customers").Must(t, http.StatusOK)
		next := nextLinkRE.FindStringSubmatch(first.Body)
		if rows := strings.Count(first.Body, `<tr><th scope="row">`); rows != 50 || next == nil {
			t.Fatalf("the first page has %d customers and next link %v", rows, next)
		}
		second := pb.Get(t, html.UnescapeString(next[1])).Must(t, http.StatusOK)
		if rows := strings.Count(second.Body, `<tr><th scope="row">`); rows != n-50 || nextLinkRE.MatchString(second.Body) {
			t.Fatalf("the last page has %d customers, want %d and no next link", rows, n-50)
		}
	})
}
