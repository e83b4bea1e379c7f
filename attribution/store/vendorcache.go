package store

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tally-dev/tally/attribution"
)

// vendorCacheTTL bounds how long another instance's vendor change (a new
// Stripe signing secret) may go unseen by the webhook path; changes made
// through this instance purge the cache at once.
const vendorCacheTTL = 5 * time.Second

// vendorCache keeps vendors read by id for the webhook path, where every
// event would otherwise spend a database round trip (and a pooled
// connection, outside its transaction) to read the same row.
type vendorCache struct {
	mu sync.Mutex
	m  map[string]vendorCacheEntry
	// loads makes the requests that find an entry expired share one read:
	// under a webhook storm hundreds would otherwise query at once.
	loads singleflight.Group
}

type vendorCacheEntry struct {
	v       attribution.Vendor
	expires time.Time
}

// FindVendorCached is FindVendor through a short-lived per-instance cache.
func (s *Store) FindVendorCached(ctx context.Context, id string) (*attribution.Vendor, error) {
	c := &s.vendors
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		v := e.v
		return &v, nil
	}
	loaded, err, _ := c.loads.Do(id, func() (any, error) {
		// Shared by every waiter, so one caller's cancellation must not end it.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		v, err := s.FindVendor(lctx, id)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= 10_000 {
			c.m = map[string]vendorCacheEntry{}
		}
		c.m[id] = vendorCacheEntry{v: *v, expires: time.Now().Add(vendorCacheTTL)}
		c.mu.Unlock()
		return *v, nil
	})
	if err != nil {
		return nil, err
	}
	v := loaded.(attribution.Vendor)
	return &v, nil
}

func (c *vendorCache) purge() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
