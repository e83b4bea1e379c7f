package attribution

import (
	"strconv"
	"time"
)

// The columns of the purchase and reward exports (GET /v1/purchases.csv,
// /v1/rewards.csv and the dashboard's CSV links), one definition for both.
var (
	PurchaseCSVHeader = []string{
		"purchase_id", "purchased_at", "source", "customer_id", "customer_external_id", "customer_email",
		"partner_id", "partner_name", "link_key", "utm_source", "utm_medium", "utm_campaign",
		"amount", "currency", "refunded_amount", "status", "reward_id", "reward_amount", "reward_currency",
		"reward_status", "attributed_by", "attribution_reason", "promotion_code",
	}
	RewardCSVHeader = []string{
		"reward_id", "created_at", "partner_id", "partner_name", "partner_email", "kind", "status",
		"amount", "currency", "purchase_id", "customer_id", "reason", "approved_at", "paid_at",
	}
	// NumericCSVColumns are written as numbers; every other column is text
	// and goes through CSVText.
	NumericCSVColumns = map[string]bool{"amount": true, "refunded_amount": true, "reward_amount": true}
)

// CSVRecord is r as a line of PurchaseCSVHeader.
func (r *PurchaseExportRow) CSVRecord() []string {
	reward := ""
	if r.RewardID != "" {
		reward = strconv.FormatInt(r.RewardAmount, 10)
	}
	return []string{
		r.PurchaseID, csvTime(&r.PurchasedAt), r.Source, r.CustomerID, r.CustomerExternalID, r.CustomerEmail,
		r.PartnerID, r.PartnerName, r.LinkKey, r.UTMSource, r.UTMMedium, r.UTMCampaign,
		strconv.FormatInt(r.Amount, 10), r.Currency, strconv.FormatInt(r.RefundedAmount, 10), r.Status,
		r.RewardID, reward, r.RewardCurrency, r.RewardStatus, r.AttributedBy, r.Reason, r.PromotionCode,
	}
}

// CSVRecord is r as a line of RewardCSVHeader.
func (r *RewardExportRow) CSVRecord() []string {
	return []string{
		r.RewardID, csvTime(&r.CreatedAt), r.PartnerID, r.PartnerName, r.PartnerEmail, r.Kind, r.Status,
		strconv.FormatInt(r.Amount, 10), r.Currency, r.PurchaseID, r.CustomerID, r.Reason,
		csvTime(r.ApprovedAt), csvTime(r.PaidAt),
	}
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
