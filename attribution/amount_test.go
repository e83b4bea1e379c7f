package attribution_test

import (
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in, currency string
		want         int64 // 0: refused
	}{
		{"12.34", "usd", 1234},
		{"12", "usd", 1200},
		{"12.5", "usd", 1250},
		{" 1,234.56 ", "usd", 123456},
		{"0.01", "usd", 1},
		{"1500", "jpy", 1500},
		{"1500.5", "jpy", 0},
		{"1.250", "kwd", 1250},
		{"12.345", "usd", 0},
		{"12.", "usd", 0},
		{".5", "usd", 0},
		{"-5", "usd", 0},
		{"0", "usd", 0},
		{"0.00", "usd", 0},
		{"1e3", "usd", 0},
		{"", "usd", 0},
		{"ten", "usd", 0},
		{"10000000000", "usd", 1_000_000_000_000},
		{"10000000000.01", "usd", 0},
		{"99999999999999999999", "usd", 0},
	} {
		got, err := attribution.ParseAmount(tc.in, tc.currency)
		if tc.want == 0 {
			if err == nil || attribution.ErrorCode(err) != attribution.EINVALID {
				t.Errorf("ParseAmount(%q, %s) = %d, %v; want EINVALID", tc.in, tc.currency, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", tc.in, tc.currency, got, err, tc.want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int // 0: refused
	}{
		{"20", 2000}, {"12.5", 1250}, {"0.01", 1}, {"100", 10000}, {"20 %", 2000}, {"20%", 2000},
		{"100.01", 0}, {"0", 0}, {"0.001", 0}, {"-5", 0}, {"", 0}, {"twenty", 0},
	} {
		got, err := attribution.ParsePercent(tc.in)
		if tc.want == 0 {
			if attribution.ErrorCode(err) != attribution.EINVALID {
				t.Errorf("ParsePercent(%q) = %d, %v; want EINVALID", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePercent(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
