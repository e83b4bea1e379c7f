package attribution

import (
	"strings"
	"unicode/utf8"
)

// ValidateReason trims and checks the reason every manual override requires.
func ValidateReason(r *string) error {
	*r = strings.TrimSpace(*r)
	if *r == "" {
		return Errorf(EINVALID, "reason is required.")
	}
	return ValidateOptionalReason(r)
}

// ValidateOptionalReason trims a reason that may be left empty (a change of
// settings, a partner or a link) and bounds its length like ValidateReason.
func ValidateOptionalReason(r *string) error {
	*r = strings.TrimSpace(*r)
	if utf8.RuneCountInString(*r) > 1000 {
		return Errorf(EINVALID, "reason is longer than 1000 characters.")
	}
	return nil
}

// ValidateActionReason is the reason rule of a manual reward action:
// declining takes a reason away from a partner, so it needs one; approving
// and marking paid are the normal course and take an optional one.
func ValidateActionReason(action string, r *string) error {
	if action == RewardActionDecline {
		return ValidateReason(r)
	}
	return ValidateOptionalReason(r)
}
