package httpx

// The database cannot store a NUL character (bun refuses to quote one and
// PostgreSQL's text cannot hold it) and PostgreSQL refuses invalid UTF-8:
// such input would fail deep in the store with a 5xx. The edges refuse it
// with a 400 or, in a Stripe event that must not be lost, replace it. Long
// text is bounded by attribution.Clip.

// HasJSONNUL reports whether a JSON document holds a NUL character in a string.
func HasJSONNUL(raw []byte) bool {
	found := false
	jsonNULs(raw, func(int) { found = true })
	return found
}

// ReplaceJSONNUL returns raw with each \u0000 escape replaced by \ufffd
// (the replacement character, as invalid UTF-8 already decodes).
func ReplaceJSONNUL(raw []byte) []byte {
	var out []byte
	jsonNULs(raw, func(i int) {
		if out == nil {
			out = append([]byte(nil), raw...)
		}
		copy(out[i:i+6], `\ufffd`)
	})
	if out == nil {
		return raw
	}
	return out
}

// jsonNULs calls fn with the offset of each \u0000 escape in valid JSON
// (a literal NUL cannot occur there: JSON strings escape control characters).
func jsonNULs(raw []byte, fn func(i int)) {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] == 'u' && i+5 < len(raw) && string(raw[i+2:i+6]) == "0000" {
			fn(i)
		}
		i++ // skip the escaped character, so \\u0000 (a backslash, then text) is not a NUL
	}
}
