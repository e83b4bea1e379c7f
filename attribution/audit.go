package attribution

import (
	"context"
	"encoding/json"
	"time"
)

// Audit actions: every manual override and every change a vendor makes to
// its settings, partners, links and promotion codes writes one entry.
const (
	ActionCustomerCreate      = "customer.create"
	ActionCustomerReassign    = "customer.reassign"
	ActionPurchaseCreate      = "purchase.create"
	ActionRewardCreate        = "reward.create"
	ActionRewardApprove       = "reward.approve"
	ActionRewardDecline       = "reward.decline"
	ActionRewardPay           = "reward.pay"
	ActionVendorUpdate        = "vendor.update"
	ActionPartnerCreate       = "partner.create"
	ActionPartnerUpdate       = "partner.update"
	ActionPartnerApprove      = "partner.approve"
	ActionPartnerReject       = "partner.reject"
	ActionLinkCreate          = "link.create"
	ActionLinkUpdate          = "link.update"
	ActionLinkArchive         = "link.archive"
	ActionPromotionCodeCreate = "promotion_code.create"
)

// Audited object types.
const (
	ObjectCustomer      = "customer"
	ObjectPurchase      = "purchase"
	ObjectReward        = "reward"
	ObjectVendor        = "vendor"
	ObjectPartner       = "partner"
	ObjectLink          = "link"
	ObjectPromotionCode = "promotion_code"
)

// AuditObjectTypes lists the accepted object_type filters of the audit log.
var AuditObjectTypes = []string{ObjectCustomer, ObjectPurchase, ObjectReward, ObjectVendor, ObjectPartner, ObjectLink, ObjectPromotionCode, ObjectStripeEvent, ObjectPayout, ObjectWebhookEndpoint}

// RawJSON is a JSON document kept as text (a TEXT column on both
// databases) and written into answers as is.
type RawJSON string

// MarshalJSON writes the document itself, or null.
func (r RawJSON) MarshalJSON() ([]byte, error) {
	if r == "" || !json.Valid([]byte(r)) {
		return []byte("null"), nil
	}
	return []byte(r), nil
}

// ToRawJSON encodes v; nil becomes null.
func ToRawJSON(v any) RawJSON {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return RawJSON(b)
}

// AuditEntry records one change: who (Actor: the key used, never the
// secret), what, why, and the object before and after (nil before: created).
type AuditEntry struct {
	ID         string    `json:"id" bun:"id,pk"`
	VendorID   string    `json:"vendor_id" bun:"vendor_id"`
	Actor      string    `json:"actor" bun:"actor"`
	Action     string    `json:"action" bun:"action"`
	ObjectType string    `json:"object_type" bun:"object_type"`
	ObjectID   string    `json:"object_id" bun:"object_id"`
	Reason     string    `json:"reason" bun:"reason"`
	Before     RawJSON   `json:"before" bun:"before"`
	After      RawJSON   `json:"after" bun:"after"`
	CreatedAt  time.Time `json:"created_at" bun:"created_at"`
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	ObjectType string
	ObjectID   string
	Actor      string // exact, as written (a user's email, secret_key:sk_abcd…)
	Action     string
	Page       Page
}

// AuditService reads the audit log.
type AuditService interface {
	// ListAudit lists entries newest first.
	ListAudit(ctx context.Context, vendorID string, f AuditFilter) ([]*AuditEntry, bool, error)
}
