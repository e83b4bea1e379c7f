// Package migrations holds the SQL schema, one folder per dialect, embedded
// in the binary.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun/migrate"
)

//go:embed pg/*.sql sqlite/*.sql
var files embed.FS

// For returns the migrations of one dialect ("pg" or "sqlite"). Each dialect
// is discovered from its own folder: discovering the parent would silently
// keep one of two same-named files.
func For(dialect string) (*migrate.Migrations, error) {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("discover %s migrations: %w", dialect, err)
	}
	return m, nil
}
