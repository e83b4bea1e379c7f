package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Exports streams the CSV exports.
type Exports struct{ core }

var _ attribution.ExportService = (*Exports)(nil)

// ExportPurchases streams the vendor's purchases, oldest first, with their
// customer, partner, link, click UTM and purchase reward.
func (s *Exports) ExportPurchases(ctx context.Context, vendorID string, f attribution.ExportFilter, fn func(*attribution.PurchaseExportRow) error) error {
	q := s.db.NewSelect().TableExpr("purchases AS p").
		ColumnExpr("p.id AS purchase_id, p.purchased_at, p.source, p.customer_id").
		ColumnExpr("COALESCE(c.external_id, '') AS customer_external_id").
		ColumnExpr("CASE WHEN p.email <> '' THEN p.email ELSE COALESCE(c.email, '') END AS customer_email").
		ColumnExpr("p.partner_id, COALESCE(pa.name, '') AS partner_name, COALESCE(l.\"key\", '') AS link_key").
		ColumnExpr("COALESCE(ck.utm_source, '') AS utm_source, COALESCE(ck.utm_medium, '') AS utm_medium, COALESCE(ck.utm_campaign, '') AS utm_campaign").
		ColumnExpr("p.amount, p.currency, p.refunded_amount, p.status").
		ColumnExpr("COALESCE(r.id, '') AS reward_id, COALESCE(r.amount, 0) AS reward_amount, COALESCE(r.currency, '') AS reward_currency, COALESCE(r.status, '') AS reward_status").
		ColumnExpr("p.attributed_by, p.reason, p.promotion_code").
		Join("LEFT JOIN customers AS c ON c.id = p.customer_id AND c.vendor_id = p.vendor_id").
		Join("LEFT JOIN partners AS pa ON pa.id = p.partner_id AND pa.vendor_id = p.vendor_id").
		Join("LEFT JOIN links AS l ON l.id = p.link_id AND l.vendor_id = p.vendor_id").
		Join("LEFT JOIN clicks AS ck ON ck.id = p.click_id AND ck.vendor_id = p.vendor_id").
		Join("LEFT JOIN rewards AS r ON r.purchase_id = p.id AND r.kind = ?", attribution.RewardKindPurchase).
		Where("p.vendor_id = ?", vendorID).
		OrderExpr("p.purchased_at ASC, p.id ASC")
	q = exportFilter(q, f, "p.purchased_at", "p.partner_id")
	return streamRows(ctx, s.db, q, fn)
}

// ExportRewards streams the vendor's rewards, oldest first, for payouts.
func (s *Exports) ExportRewards(ctx context.Context, vendorID string, f attribution.ExportFilter, fn func(*attribution.RewardExportRow) error) error {
	now := s.now()
	q := s.db.NewSelect().TableExpr("rewards AS r").
		ColumnExpr("r.id AS reward_id, r.created_at, r.partner_id, COALESCE(pa.name, '') AS partner_name, COALESCE(pa.email, '') AS partner_email").
		ColumnExpr("r.kind, "+effectiveStatus("r.")+" AS status, r.amount, r.currency, r.purchase_id, r.customer_id, r.reason", now).
		ColumnExpr("COALESCE(r.approved_at, CASE WHEN "+effectiveStatus("r.")+" = 'approved' THEN r.hold_until END) AS approved_at, r.paid_at", now).
		Join("LEFT JOIN partners AS pa ON pa.id = r.partner_id").
		Where("r.vendor_id = ?", vendorID).
		OrderExpr("r.id ASC")
	q = exportFilter(q, f, "r.created_at", "r.partner_id")
	if f.Status != "" {
		q = q.Where(effectiveStatus("r.")+" = ?", now, f.Status)
	}
	return streamRows(ctx, s.db, q, fn)
}

// streamRows runs q and hands each row to fn, one at a time, from the cursor.
func streamRows[T any](ctx context.Context, db *bun.DB, q *bun.SelectQuery, fn func(*T) error) error {
	rows, err := q.Rows(ctx)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		row := new(T)
		if err := db.ScanRow(ctx, rows, row); err != nil {
			return classify(err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// exportFilter applies an export's time range (start inclusive, end
// exclusive, on timeCol) and partner to q.
func exportFilter(q *bun.SelectQuery, f attribution.ExportFilter, timeCol, partnerCol string) *bun.SelectQuery {
	if !f.Start.IsZero() {
		q = q.Where("? >= ?", bun.Safe(timeCol), f.Start)
	}
	if !f.End.IsZero() {
		q = q.Where("? < ?", bun.Safe(timeCol), f.End)
	}
	if f.PartnerID != "" {
		q = q.Where("? = ?", bun.Safe(partnerCol), f.PartnerID)
	}
	return q
}
