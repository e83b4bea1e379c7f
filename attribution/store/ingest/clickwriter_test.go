package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/attribution/store/ingest"
	"github.com/tally-dev/tally/internal/testenv"
)

// openStore opens a migrated store on a fresh test database.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(testenv.DatabaseURL(tb), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

func countClicks(t *testing.T, s *store.Store) int {
	t.Helper()
	n, err := s.DB().NewSelect().Table("clicks").Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

var clickTime = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func newClick(i int) *attribution.Click {
	now := clickTime.Add(time.Duration(i) * time.Millisecond)
	return &attribution.Click{
		ID: attribution.NewID(attribution.PrefixClick, now), VendorID: "ven_x", LinkID: "lnk_x", PartnerID: "par_x",
		ClickedAt: now, IPTrunc: "192.0.2.0", IPHash: fmt.Sprintf("%032x", i), Browser: "Chrome", OS: "Windows",
		Device: "desktop", Source: "direct", UTMSource: "newsletter", Variant: "b",
	}
}

func TestClickWriter_GroupCommit(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	w := ingest.NewClickWriter(s.Clicks, ingest.ClickWriterOptions{})
	t.Cleanup(func() { w.Close(context.Background()) })

	const n = 1000
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		c := newClick(i)
		ids[i] = c.ID
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Record(t.Context(), c, 0)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Record %d: %v", i, err)
		}
	}
	// Record returned, so every row must be committed already.
	if got := countClicks(t, s); got != n {
		t.Fatalf("clicks = %d, want %d", got, n)
	}
	if w.Written() != n || w.Queued() != 0 {
		t.Errorf("Written = %d, Queued = %d", w.Written(), w.Queued())
	}
	var got []string
	if err := s.DB().NewSelect().Table("clicks").Column("id").Scan(t.Context(), &got); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range got {
		seen[id] = true
	}
	for _, id := range ids {
		if !seen[id] {
			t.Fatalf("click %s missing", id)
		}
	}
}

func TestClickWriter_RowContent(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	w := ingest.NewClickWriter(s.Clicks, ingest.ClickWriterOptions{})
	t.Cleanup(func() { w.Close(context.Background()) })
	c := newClick(7)
	c.Bot = true
	c.Country = "DE"
	c.ReferrerHost = "facebook.com"
	if err := w.Record(t.Context(), c, 0); err != nil {
		t.Fatal(err)
	}
	var got attribution.Click
	if err := s.DB().NewSelect().Model(&got).Where("id = ?", c.ID).Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !got.ClickedAt.Equal(c.ClickedAt) {
		t.Errorf("clicked_at = %v, want %v", got.ClickedAt, c.ClickedAt)
	}
	got.ClickedAt = c.ClickedAt
	if got != *c {
		t.Errorf("row = %+v\nwant  %+v", got, *c)
	}
}

func TestClickWriter_RecordAfterClose(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	w := ingest.NewClickWriter(s.Clicks, ingest.ClickWriterOptions{})
	if lost := w.Close(t.Context()); lost != 0 {
		t.Fatalf("Close lost %d", lost)
	}
	err := w.Record(t.Context(), newClick(1), 0)
	if err == nil {
		t.Fatal("Record after Close returned nil")
	}
	if !errors.Is(err, ingest.ErrClickWriterClosed) {
		t.Errorf("err = %v, want ErrClickWriterClosed", err)
	}
	if countClicks(t, s) != 0 {
		t.Error("a click recorded after Close was written")
	}
	// Close is idempotent.
	if lost := w.Close(t.Context()); lost != 0 {
		t.Errorf("second Close lost %d", lost)
	}
}

// gatedInserter holds every write until open is closed.
type gatedInserter struct {
	ingest.ClickInserter
	open chan struct{}
}

func (g *gatedInserter) InsertClicks(ctx context.Context, clicks []*attribution.Click) error {
	<-g.open
	return g.ClickInserter.InsertClicks(ctx, clicks)
}

func TestClickWriter_CloseDrainsQueue(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	// Async: Record answers before the commit, and the first write is held,
	// so the clicks are still queued when Close starts.
	gate := &gatedInserter{ClickInserter: s.Clicks, open: make(chan struct{})}
	w := ingest.NewClickWriter(gate, ingest.ClickWriterOptions{Async: true, MaxBatch: 100})
	n := 750
	for i := range n {
		if err := w.Record(t.Context(), newClick(i), 0); err != nil {
			t.Fatalf("Record %d: %v", i, err)
		}
	}
	if w.Written() != 0 || countClicks(t, s) != 0 {
		t.Fatalf("written before Close: %d", w.Written())
	}
	lost := make(chan int64, 1)
	go func() { lost <- w.Close(t.Context()) }()
	// Clicks are taken until Close has shut the door.
	for {
		err := w.Record(t.Context(), newClick(n), 0)
		if errors.Is(err, ingest.ErrClickWriterClosed) {
			break
		}
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
		n++
	}
	close(gate.open)
	if l := <-lost; l != 0 {
		t.Fatalf("Close lost %d clicks", l)
	}
	if got := countClicks(t, s); got != n {
		t.Fatalf("clicks after Close = %d, want %d", got, n)
	}
	if w.Written() != int64(n) || w.Queued() != 0 {
		t.Errorf("Written = %d, Queued = %d", w.Written(), w.Queued())
	}
}

func TestClickWriter_QueueFull(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	// The first write is held, so the queue fills behind it.
	gate := &gatedInserter{ClickInserter: s.Clicks, open: make(chan struct{})}
	w := ingest.NewClickWriter(gate, ingest.ClickWriterOptions{Async: true, QueueSize: 3})
	var full int
	for i := range 50 {
		err := w.Record(t.Context(), newClick(i), 0)
		if errors.Is(err, ingest.ErrClickQueueFull) {
			full++
		} else if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	if full == 0 {
		t.Fatal("a queue of 3 never reported full")
	}
	close(gate.open)
	if lost := w.Close(t.Context()); lost != 0 {
		t.Fatalf("Close lost %d", lost)
	}
	if got := countClicks(t, s); got != 50-full {
		t.Errorf("clicks = %d, want %d accepted", got, 50-full)
	}
}

func TestClickWriter_DuplicateRecord(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	w := ingest.NewClickWriter(s.Clicks, ingest.ClickWriterOptions{})
	t.Cleanup(func() { w.Close(context.Background()) })
	c := newClick(1)
	for range 2 {
		dup := *c
		if err := w.Record(t.Context(), &dup, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := countClicks(t, s); got != 1 {
		t.Fatalf("clicks = %d, want 1", got)
	}
}
