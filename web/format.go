package web

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/tally-dev/tally/attribution"
)

// funcs are the template functions every page may use.
var funcs = template.FuncMap{
	"asset":  assetURL,
	"num":    formatCount,
	"money":  attribution.FormatMoney,
	"amount": attribution.FormatAmount,
	"upper":  strings.ToUpper,
	"int64":  func(n int) int64 { return int64(n) },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
}

// formatCount writes n with thousands separators: 12,345.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
