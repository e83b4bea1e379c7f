package web

import (
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestFormatMoney(t *testing.T) {
	for _, tt := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{123456, "usd", "USD 1,234.56"},
		{5, "eur", "EUR 0.05"},
		{1500, "jpy", "JPY 1,500"},
		{1250, "kwd", "KWD 1.250"},
		{-1999, "usd", "USD -19.99"},
		{0, "gbp", "GBP 0.00"},
		{1_000_000_000_00, "idr", "IDR 1,000,000,000.00"},
	} {
		if got := attribution.FormatMoney(tt.amount, tt.currency); got != tt.want {
			t.Errorf("attribution.FormatMoney(%d, %s) = %q, want %q", tt.amount, tt.currency, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
