package store

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/tally-dev/tally/attribution"
)

// linkCache keeps resolved redirect targets (and unknown keys) in memory.
// Changes made through this process purge it at once; changes made by another
// instance are seen within ttl and one background lookup (Links.ResolveLink).
type linkCache struct {
	fresh *expirable.LRU[string, *attribution.RedirectTarget] // nil target: the key is unknown
	// lastGood keeps every known key's latest target past ttl (bounded, no
	// expiry): while the database is down a redirect is better served from
	// what was known than refused.
	lastGood *expirable.LRU[string, *attribution.RedirectTarget]

	mu  sync.Mutex // orders put against purge
	gen uint64

	refreshing sync.Map // keys being looked up again in the background
}

func newLinkCache(ttl time.Duration, max int) *linkCache {
	return &linkCache{
		fresh:    expirable.NewLRU[string, *attribution.RedirectTarget](max, nil, ttl),
		lastGood: expirable.NewLRU[string, *attribution.RedirectTarget](max, nil, 0),
	}
}

// get returns the cached target (nil for a key cached as unknown) and
// whether the key is cached and fresh.
func (c *linkCache) get(key string) (*attribution.RedirectTarget, bool) {
	return c.fresh.Get(key)
}

// stale returns the last target known for key, whatever its age.
func (c *linkCache) stale(key string) (*attribution.RedirectTarget, bool) {
	return c.lastGood.Peek(key)
}

// generation is read before a database lookup so that a purge racing the
// lookup keeps its stale answer out of the cache.
func (c *linkCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *linkCache) put(key string, t *attribution.RedirectTarget, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.fresh.Add(key, t)
	if t != nil {
		c.lastGood.Add(key, t)
	} else {
		c.lastGood.Remove(key)
	}
}

func (c *linkCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.fresh.Purge()
	c.lastGood.Purge()
}

// startRefresh claims the background refresh of key: false when one is
// already running.
func (c *linkCache) startRefresh(key string) bool {
	_, running := c.refreshing.LoadOrStore(key, struct{}{})
	return !running
}

// endRefresh releases the claim of startRefresh.
func (c *linkCache) endRefresh(key string) { c.refreshing.Delete(key) }
