package attribution

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Payout method types: where a partner wants its money.
const (
	PayoutPayPal = "paypal"
	PayoutWise   = "wise"
)

// PayoutMethod is a partner's payout method and address: PayPal with an
// email, or Wise with the recipient's name, IBAN, optional BIC and the
// currency the account receives.
type PayoutMethod struct {
	Type     string `json:"type"`
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	IBAN     string `json:"iban,omitempty"`
	BIC      string `json:"bic,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Validate normalizes and checks m: the fields of its type, and no others.
func (m *PayoutMethod) Validate() error {
	m.Email = NormalizeEmail(m.Email)
	m.Name = strings.TrimSpace(m.Name)
	m.IBAN = NormalizeIBAN(m.IBAN)
	m.BIC = strings.ToUpper(strings.TrimSpace(m.BIC))
	m.Currency = strings.ToLower(strings.TrimSpace(m.Currency))
	switch m.Type {
	case PayoutPayPal:
		if !ValidEmail(m.Email) {
			return Errorf(EINVALID, "payout_method.email must be the partner's PayPal email address.")
		}
		if m.Name != "" || m.IBAN != "" || m.BIC != "" || m.Currency != "" {
			return Errorf(EINVALID, "A paypal payout_method takes only an email.")
		}
	case PayoutWise:
		if err := validateName("payout_method.name", m.Name); err != nil {
			return err
		}
		if !ValidIBAN(m.IBAN) {
			return Errorf(EINVALID, "payout_method.iban is not a valid IBAN (its check digits do not match).")
		}
		if m.BIC != "" && !ValidBIC(m.BIC) {
			return Errorf(EINVALID, "payout_method.bic must be a BIC of 8 or 11 characters, such as DEUTDEFF.")
		}
		if !ValidCurrency(m.Currency) {
			return Errorf(EINVALID, "payout_method.currency must be an ISO 4217 code such as eur.")
		}
		if m.Email != "" {
			return Errorf(EINVALID, "A wise payout_method takes no email: Wise pays the account.")
		}
	default:
		return Errorf(EINVALID, "payout_method.type must be %q or %q.", PayoutPayPal, PayoutWise)
	}
	return nil
}

// Masked returns m as the vendor's screens show it: the IBAN hidden but
// for its last 4 characters. The payout CSV still carries the whole IBAN,
// since the bank needs it.
func (m *PayoutMethod) Masked() *PayoutMethod {
	if m == nil {
		return nil
	}
	c := *m
	if n := len(c.IBAN); n > 4 {
		c.IBAN = strings.Repeat("*", n-4) + c.IBAN[n-4:]
	}
	return &c
}

// NormalizeIBAN removes the spaces people type in an IBAN and upper-cases it.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ValidIBAN checks a normalized IBAN (ISO 13616): a country code, two check
// digits, 11 to 30 letters or digits, and the check digits right: moved to
// the end with letters as numbers (A = 10 … Z = 35), the number is 1
// modulo 97.
func ValidIBAN(iban string) bool {
	if len(iban) < 15 || len(iban) > 34 {
		return false
	}
	for i := 0; i < len(iban); i++ {
		c := iban[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		switch {
		case i < 2 && !letter, i >= 2 && i < 4 && !digit, !letter && !digit:
			return false
		}
	}
	rem := 0
	for _, c := range iban[4:] + iban[:4] {
		if c >= 'A' {
			rem = (rem*100 + int(c-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	return rem == 1
}

// ValidBIC checks a BIC (ISO 9362): 4 letters (bank), 2 letters (country),
// 2 letters or digits (location), and optionally 3 more (branch).
func ValidBIC(bic string) bool {
	if len(bic) != 8 && len(bic) != 11 {
		return false
	}
	for i := 0; i < len(bic); i++ {
		c := bic[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if (i < 6 && !letter) || (!letter && !digit) {
			return false
		}
	}
	return true
}

// NotificationKinds lists the optional emails a partner may turn off, in
// the order screens show them (the others, sign-in links and application
// answers, are always sent; see MailOptional).
var NotificationKinds = []string{MailNewReward, MailPayoutSent}

// Notifications are a partner's choices per optional email kind; a kind
// not set is wanted.
type Notifications map[string]bool

// Wants reports whether the partner wants emails of kind.
func (n Notifications) Wants(kind string) bool {
	want, set := n[kind]
	return !set || want
}

// Full returns every optional kind with the partner's choice, for answers.
func (n Notifications) Full() Notifications {
	out := make(Notifications, len(NotificationKinds))
	for _, k := range NotificationKinds {
		out[k] = n.Wants(k)
	}
	return out
}

// PartnerSettings is what a partner sets for itself: where it is paid, and
// which optional emails it wants.
type PartnerSettings struct {
	PayoutMethod  *PayoutMethod `json:"payout_method"`
	Notifications Notifications `json:"notifications"`
	UpdatedAt     *time.Time    `json:"-"`
}

// PartnerSettingsUpdate is the body of PATCH /v1/partner/me: payout_method
// absent leaves it, null removes it, an object replaces it; notifications
// change the kinds they name.
type PartnerSettingsUpdate struct {
	PayoutMethod  PayoutMethodUpdate `json:"payout_method"`
	Notifications map[string]bool    `json:"notifications"`
}

// Apply validates upd and copies it onto s.
func (upd PartnerSettingsUpdate) Apply(s *PartnerSettings) error {
	if upd.PayoutMethod.Set {
		m := upd.PayoutMethod.Method
		if m != nil {
			c := *m
			if err := c.Validate(); err != nil {
				return err
			}
			m = &c
		}
		s.PayoutMethod = m
	}
	for kind, want := range upd.Notifications {
		if !slices.Contains(NotificationKinds, kind) {
			return Errorf(EINVALID, "notifications: %q is not an optional email; the kinds are %s.", kind, strings.Join(NotificationKinds, ", "))
		}
		if s.Notifications == nil {
			s.Notifications = Notifications{}
		}
		s.Notifications[kind] = want
	}
	return nil
}

// Audited returns s as the audit log keeps it: the IBAN masked.
func (s *PartnerSettings) Audited() *PartnerSettings {
	return &PartnerSettings{PayoutMethod: s.PayoutMethod.Masked(), Notifications: s.Notifications.Full()}
}

// PayoutMethodUpdate is a payout_method field in a PATCH: absent, null or
// an object (see RewardRuleUpdate).
type PayoutMethodUpdate struct {
	Set    bool
	Method *PayoutMethod
}

// UnmarshalJSON decodes null or a payout method, refusing unknown fields.
func (u *PayoutMethodUpdate) UnmarshalJSON(b []byte) error {
	u.Set = true
	if string(bytes.TrimSpace(b)) == "null" {
		u.Method = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	m := new(PayoutMethod)
	if err := dec.Decode(m); err != nil {
		return err
	}
	u.Method = m
	return nil
}

// ActionPartnerSettings audits a partner's change of its own settings.
const ActionPartnerSettings = "partner.settings"
