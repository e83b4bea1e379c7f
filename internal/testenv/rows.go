package testenv

import (
	"context"
	"strings"
	"testing"
)

// TableCounts counts the rows of every table but the migration bookkeeping,
// so a test can show that a refused request wrote nothing anywhere.
func (e *Env) TableCounts(tb testing.TB) map[string]int {
	tb.Helper()
	db := e.App.Store.DB()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if IsPostgres() {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
	}
	var tables []string
	if err := db.NewRaw(q).Scan(context.Background(), &tables); err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	out := map[string]int{}
	for _, t := range tables {
		if strings.HasPrefix(t, "bun_") {
			continue
		}
		n, err := db.NewSelect().TableExpr(t).Count(context.Background())
		if err != nil {
			tb.Fatalf("count %s: %v", t, err)
		}
		out[t] = int(n)
	}
	return out
}
