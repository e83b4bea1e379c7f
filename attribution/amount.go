package attribution

import (
	"strconv"
	"strings"
)

// ParseAmount reads an amount as people type it, in currency's units
// ("12.34" USD, "1500" JPY, "1,234.5" USD), into minor units (1234,
// 1500, 123450). Thousands separators are commas; a decimal point may be
// left out; more decimals than the currency has are refused, never
// rounded. The result must be a valid amount (ValidAmount). EINVALID.
func ParseAmount(s, currency string) (int64, error) {
	digits := CurrencyDigits(strings.ToLower(currency))
	n, ok := parseDecimal(s, digits)
	if !ok || !ValidAmount(n) {
		return 0, Errorf(EINVALID, "Amount must be a positive number such as 12.50, with at most %d decimals for %s.",
			digits, strings.ToUpper(currency))
	}
	return n, nil
}

// ParsePercent reads a percentage as people type it ("20", "12.5") into
// basis points (2000, 1250), from 0.01 % to 100 %. EINVALID.
func ParsePercent(s string) (int, error) {
	n, ok := parseDecimal(strings.TrimSuffix(strings.TrimSpace(s), "%"), 2)
	if !ok || n <= 0 || n > 10000 {
		return 0, Errorf(EINVALID, "Percent must be a number from 0.01 to 100, such as 20 or 12.5.")
	}
	return int(n), nil
}

// parseDecimal reads a non-negative decimal number with at most digits
// decimals, as an integer of its smallest unit.
func parseDecimal(s string, digits int) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || len(frac) > digits || (hasPoint && frac == "") || len(whole) > 13 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	return n, err == nil
}
