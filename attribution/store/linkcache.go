package store

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/tally-dev/tally/attribution"
)

// linkCache keeps resolved redirect targets (and unknown keys) in memory.
// Changes made through this process purge it at once; changes made by another
// instance are seen within ttl and one background lookup (Links.ResolveLink).
type linkCache struct {
	ttl   time.Duration
	fresh *expirable.LRU[string, cachedTarget]
	// lastGood keeps every known key's latest target past ttl (bounded, no
	// expiry): while the database is down a redirect is better served from
	// what was known than refused.
	lastGood *expirable.LRU[string, *attribution.RedirectTarget]

	mu  sync.Mutex // orders put against purge
	gen uint64

	refreshing sync.Map // keys being looked up again in the background
	// refreshSlots bounds the background lookups running at once, so that
	// a burst of them never takes the database connections the click
	// writer and the requests need.
	refreshSlots chan struct{}
}

// cachedTarget is a fresh entry: its target (nil: the key is unknown) and
// when a use starts refreshing it ahead of its expiry.
type cachedTarget struct {
	target    *attribution.RedirectTarget
	refreshAt time.Time
}

// maxRefreshes is how many background lookups run at once.
const maxRefreshes = 4

func newLinkCache(ttl time.Duration, max int) *linkCache {
	return &linkCache{
		ttl:          ttl,
		fresh:        expirable.NewLRU[string, cachedTarget](max, nil, ttl),
		lastGood:     expirable.NewLRU[string, *attribution.RedirectTarget](max, nil, 0),
		refreshSlots: make(chan struct{}, maxRefreshes),
	}
}

// get returns the cached target (nil for a key cached as unknown), whether
// the key is cached and fresh, and whether it is due for a refresh ahead.
func (c *linkCache) get(key string) (t *attribution.RedirectTarget, ok, due bool) {
	v, ok := c.fresh.Get(key)
	return v.target, ok, ok && !time.Now().Before(v.refreshAt)
}

// refreshAt is when an entry put at now is due for a refresh: at a random
// point of the second half of its TTL. Links loaded together (a program's,
// or a busy instance's after a restart) then stop expiring together, so
// their lookups spread instead of coming as one burst every TTL.
func (c *linkCache) refreshAt(now time.Time) time.Time {
	half := c.ttl / 2
	if half <= 0 {
		return now
	}
	return now.Add(half + rand.N(half))
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
	c.fresh.Add(key, cachedTarget{target: t, refreshAt: c.refreshAt(time.Now())})
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
