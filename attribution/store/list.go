package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// listQuery starts a list of one vendor's objects: newest first (ids are
// time-ordered), after the cursor, one row more than the page to learn
// whether more follow. Callers add their filters and call scanPage.
func listQuery(db bun.IDB, model any, vendorID string, page attribution.Page) *bun.SelectQuery {
	q := db.NewSelect().Model(model).Where("vendor_id = ?", vendorID).OrderExpr("id DESC").Limit(int64(page.Limit) + 1)
	if page.Cursor != "" {
		q = q.Where("id < ?", page.Cursor)
	}
	return q
}

// scanPage runs q into out (the slice q's model points at) and cuts the
// extra row.
func scanPage[T any](ctx context.Context, q *bun.SelectQuery, out *[]T, page attribution.Page) ([]T, bool, error) {
	if err := q.Scan(ctx); err != nil {
		return nil, false, classify(err)
	}
	items := *out
	more := len(items) > page.Limit
	if more {
		items = items[:page.Limit]
	}
	return items, more, nil
}

// findByID reads one of the vendor's objects (a *T model) by id; an id
// without prefix is not found without asking the database.
func findByID[T any](ctx context.Context, db bun.IDB, prefix, what, vendorID, id string) (*T, error) {
	if !attribution.ValidID(prefix, id) {
		return nil, notFound(what)
	}
	out := new(T)
	err := db.NewSelect().Model(out).Where("vendor_id = ? AND id = ?", vendorID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(what)
	}
	return out, classify(err)
}
