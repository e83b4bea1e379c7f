package store

import (
	"context"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/tally-dev/tally/attribution"
)

// vendorCacheTTL bounds how long another instance's vendor change (a new
// Stripe signing secret) may go unseen by the webhook path; changes made
// through this instance purge the cache at once.
const vendorCacheTTL = 5 * time.Second

// vendorCacheSize bounds the vendors kept; the least recently used go first.
const vendorCacheSize = 10_000

// vendorCache keeps vendors read by id for the webhook path, where every
// event would otherwise spend a database round trip (and a pooled
// connection, outside its transaction) to read the same row.
type vendorCache struct {
	vendors *expirable.LRU[string, attribution.Vendor]
	// loads makes the requests that find an entry expired share one read:
	// under a webhook storm hundreds would otherwise query at once.
	loads singleflight.Group
}

func newVendorCache() *vendorCache {
	return &vendorCache{vendors: expirable.NewLRU[string, attribution.Vendor](vendorCacheSize, nil, vendorCacheTTL)}
}

// FindVendorCached is FindVendor through a short-lived per-instance cache.
func (s *Vendors) FindVendorCached(ctx context.Context, id string) (*attribution.Vendor, error) {
	c := s.cache
	if v, ok := c.vendors.Get(id); ok {
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
		c.vendors.Add(id, *v)
		return *v, nil
	})
	if err != nil {
		return nil, err
	}
	v := loaded.(attribution.Vendor)
	return &v, nil
}

func (c *vendorCache) purge() { c.vendors.Purge() }
