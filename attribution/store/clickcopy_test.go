package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// TestInsertClicks_Escaping: text that COPY's format must escape (tabs,
// newlines, backslashes) arrives unchanged on both dialects; a NUL byte,
// which neither database takes in a statement, is dropped instead of
// blocking its batch.
func TestInsertClicks_Escaping(t *testing.T) {
	s := benchStore(t)
	ctx := context.Background()
	c := benchClick(time.Date(2026, 1, 15, 12, 0, 0, 123456000, time.UTC))
	c.UTMSource = "a\tb"
	c.UTMMedium = "line1\nline2\r\n"
	c.UTMCampaign = `back\slash\N`
	c.UTMContent = "zürich – 東京"
	c.Variant = "x\x00y"
	c.Bot = true
	other := benchClick(c.ClickedAt)
	if err := s.Clicks.InsertClicks(ctx, []*attribution.Click{c, other}); err != nil {
		t.Fatal(err)
	}
	var got attribution.Click
	if err := s.DB().NewSelect().Model(&got).Where("id = ?", c.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	want := *c
	want.Variant = "xy"
	if !got.ClickedAt.Equal(want.ClickedAt) {
		t.Errorf("clicked_at = %v, want %v", got.ClickedAt, want.ClickedAt)
	}
	got.ClickedAt = want.ClickedAt
	if got != want {
		t.Errorf("row = %+v\nwant  %+v", got, want)
	}
}
