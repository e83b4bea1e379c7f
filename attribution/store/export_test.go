package store

import "time"

// The two PostgreSQL statements of a click batch, for BenchmarkClickStatements.
var (
	InsertNewClicks = insertNewClicks
	CopyClicks      = copyClicks
)

// MakeLinkDue makes key's cached entry due for a refresh ahead of its
// expiry, as if it were used late in its TTL; false when it is not cached.
func (s *Links) MakeLinkDue(key string) bool {
	v, ok := s.cache.fresh.Peek(key)
	if !ok {
		return false
	}
	v.refreshAt = time.Now().Add(-time.Second)
	s.cache.fresh.Add(key, v)
	return true
}
