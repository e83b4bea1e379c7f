package attribution

import (
	"strconv"
	"strings"
)

// FormatMoney writes minor units in their currency's own decimals, with
// the ISO code first and thousands grouped: USD 1,234.56, JPY 1,500,
// KWD 1.250.
func FormatMoney(amount int64, currency string) string {
	return strings.ToUpper(currency) + " " + FormatAmount(amount, currency)
}

// FormatAmount is FormatMoney without the code: 1,234.56 (USD), 1,500 (JPY).
func FormatAmount(amount int64, currency string) string {
	digits := CurrencyDigits(currency)
	sign := ""
	if amount < 0 {
		sign = "-"
	}
	// Work on the magnitude as unsigned: -MinInt64 does not fit an int64.
	mag := uint64(amount)
	if amount < 0 {
		mag = -mag
	}
	unit := uint64(1)
	for range digits {
		unit *= 10
	}
	whole := strconv.FormatUint(mag/unit, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := sign + b.String()
	if digits > 0 {
		frac := strconv.FormatUint(mag%unit, 10)
		out += "." + strings.Repeat("0", digits-len(frac)) + frac
	}
	return out
}
