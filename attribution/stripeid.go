package attribution

// ValidStripeCustomerID reports whether s has the shape of a Stripe
// customer id: "cus_" and up to 250 letters and digits.
func ValidStripeCustomerID(s string) bool {
	const prefix = "cus_"
	if len(s) <= len(prefix) || len(s) > 254 || s[:len(prefix)] != prefix {
		return false
	}
	for _, r := range s[len(prefix):] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
