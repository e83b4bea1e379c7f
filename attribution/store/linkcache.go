package store

import (
	"sync"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// linkCache keeps resolved redirect targets (and unknown keys) in memory.
// Changes made through this process purge it at once; changes made by another
// instance are seen within ttl.
type linkCache struct {
	mu      sync.RWMutex
	ttl     time.Duration
	max     int
	gen     uint64
	entries map[string]linkCacheEntry
}

type linkCacheEntry struct {
	target  *attribution.RedirectTarget // nil: the key is unknown
	expires time.Time
}

func newLinkCache(ttl time.Duration, max int) *linkCache {
	return &linkCache{ttl: ttl, max: max, entries: map[string]linkCacheEntry{}}
}

// get returns the cached target (nil for a key cached as unknown) and
// whether the key is cached and fresh.
func (c *linkCache) get(key string) (*attribution.RedirectTarget, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.target, true
}

// stale returns an entry whatever its age: while the database is down a
// redirect is better served from what was known than refused.
func (c *linkCache) stale(key string) (*attribution.RedirectTarget, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	return e.target, ok && e.target != nil
}

// generation is read before a database lookup so that a purge racing the
// lookup keeps its stale answer out of the cache.
func (c *linkCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *linkCache) put(key string, t *attribution.RedirectTarget, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		// Full: drop one arbitrary entry. Emptying the whole map would let a
		// flood of unknown keys send every popular link back to the database.
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = linkCacheEntry{target: t, expires: time.Now().Add(c.ttl)}
}

func (c *linkCache) purge() {
	c.mu.Lock()
	c.gen++
	c.entries = map[string]linkCacheEntry{}
	c.mu.Unlock()
}
