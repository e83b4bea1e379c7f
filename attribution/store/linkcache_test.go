package store

import (
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestLinkCache(t *testing.T) {
	target := func(key string) *attribution.RedirectTarget {
		return attribution.NewRedirectTarget(attribution.Link{Key: key, DestinationURL: "https://shop.example/"}, 30, "", "")
	}

	t.Run("FreshThenStaleAfterTTL", func(t *testing.T) {
		c := newLinkCache(20*time.Millisecond, 10)
		a := target("a")
		c.put("a", a, c.generation())
		if got, ok, _ := c.get("a"); !ok || got != a {
			t.Fatalf("get = %v, %v; want the target, fresh", got, ok)
		}
		time.Sleep(40 * time.Millisecond)
		if _, ok, _ := c.get("a"); ok {
			t.Fatal("get still fresh after the TTL")
		}
		if got, ok := c.stale("a"); !ok || got != a {
			t.Fatalf("stale = %v, %v; want the last known target", got, ok)
		}
	})

	t.Run("UnknownKey", func(t *testing.T) {
		c := newLinkCache(time.Minute, 10)
		c.put("a", target("a"), c.generation())
		c.put("a", nil, c.generation()) // the link is gone
		if got, ok, _ := c.get("a"); !ok || got != nil {
			t.Fatalf("get = %v, %v; want cached as unknown", got, ok)
		}
		if _, ok := c.stale("a"); ok {
			t.Fatal("stale serves a key now known to be unknown")
		}
	})

	t.Run("PurgeDropsEverythingAndRacingPuts", func(t *testing.T) {
		c := newLinkCache(time.Minute, 10)
		c.put("a", target("a"), c.generation())
		gen := c.generation() // a lookup starts
		c.purge()             // a change lands meanwhile
		c.put("b", target("b"), gen)
		for _, k := range []string{"a", "b"} {
			if _, ok, _ := c.get(k); ok {
				t.Errorf("get(%s) after purge: still cached", k)
			}
			if _, ok := c.stale(k); ok {
				t.Errorf("stale(%s) after purge: still cached", k)
			}
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		c := newLinkCache(time.Minute, 3)
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			c.put(k, target(k), c.generation())
		}
		if n, m := c.fresh.Len(), c.lastGood.Len(); n != 3 || m != 3 {
			t.Fatalf("%d fresh and %d last-good entries, want 3 each", n, m)
		}
		if _, ok, _ := c.get("e"); !ok {
			t.Fatal("the newest entry was evicted")
		}
	})
	t.Run("RefreshDueAtARandomPointOfTheSecondHalf", func(t *testing.T) {
		const ttl = time.Hour
		c := newLinkCache(ttl, 100)
		before := time.Now()
		for i := range 50 {
			c.put(string(rune('a'+i)), target("k"), c.generation())
		}
		after := time.Now()
		if _, ok, due := c.get("a"); !ok || due {
			t.Fatalf("a fresh entry: cached %v, due %v", ok, due)
		}
		seen := map[time.Duration]bool{}
		for _, k := range c.fresh.Keys() {
			v, _ := c.fresh.Peek(k)
			if v.refreshAt.Before(before.Add(ttl/2)) || !v.refreshAt.Before(after.Add(ttl)) {
				t.Fatalf("%s is due at %v after it was put, want within [ttl/2, ttl)", k, v.refreshAt.Sub(before))
			}
			seen[v.refreshAt.Sub(before).Truncate(time.Minute)] = true
		}
		// Entries put together fall due apart (50 draws over 30 minutes).
		if len(seen) < 10 {
			t.Fatalf("50 entries fall due in %d distinct minutes", len(seen))
		}
		// Past its point, a use is told to refresh while the entry is still served.
		c.fresh.Add("due", cachedTarget{target: target("due"), refreshAt: time.Now().Add(-time.Second)})
		if got, ok, due := c.get("due"); !ok || !due || got == nil {
			t.Fatalf("an entry past its refresh point: %v, cached %v, due %v", got, ok, due)
		}
	})
}
