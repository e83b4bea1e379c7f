package ingest_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store/ingest"
)

// Each flush adds its counts to the page's row for the hour, and last_seen
// keeps the latest ping; a flush of more pages than one statement takes
// writes them all.
func TestPingBuffer_FlushAccumulates(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	b := ingest.NewPingBuffer(s.Pings, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer b.Close(t.Context())

	hour := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ping := func(path string, at time.Time, ref, cookieOK bool) {
		b.RecordPing(attribution.Ping{VendorID: "ven_1", PublicKey: "pk_1", Origin: "https://shop.example", Path: path, RefInURL: ref, CookieOK: cookieOK, At: at})
	}
	ping("/", hour.Add(20*time.Minute), true, true)
	ping("/", hour.Add(10*time.Minute), true, false)
	for i := range 600 {
		ping(fmt.Sprintf("/p/%d", i), hour.Add(time.Minute), false, true)
	}
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	ping("/", hour.Add(5*time.Minute), false, false) // older than the row's last_seen
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	var row struct {
		Pings             int       `bun:"pings"`
		RefInURL          int       `bun:"ref_in_url"`
		CookieFailures    int       `bun:"cookie_failures"`
		RefCookieFailures int       `bun:"ref_cookie_failures"`
		LastSeen          time.Time `bun:"last_seen"`
	}
	if err := s.DB().NewSelect().TableExpr("snippet_pages").
		ColumnExpr("pings, ref_in_url, cookie_failures, ref_cookie_failures, last_seen").
		Where("vendor_id = ? AND path = ? AND hour = ?", "ven_1", "/", hour).Scan(t.Context(), &row); err != nil {
		t.Fatal(err)
	}
	if row.Pings != 3 || row.RefInURL != 2 || row.CookieFailures != 2 || row.RefCookieFailures != 1 {
		t.Errorf("row = %+v; want 3 pings, 2 with tally_ref, 2 cookie failures, 1 of them with tally_ref", row)
	}
	if want := hour.Add(20 * time.Minute); !row.LastSeen.Equal(want) {
		t.Errorf("last_seen = %v, want %v", row.LastSeen, want)
	}
	n, err := s.DB().NewSelect().TableExpr("snippet_pages").Where("vendor_id = ?", "ven_1").Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != 601 {
		t.Errorf("%d page rows, want 601", n)
	}
}
