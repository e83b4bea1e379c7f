package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// The live feed polls the database, not this process's memory, so a click
// served by any instance shows on every instance's feed.
const (
	feedPoll     = time.Second     // a click shows within about this long
	feedLifetime = 5 * time.Minute // then the browser reconnects (EventSource does)
	feedRetry    = 1000            // ms the browser waits before reconnecting
)

// feedItem is one click as the feed shows it, on the page and in events.
type feedItem struct {
	ID       string `json:"id"`
	Datetime string `json:"datetime"` // RFC 3339, for <time datetime>
	Time     string `json:"time"`     // in the vendor's time zone
	Text     string `json:"text"`
}

// newFeedItem describes a click: its link key and partner, and what the
// visit looked like.
func newFeedItem(c attribution.FeedClick, loc *time.Location) feedItem {
	parts := []string{"Link " + c.LinkKey, "partner " + c.PartnerName}
	for _, s := range []string{c.Source, c.Country, c.Device} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if c.Bot {
		parts = append(parts, "bot, not counted")
	}
	return feedItem{ID: c.ID, Datetime: c.ClickedAt.UTC().Format(time.RFC3339), Time: c.ClickedAt.In(loc).Format("Jan 2 15:04:05"),
		Text: strings.Join(parts, " · ")}
}

// feedItems reads the latest clicks, newest first.
func (p *pages) feedItems(c echo.Context, v *attribution.Vendor) ([]feedItem, error) {
	clicks, err := p.Dashboard.RecentClicks(c.Request().Context(), v.ID, attribution.FeedSize)
	if err != nil {
		return nil, err
	}
	out := make([]feedItem, 0, len(clicks))
	for _, cl := range clicks {
		out = append(out, newFeedItem(cl, v.Location()))
	}
	return out, nil
}

// feed answers GET /dashboard/feed with Server-Sent Events: each click
// newer than the page's newest (?after=, or Last-Event-ID on a reconnect)
// as one "click" event, oldest first, polled from the database every
// second. Each event's id is the click's id.
func (p *pages) feed(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.Vendors.FindVendor(ctx, u.VendorID)
	if err != nil {
		return err
	}
	after := c.Request().Header.Get("Last-Event-ID")
	if after == "" {
		if after, err = formText(c, "after"); err != nil {
			return err
		}
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // a proxy must not hold events back
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", feedRetry); err != nil {
		return nil
	}
	seen := map[string]bool{}
	var order []string // seen ids, oldest first, to bound seen
	end := time.NewTimer(feedLifetime)
	defer end.Stop()
	tick := time.NewTicker(feedPoll)
	defer tick.Stop()
	for {
		items, err := p.feedItems(c, v)
		if err != nil {
			return nil // the browser reconnects
		}
		// Send what is new, oldest first. Click ids sort by time (ULIDs).
		for _, it := range slices.Backward(items) {
			if seen[it.ID] {
				continue
			}
			seen[it.ID] = true
			order = append(order, it.ID)
			if it.ID <= after {
				continue
			}
			data, _ := json.Marshal(it)
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprintf(w, "id: %s\nevent: click\ndata: %s\n\n", it.ID, data); err != nil {
				return nil
			}
		}
		for len(order) > 4*attribution.FeedSize {
			delete(seen, order[0])
			order = order[1:]
		}
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.Closing:
			return nil
		case <-end.C:
			return nil
		case <-tick.C:
		}
	}
}
