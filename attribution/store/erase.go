package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Erasure erases customers' personal data on request.
type Erasure struct{ core }

var _ attribution.ErasureService = (*Erasure)(nil)

// EraseCustomer erases a customer's personal data in one transaction. The
// customer row stays (its id ties purchases and rewards together) with
// email and external id blank and the name "erased"; purchases lose their
// email (also unmatched ones that carried it), signups their truncated IP
// and visitor hash. Earlier audit entries about the customer, its
// purchases and rewards are scrubbed of the erased values, and so are the
// stored payloads of outbound webhook events about them (GET /v1/events
// shows them; a delivery still pending sends the scrubbed one). The
// erasure's own entry records only which fields were erased. A second
// erasure finds its audit entry and changes nothing.
func (s *Erasure) EraseCustomer(ctx context.Context, vendorID, actor, customerID string) (*attribution.Erasure, error) {
	now := s.now()
	out := &attribution.Erasure{}
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Lock the row first (PostgreSQL; SQLite transactions are
		// serialized): a concurrent erasure then waits and sees this one's
		// audit entry.
		if _, err := tx.NewUpdate().TableExpr("customers").Set("updated_at = updated_at").
			Where("vendor_id = ? AND id = ?", vendorID, customerID).Exec(ctx); err != nil {
			return err
		}
		c, err := findCustomerByID(ctx, tx, vendorID, customerID)
		if err != nil {
			return err
		}
		out.Customer = c
		done, err := tx.NewSelect().Model((*attribution.AuditEntry)(nil)).
			Where("vendor_id = ? AND object_type = ? AND object_id = ? AND action = ?",
				vendorID, attribution.ObjectCustomer, c.ID, attribution.ActionCustomerErase).Exists(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		erased := eraseValues{email: c.Email, name: c.Name, externalID: c.ExternalID}

		var purchaseIDs []string
		if err := tx.NewSelect().Model((*attribution.Purchase)(nil)).Column("id").
			Where("vendor_id = ? AND customer_id = ?", vendorID, c.ID).Scan(ctx, &purchaseIDs); err != nil {
			return err
		}
		var rewardIDs []string
		if err := tx.NewSelect().Model((*attribution.Reward)(nil)).Column("id").
			Where("vendor_id = ? AND customer_id = ?", vendorID, c.ID).Scan(ctx, &rewardIDs); err != nil {
			return err
		}
		// Purchases that matched no customer but carried the email lose it too.
		var unmatchedIDs []string
		if erased.email != "" {
			if err := tx.NewSelect().Model((*attribution.Purchase)(nil)).Column("id").
				Where("vendor_id = ? AND customer_id = '' AND email = ?", vendorID, erased.email).Scan(ctx, &unmatchedIDs); err != nil {
				return err
			}
		}

		c.Email, c.ExternalID, c.Name, c.UpdatedAt = "", "", attribution.ErasedMarker, now
		if _, err := tx.NewUpdate().Model(c).Column("email", "external_id", "name", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*attribution.Signup)(nil)).Set("ip_trunc = ''").Set("visitor_hash = ''").
			Where("vendor_id = ? AND customer_id = ?", vendorID, c.ID).Exec(ctx)
		if err != nil {
			return err
		}
		out.Signups = eraseRowsAffected(res)
		q := tx.NewUpdate().Model((*attribution.Purchase)(nil)).Set("email = ''").Set("updated_at = ?", now).
			Where("vendor_id = ?", vendorID)
		if erased.email != "" {
			q = q.Where("(customer_id = ? OR (customer_id = '' AND email = ?))", c.ID, erased.email)
		} else {
			q = q.Where("customer_id = ?", c.ID)
		}
		res, err = q.Where("email <> ''").Exec(ctx)
		if err != nil {
			return err
		}
		out.Purchases = eraseRowsAffected(res)
		if err := scrubAudit(ctx, tx, vendorID, c.ID, purchaseIDs, rewardIDs, erased); err != nil {
			return err
		}
		objectIDs := slices.Concat([]string{c.ID}, purchaseIDs, unmatchedIDs, rewardIDs)
		events, err := scrubWebhookEvents(ctx, tx, vendorID, objectIDs, erased)
		if err != nil {
			return err
		}
		out.Erased = true
		after := map[string]any{
			"erased_fields": []string{"email", "name", "external_id", "purchases.email", "signups.ip_trunc", "signups.visitor_hash", "webhook_events.payload"},
			"signups":       out.Signups, "purchases": out.Purchases, "webhook_events": events,
		}
		return audit(ctx, tx, vendorID, actor, attribution.ActionCustomerErase, attribution.ObjectCustomer, c.ID,
			"Personal data erased on request", nil, after, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type eraseValues struct{ email, name, externalID string }

// replacer turns "field":"value" into "field":"" in JSON written by
// encoding/json (no spaces), for each erased non-empty value.
func (e eraseValues) replacer() *strings.Replacer {
	var pairs []string
	for _, f := range [][2]string{{"email", e.email}, {"name", e.name}, {"external_id", e.externalID}} {
		if f[1] == "" {
			continue
		}
		v, _ := json.Marshal(f[1])
		pairs = append(pairs, `"`+f[0]+`":`+string(v), `"`+f[0]+`":""`)
	}
	if len(pairs) == 0 {
		return nil
	}
	return strings.NewReplacer(pairs...)
}

// scrubAudit removes the erased values from the before/after documents of
// the audit entries about the customer, its purchases and its rewards.
func scrubAudit(ctx context.Context, db bun.IDB, vendorID, customerID string, purchaseIDs, rewardIDs []string, e eraseValues) error {
	r := e.replacer()
	if r == nil {
		return nil
	}
	var entries []*attribution.AuditEntry
	q := db.NewSelect().Model(&entries).Where("vendor_id = ?", vendorID).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("object_type = ? AND object_id = ?", attribution.ObjectCustomer, customerID)
		if len(purchaseIDs) > 0 {
			q = q.WhereOr("object_type = ? AND object_id IN (?)", attribution.ObjectPurchase, bun.List(purchaseIDs))
		}
		if len(rewardIDs) > 0 {
			q = q.WhereOr("object_type = ? AND object_id IN (?)", attribution.ObjectReward, bun.List(rewardIDs))
		}
		return q
	})
	if err := q.Scan(ctx); err != nil {
		return err
	}
	for _, a := range entries {
		before, after := attribution.RawJSON(r.Replace(string(a.Before))), attribution.RawJSON(r.Replace(string(a.After)))
		if before == a.Before && after == a.After {
			continue
		}
		if _, err := db.NewUpdate().Model((*attribution.AuditEntry)(nil)).Set(`"before" = ?`, string(before)).Set(`"after" = ?`, string(after)).
			Where("vendor_id = ? AND id = ?", vendorID, a.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// scrubWebhookEvents removes the erased values from the payloads of the
// vendor's outbound webhook events that name one of objectIDs (the
// customer, its purchases and rewards), and returns how many it changed.
func scrubWebhookEvents(ctx context.Context, db bun.IDB, vendorID string, objectIDs []string, e eraseValues) (int, error) {
	r := e.replacer()
	if r == nil {
		return 0, nil
	}
	changed := 0
	for ids := range slices.Chunk(objectIDs, 100) {
		var events []*eventRow
		q := db.NewSelect().Model(&events).Column("id", "payload").Where("vendor_id = ?", vendorID).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				for _, id := range ids {
					// An id appears as a JSON string: "id":"cus_…", "customer_id":"cus_…".
					q = q.WhereOr("payload LIKE ? ESCAPE '!'", "%"+likeEscaper.Replace(`"`+id+`"`)+"%")
				}
				return q
			})
		if err := q.Scan(ctx); err != nil {
			return changed, err
		}
		for _, ev := range events {
			payload := r.Replace(ev.Payload)
			if payload == ev.Payload {
				continue
			}
			if _, err := db.NewUpdate().Model((*eventRow)(nil)).Set("payload = ?", payload).
				Where("vendor_id = ? AND id = ?", vendorID, ev.ID).Exec(ctx); err != nil {
				return changed, err
			}
			changed++
		}
	}
	return changed, nil
}

// likeEscaper escapes a LIKE pattern's wildcards for ESCAPE '!'.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

func eraseRowsAffected(res interface{ RowsAffected() (int64, error) }) int {
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return int(n)
}
