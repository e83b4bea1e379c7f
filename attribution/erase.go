package attribution

import "context"

// ActionCustomerErase is the audit action of a customer's erasure.
const ActionCustomerErase = "customer.erase"

// ErasedMarker replaces erased text where a value is required.
const ErasedMarker = "erased"

// Erasure is what erasing a customer answers.
type Erasure struct {
	Customer *Customer `json:"customer"`
	// Erased is false when the customer had been erased already (nothing changed).
	Erased    bool `json:"erased"`
	Signups   int  `json:"signups"`   // signups whose visitor facts were erased
	Purchases int  `json:"purchases"` // purchases whose email was erased
}

// ErasureService erases personal data on request (GDPR art. 17) while
// keeping the anonymous amounts accounting needs.
type ErasureService interface {
	// EraseCustomer blanks the customer's email, name and external id, the
	// email on its purchases and the visitor facts of its signups, scrubs
	// them from earlier audit entries, and writes an audit entry without
	// them. Purchases and rewards keep their amounts. Erasing twice changes
	// nothing. ENOTFOUND.
	EraseCustomer(ctx context.Context, vendorID, actor, customerID string) (*Erasure, error)
}
