package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// feedEvent is one "click" event of /dashboard/feed.
type feedEvent struct {
	ID, Time, Text string
}

// openFeed opens the live feed as b's session and returns its click events.
func openFeed(t *testing.T, e *testenv.Env, b *testenv.Browser, after string) <-chan feedEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.URL()+"/dashboard/feed?after="+after, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", "tally_session="+b.Cookie("tally_session"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan feedEvent, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev feedEvent
		for sc.Scan() {
			line := sc.Text()
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				_ = json.Unmarshal([]byte(data), &ev)
			} else if line == "" && ev.ID != "" {
				out <- ev
				ev = feedEvent{}
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, events <-chan feedEvent, within time.Duration) feedEvent {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(within):
		t.Fatalf("no click in the feed within %v", within)
	}
	return feedEvent{}
}

func TestLiveFeed(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")
	p := e.NewPartner(t, v, "Grace", "grace@partners.example")
	l := e.NewLink(t, v, p, "https://acme.example/")

	page := b.Get(t, "/dashboard").Must(t, http.StatusOK)
	if !strings.Contains(text(page), "No clicks yet") || !strings.Contains(page.Body, `data-feed="/dashboard/feed?after="`) {
		t.Fatalf("the empty feed:\n%s", text(page))
	}
	events := openFeed(t, e, b, "")

	t.Run("ClickThroughTheRedirect", func(t *testing.T) {
		e.Must(t, http.StatusFound, e.Click(t, l.Key+"?utm_source=news"))
		ev := nextEvent(t, events, 2*time.Second)
		if !strings.Contains(ev.Text, "Link "+l.Key) || !strings.Contains(ev.Text, "partner Grace") || !strings.HasPrefix(ev.ID, "clk_") {
			t.Errorf("event %+v", ev)
		}
	})
	t.Run("ClickWrittenElsewhere", func(t *testing.T) {
		// A click another instance wrote: only in the database.
		now := e.Clock.Now().Add(time.Second)
		c := attribution.Click{ID: attribution.NewID(attribution.PrefixClick, now), VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID,
			ClickedAt: now, Country: "FR", Source: "facebook", Bot: true}
		if err := e.App.Store.Clicks.InsertClicks(t.Context(), []*attribution.Click{&c}); err != nil {
			t.Fatal(err)
		}
		ev := nextEvent(t, events, 2*time.Second)
		if ev.ID != c.ID || !strings.Contains(ev.Text, "facebook · FR") || !strings.Contains(ev.Text, "bot, not counted") {
			t.Errorf("event %+v, want the click %s", ev, c.ID)
		}
	})
	t.Run("PageShowsTheLatest", func(t *testing.T) {
		page := b.Get(t, "/dashboard").Must(t, http.StatusOK)
		got := text(page)
		if !strings.Contains(page.Body, `class="muted feed-empty" hidden`) || strings.Count(got, "Link "+l.Key+" · partner Grace") != 2 {
			t.Errorf("the overview's feed:\n%s", got)
		}
	})
	t.Run("OnlyAfterThePage", func(t *testing.T) {
		clicks, err := e.App.Store.Dashboard.RecentClicks(t.Context(), v.ID, 5)
		if err != nil || len(clicks) != 2 {
			t.Fatalf("recent clicks: %v %v", clicks, err)
		}
		later := openFeed(t, e, b, clicks[0].ID)
		e.Clock.Advance(time.Minute)
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		if ev := nextEvent(t, later, 2*time.Second); ev.ID == clicks[0].ID || ev.ID == clicks[1].ID {
			t.Errorf("a click the page already showed came again: %+v", ev)
		}
	})
	t.Run("OtherVendorsClicksStayOut", func(t *testing.T) {
		_, other := owner(t, e, "Globex", "hank@globex.example")
		theirs := openFeed(t, e, other, "")
		e.Must(t, http.StatusFound, e.Click(t, l.Key))
		select {
		case ev := <-theirs:
			t.Errorf("another vendor's feed shows %+v", ev)
		case <-time.After(1500 * time.Millisecond):
		}
	})
	t.Run("SignedOut", func(t *testing.T) {
		e.NewBrowser(t).Get(t, "/dashboard/feed").Must(t, http.StatusSeeOther)
	})
}
