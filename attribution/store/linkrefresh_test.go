package store_test

import (
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestResolveLink_RefreshAhead: a cached link is not looked up again
// before it is due, and once due it is still served as cached while one
// background lookup brings the change made elsewhere (another instance:
// no purge here), well before the entry expires.
func TestResolveLink_RefreshAhead(t *testing.T) {
	e := testenv.New(t) // the default TTL, 10 s
	v := e.NewVendor(t, "Acme")
	l := e.NewLink(t, v, e.NewPartner(t, v, "Ada", "ada@partners.example"), "https://old.example/")
	links := e.App.Store.Links
	dest := func() string {
		target, err := links.ResolveLink(t.Context(), l.Key)
		if err != nil {
			t.Fatal(err)
		}
		return target.Link.DestinationURL
	}
	if got := dest(); got != "https://old.example/" {
		t.Fatalf("resolved to %s", got)
	}
	// Another instance changes the link: this one's cache is not purged.
	if _, err := e.App.Store.DB().NewUpdate().TableExpr("links").Set("destination_url = ?", "https://new.example/").
		Where("id = ?", l.ID).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // time for a lookup, had one started
	if got := dest(); got != "https://old.example/" {
		t.Fatalf("a fresh entry was looked up again before it was due: %s", got)
	}
	if !links.MakeLinkDue(l.Key) {
		t.Fatal("the link is not cached")
	}
	if got := dest(); got != "https://old.example/" {
		t.Fatalf("the use that found it due waited for the lookup: %s", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for dest() != "https://new.example/" {
		if time.Now().After(deadline) {
			t.Fatal("the due link was never refreshed in the background")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
