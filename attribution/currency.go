package attribution

// zeroDecimal and threeDecimal are the currencies whose minor unit is not a
// hundredth, as Stripe counts amounts (ISO 4217, with Stripe's exceptions).
var (
	zeroDecimal = map[string]bool{"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true,
		"krw": true, "mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true,
		"xof": true, "xpf": true}
	threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}
)

// CurrencyDigits is the number of decimal digits of currency's minor unit:
// an amount of 1999 is 19.99 USD, 1999 JPY, 1.999 KWD.
func CurrencyDigits(currency string) int {
	switch {
	case zeroDecimal[currency]:
		return 0
	case threeDecimal[currency]:
		return 3
	}
	return 2
}
