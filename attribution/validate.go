package attribution

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"
)

const maxNameLen = 200

func validateName(field, name string) error {
	if name == "" {
		return Errorf(EINVALID, "%s is required.", field)
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		return Errorf(EINVALID, "%s is longer than %d characters.", field, maxNameLen)
	}
	return nil
}

// validateCustomerIdentity normalizes and checks what identifies a customer
// (email and external id, at least one) and its optional name: one rule for
// every way a customer is reported or created.
func validateCustomerIdentity(email, externalID, name *string) error {
	*email = NormalizeEmail(*email)
	*externalID = strings.TrimSpace(*externalID)
	*name = strings.TrimSpace(*name)
	if *email == "" && *externalID == "" {
		return Errorf(EINVALID, "email or external_id is required.")
	}
	if *email != "" && !ValidEmail(*email) {
		return Errorf(EINVALID, "email must be a valid email address.")
	}
	if utf8.RuneCountInString(*externalID) > maxExternalIDLen {
		return Errorf(EINVALID, "external_id is longer than %d characters.", maxExternalIDLen)
	}
	if utf8.RuneCountInString(*name) > maxNameLen {
		return Errorf(EINVALID, "name is longer than %d characters.", maxNameLen)
	}
	return nil
}

const maxExternalIDLen = 200

// NormalizeEmail trims and lower-cases an address; "" stays "".
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// ValidHostname reports whether s is a DNS host name (letters, digits,
// hyphens, dots; at least one dot or "localhost").
func ValidHostname(s string) bool {
	if s == "localhost" {
		return true
	}
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// ValidateHTTPURL refuses anything but an absolute http(s) URL with a host:
// javascript:, data: and relative URLs would make Tally an open redirect or
// an XSS vector.
func ValidateHTTPURL(field, s string) error {
	if len(s) > 2048 {
		return Errorf(EINVALID, "%s is longer than 2048 characters.", field)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return Errorf(EINVALID, "%s must be an absolute http or https URL.", field)
	}
	if u.User != nil {
		return Errorf(EINVALID, "%s must not contain a user name or password.", field)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return Errorf(EINVALID, "%s must not contain white space.", field)
	}
	return nil
}
