package store

import (
	"encoding/json"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// The webhook queue's stored payload: versioned, with JSON names fixed by
// tags (attribution.PaymentEvent's), so renaming a Go field never breaks a
// queued row.
//
// Version 1 (no "v" key) was written before this type existed: the
// untagged PaymentEvent of that time, whose client_reference_id was not
// yet verified as a click token. It is still read, and verified by
// Payments.verifyLegacy before it is applied.
const queuedPayloadVersion = 2

type queuedPayload struct {
	Version int                      `json:"v"`
	Event   attribution.PaymentEvent `json:"event"`
}

func encodeQueued(ev attribution.PaymentEvent) ([]byte, error) {
	return json.Marshal(queuedPayload{Version: queuedPayloadVersion, Event: ev})
}

// decodeQueued reads a payload of any version; legacy reports a version 1
// payload, whose token the caller must verify.
func decodeQueued(b []byte) (ev attribution.PaymentEvent, legacy bool, err error) {
	var p queuedPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return ev, false, err
	}
	if p.Version >= 2 {
		return p.Event, false, nil
	}
	var old legacyEvent
	if err := json.Unmarshal(b, &old); err != nil {
		return ev, false, err
	}
	return old.event(), true, nil
}

// legacyEvent is the version 1 payload: PaymentEvent as it was, untagged.
type legacyEvent struct {
	ID, Type, APIVersion string
	Livemode             bool
	Purchase             *struct {
		Ref                                                     string
		LinkOnly                                                bool
		ClientReferenceID, MetadataCustomerID, StripeCustomerID string
		Email                                                   string
		PromotionCodes                                          []string
		InvoiceID, PaymentIntentID, ChargeID                    string
		Amount                                                  int64
		Currency                                                string
		PurchasedAt                                             time.Time
	}
	Refund *struct {
		ChargeID, PaymentIntentID, InvoiceID string
		ChargeAmount, Refunded               int64
	}
	Customer *struct {
		StripeCustomerID, MetadataCustomerID, Email string
	}
}

func (o legacyEvent) event() attribution.PaymentEvent {
	ev := attribution.PaymentEvent{ID: o.ID, Type: o.Type, APIVersion: o.APIVersion, Livemode: o.Livemode}
	if p := o.Purchase; p != nil {
		ev.Purchase = &attribution.PaymentPurchase{
			Ref: p.Ref, LinkOnly: p.LinkOnly, ClientReferenceID: p.ClientReferenceID,
			MetadataCustomerID: p.MetadataCustomerID, StripeCustomerID: p.StripeCustomerID, Email: p.Email,
			PromotionCodes: p.PromotionCodes, InvoiceID: p.InvoiceID, PaymentIntentID: p.PaymentIntentID,
			ChargeID: p.ChargeID, Amount: p.Amount, Currency: p.Currency, PurchasedAt: p.PurchasedAt,
		}
	}
	if r := o.Refund; r != nil {
		ev.Refund = &attribution.PaymentRefund{
			ChargeID: r.ChargeID, PaymentIntentID: r.PaymentIntentID, InvoiceID: r.InvoiceID,
			ChargeAmount: r.ChargeAmount, Refunded: r.Refunded,
		}
	}
	if c := o.Customer; c != nil {
		ev.Customer = &attribution.PaymentCustomer{
			StripeCustomerID: c.StripeCustomerID, MetadataCustomerID: c.MetadataCustomerID, Email: c.Email,
		}
	}
	return ev
}
