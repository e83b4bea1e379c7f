package attribution

import "time"

// Clock returns the current time. Services take one so tests control time exactly.
type Clock func() time.Time

// SystemClock is the real clock, truncated to microseconds because both
// databases store times with that precision.
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
