package attribution

import "strings"

// Clip bounds visitor-supplied text to n bytes, as valid UTF-8, before it
// is stored or echoed. NUL bytes are left to the callers: the edges refuse
// them and the click writer strips them.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}
