package attribution_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/tally-dev/tally/attribution"
)

// Ids made one after another in the same millisecond sort in creation
// order, and carry that millisecond.
func TestNewID_OrderedWithinAMillisecond(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	prev := ""
	for range 10_000 {
		id := attribution.NewID(attribution.PrefixClick, now)
		if !attribution.ValidID(attribution.PrefixClick, id) || strings.ToLower(id) != id {
			t.Fatalf("id %q is not a lower-case prefixed ULID", id)
		}
		if id <= prev {
			t.Fatalf("id %q made after %q sorts before it", id, prev)
		}
		prev = id
		u := ulid.MustParse(strings.TrimPrefix(id, attribution.PrefixClick))
		if got := ulid.Time(u.Time()); !got.Equal(now) {
			t.Fatalf("id %q carries time %v, want %v", id, got, now)
		}
	}
	later := attribution.NewID(attribution.PrefixClick, now.Add(time.Millisecond))
	if later <= prev {
		t.Errorf("id of the next millisecond %q sorts before %q", later, prev)
	}
}

// Ids made concurrently are all distinct.
func TestNewID_UniqueAcrossGoroutines(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ids := make([]string, 2000)
			for i := range ids {
				ids[i] = attribution.NewID(attribution.PrefixLink, now)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if seen[id] {
					t.Errorf("id %q made twice", id)
				}
				seen[id] = true
			}
		})
	}
	wg.Wait()
}
