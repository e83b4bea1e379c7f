package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Stripe objects, reduced to the fields Tally reads. Vendors' accounts pin
// many API versions, so every field is optional and fields that are an id
// in one version and an expanded object in another accept both.

// expandable is an id, or an expanded object carrying an id.
type expandable string

func (e *expandable) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0, string(b) == "null":
		*e = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = expandable(s)
	case b[0] == '{':
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*e = expandable(o.ID)
	default:
		*e = ""
	}
	return nil
}

// promoRef is a promotion code: its id, or an expanded object with its code.
type promoRef struct {
	ID   string
	Code string
}

func (p *promoRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0, string(b) == "null":
	case b[0] == '"':
		return json.Unmarshal(b, &p.ID)
	case b[0] == '{':
		var o struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		p.ID, p.Code = o.ID, o.Code
	}
	return nil
}

// discount is an invoice or session discount: an object with a
// promotion_code and a coupon (expanded before 2025-09-30.clover, under
// source.coupon from clover on), or (newer invoices) a bare discount id,
// which names no code.
type discount struct {
	PromotionCode promoRef
	Coupon        string
}

func (d *discount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var o struct {
		PromotionCode promoRef   `json:"promotion_code"`
		Coupon        expandable `json:"coupon"`
		Source        *struct {
			Coupon expandable `json:"coupon"`
		} `json:"source"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	d.PromotionCode, d.Coupon = o.PromotionCode, string(o.Coupon)
	if o.Source != nil && o.Source.Coupon != "" {
		d.Coupon = string(o.Source.Coupon)
	}
	return nil
}

// metadata tolerates non-string values.
type metadata map[string]any

func (m metadata) get(key string) string {
	switch v := m[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case nil:
		return ""
	default:
		return strings.TrimSpace(fmt.Sprint(v))
	}
}

type checkoutSession struct {
	ID                string     `json:"id"`
	Mode              string     `json:"mode"`
	PaymentStatus     string     `json:"payment_status"`
	AmountTotal       int64      `json:"amount_total"`
	Currency          string     `json:"currency"`
	ClientReferenceID string     `json:"client_reference_id"`
	Customer          expandable `json:"customer"`
	CustomerEmail     string     `json:"customer_email"`
	CustomerDetails   *struct {
		Email string `json:"email"`
	} `json:"customer_details"`
	Metadata      metadata   `json:"metadata"`
	PaymentIntent expandable `json:"payment_intent"`
	Invoice       expandable `json:"invoice"`
	Discounts     []discount `json:"discounts"`
}

type subscriptionDetails struct {
	Subscription expandable `json:"subscription"`
	Metadata     metadata   `json:"metadata"`
}

// invoicePayment is one payment of an invoice (API 2025-03-31.basil on):
// the object of invoice_payment.paid, and the items of invoice.payments.
type invoicePayment struct {
	ID         string     `json:"id"`
	Invoice    expandable `json:"invoice"`
	AmountPaid int64      `json:"amount_paid"`
	Currency   string     `json:"currency"`
	Status     string     `json:"status"`
	Payment    struct {
		Type          string     `json:"type"`
		PaymentIntent expandable `json:"payment_intent"`
		Charge        expandable `json:"charge"`
	} `json:"payment"`
}

// refund is a Stripe refund object (refund.created, refund.updated,
// charge.refund.updated).
type refund struct {
	ID            string     `json:"id"`
	Amount        int64      `json:"amount"`
	Currency      string     `json:"currency"`
	Status        string     `json:"status"`
	Charge        expandable `json:"charge"`
	PaymentIntent expandable `json:"payment_intent"`
}

type invoice struct {
	ID                  string               `json:"id"`
	AmountPaid          int64                `json:"amount_paid"`
	Currency            string               `json:"currency"`
	Customer            expandable           `json:"customer"`
	CustomerEmail       string               `json:"customer_email"`
	Metadata            metadata             `json:"metadata"`
	SubscriptionDetails *subscriptionDetails `json:"subscription_details"`
	Parent              *struct {
		SubscriptionDetails *subscriptionDetails `json:"subscription_details"`
	} `json:"parent"`
	Charge        expandable `json:"charge"`         // before 2025-03-31.basil
	PaymentIntent expandable `json:"payment_intent"` // before 2025-03-31.basil
	Subscription  expandable `json:"subscription"`   // before 2025-03-31.basil
	Payments      *struct {
		Data []invoicePayment `json:"data"`
	} `json:"payments"` // 2025-03-31.basil on, when included
	Discount          *discount  `json:"discount"`
	Discounts         []discount `json:"discounts"`
	StatusTransitions *struct {
		PaidAt int64 `json:"paid_at"`
	} `json:"status_transitions"`
}

type charge struct {
	ID             string     `json:"id"`
	Amount         int64      `json:"amount"`
	AmountRefunded int64      `json:"amount_refunded"`
	Currency       string     `json:"currency"`
	PaymentIntent  expandable `json:"payment_intent"`
	Invoice        expandable `json:"invoice"`
}

type customer struct {
	ID       string   `json:"id"`
	Email    string   `json:"email"`
	Metadata metadata `json:"metadata"`
	Deleted  bool     `json:"deleted"`
}

// metadataKey is the metadata key vendors set to their Tally customer id
// (or their own external id).
const metadataKey = "tally_customer_id"

// excludeKey is the metadata key (on the Checkout Session or the
// subscription) that excludes a purchase from sales, with a reason.
const excludeKey = "tally_exclude"
