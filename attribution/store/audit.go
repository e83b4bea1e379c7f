package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Audit reads the audit log; every change writes its entry with audit.
type Audit struct{ core }

var _ attribution.AuditService = (*Audit)(nil)

// audit writes one audit entry inside the override's transaction.
func audit(ctx context.Context, db bun.IDB, vendorID, actor, action, objectType, objectID, reason string, before, after any, now time.Time) error {
	e := &attribution.AuditEntry{
		ID: attribution.NewID(attribution.PrefixAudit, now), VendorID: vendorID, Actor: actor,
		Action: action, ObjectType: objectType, ObjectID: objectID, Reason: reason,
		Before: attribution.ToRawJSON(before), After: attribution.ToRawJSON(after), CreatedAt: now,
	}
	_, err := db.NewInsert().Model(e).Exec(ctx)
	return err
}

// ListAudit lists the vendor's audit entries, newest first.
func (s *Audit) ListAudit(ctx context.Context, vendorID string, f attribution.AuditFilter) ([]*attribution.AuditEntry, bool, error) {
	page := f.Page.Normalize()
	var out []*attribution.AuditEntry
	q := listQuery(s.db, &out, vendorID, page)
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	return scanPage(ctx, q, &out, page)
}
