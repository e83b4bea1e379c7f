package attribution

import (
	"math"
	"math/bits"
)

// MulDiv returns a×b÷c rounded down, for a, b ≥ 0 and c > 0, computed on
// 128 bits so that no int64 amount overflows in between (a 3,000,000,000
// IDR refund of a 6,000,000,000 charge is one of them). A quotient that
// does not fit in an int64 is capped at math.MaxInt64; a refund proportion
// (b ≤ c) never is.
func MulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// AddAmounts adds minor units without overflow: false when the sum does
// not fit in an int64 (sums of bounded amounts never reach it; the check
// turns a corrupted row into a clear error instead of a wrong figure).
func AddAmounts(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// ValidAmount reports whether a is a positive amount Tally accepts, in
// minor units, from any source (Stripe, by hand, the API). The bound keeps
// every sum of a vendor's amounts far from int64 overflow.
func ValidAmount(a int64) bool { return a > 0 && a <= MaxAmount }
