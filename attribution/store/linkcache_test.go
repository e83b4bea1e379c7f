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
		if got, ok := c.get("a"); !ok || got != a {
			t.Fatalf("get = %v, %v; want the target, fresh", got, ok)
		}
		time.Sleep(40 * time.Millisecond)
		if _, ok := c.get("a"); ok {
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
		if got, ok := c.get("a"); !ok || got != nil {
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
			if _, ok := c.get(k); ok {
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
		if _, ok := c.get("e"); !ok {
			t.Fatal("the newest entry was evicted")
		}
	})
}
