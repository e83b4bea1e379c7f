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
	"money":  formatMoney,
	"amount": formatAmount,
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

// formatMoney writes minor units in their currency's own decimals, with
// the ISO code first: USD 1,234.56, JPY 1,500, KWD 1.250.
func formatMoney(amount int64, currency string) string {
	return strings.ToUpper(currency) + " " + formatAmount(amount, currency)
}

// formatAmount writes minor units in their currency's own decimals,
// without the code: 1,234.56 (USD), 1,500 (JPY).
func formatAmount(amount int64, currency string) string {
	digits := attribution.CurrencyDigits(currency)
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	out := sign + formatCount(amount/unit)
	if digits > 0 {
		frac := strconv.FormatInt(amount%unit, 10)
		out += "." + strings.Repeat("0", digits-len(frac)) + frac
	}
	return out
}
