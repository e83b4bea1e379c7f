package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
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

// slowPings blocks each write until released, to catch a Flush that
// returns while the ticker's write is still in flight.
type slowPings struct {
	started chan struct{}
	release chan struct{}
	mu      sync.Mutex
	rows    int
}

func (s *slowPings) AddPings(ctx context.Context, rows []store.PagePings) error {
	s.started <- struct{}{}
	<-s.release
	s.mu.Lock()
	s.rows += len(rows)
	s.mu.Unlock()
	return nil
}

func TestPingBuffer_FlushWaitsForTheFlushInFlight(t *testing.T) {
	w := &slowPings{started: make(chan struct{}, 2), release: make(chan struct{})}
	b := ingest.NewPingBuffer(w, time.Hour, slog.New(slog.DiscardHandler))
	defer func() { close(w.release); b.Close(context.Background()) }()
	at := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	b.RecordPing(attribution.Ping{VendorID: "ven_1", PublicKey: "pk_1", Origin: "https://a.example", Path: "/", At: at})
	first := make(chan error, 1)
	go func() { first <- b.Flush(context.Background()) }() // as the ticker would
	<-w.started
	second := make(chan error, 1)
	go func() { second <- b.Flush(context.Background()) }()
	select {
	case <-second:
		t.Fatal("Flush returned while another flush was still writing the pings")
	case <-time.After(100 * time.Millisecond):
	}
	w.release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rows != 1 {
		t.Fatalf("%d rows written, want 1", w.rows)
	}
}
