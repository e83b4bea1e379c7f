// Package migrations holds the SQL schema, embedded in the binary, and builds
// the bun/migrate migrations of one dialect from it.
//
// A schema change is written once, as a new file in schema/ whose ID (14
// digits, a timestamp) is greater than every existing one:
//
//	schema/ID_NAME.tx.up.sql   run by both dialects
//	pg/ID_NAME.tx.up.sql       run by PostgreSQL only
//	sqlite/ID_NAME.tx.up.sql   run by SQLite only
//
// In every file, the token {{timestamptz}} stands for the timestamp column type:
// TIMESTAMPTZ on PostgreSQL, TIMESTAMP on SQLite. It is the only token; any
// other {{…}} left in a file is an error. The dialect folders are for
// migrations whose SQL really differs: such a migration has one file in pg/ and
// one of the same name in sqlite/, and none in schema/ (files written in the
// older layout, one copy per dialect folder, keep working this way).
//
// bun_migrations records a migration by its ID (the digits before the first
// "_"), so a released migration keeps its ID, and an ID lives in schema/ or in
// the dialect folders, never both. As with bun/migrate, only a *.tx.up.sql
// file runs in a transaction.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"

	"github.com/uptrace/bun/migrate"
)

//go:embed schema pg sqlite
var files embed.FS

// shared is the folder of the migrations every dialect runs.
const shared = "schema"

// timestampTypes is what {{timestamptz}} becomes in each dialect.
var timestampTypes = map[string]string{
	"pg":     "TIMESTAMPTZ",
	"sqlite": "TIMESTAMP",
}

// For returns the migrations of one dialect ("pg" or "sqlite").
func For(dialect string) (*migrate.Migrations, error) {
	return load(files, dialect)
}

// load builds a dialect's migrations from fsys's shared and dialect folders.
func load(fsys fs.FS, dialect string) (*migrate.Migrations, error) {
	sqlFiles, err := render(fsys, dialect)
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sqlFiles); err != nil {
		return nil, fmt.Errorf("discover %s migrations: %w", dialect, err)
	}
	return m, nil
}

// render returns the dialect's migration files, tokens replaced, in one flat
// folder under their own names: bun/migrate reads each migration's name and
// its .tx behaviour from the file name. (fstest.MapFS is the standard
// library's in-memory fs.FS; nothing of package testing comes with it.)
func render(fsys fs.FS, dialect string) (fstest.MapFS, error) {
	timestamp, ok := timestampTypes[dialect]
	if !ok {
		return nil, fmt.Errorf("no migrations for dialect %q", dialect)
	}
	out := fstest.MapFS{}
	folderOf := map[string]string{} // migration ID → the folder it lives in
	fileOf := map[string]string{}   // migration ID and direction → its file
	for _, folder := range []string{shared, dialect} {
		entries, err := fs.ReadDir(fsys, folder)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".sql") {
				continue // e.g. the folder's README
			}
			file := path.Join(folder, name)
			if !strings.HasSuffix(name, ".up.sql") && !strings.HasSuffix(name, ".down.sql") {
				return nil, fmt.Errorf("migration %s: name must end in .up.sql or .down.sql", file)
			}
			id, _, _ := strings.Cut(name, "_")
			if other, ok := folderOf[id]; ok && other != folder {
				return nil, fmt.Errorf("migration %s: ID %s is also in %s/ (an ID lives in schema/ or in the dialect folders, not both)", file, id, other)
			}
			folderOf[id] = folder
			key := id + path.Ext(strings.TrimSuffix(name, ".sql")) // ID.up or ID.down
			if other, ok := fileOf[key]; ok {
				return nil, fmt.Errorf("migrations %s and %s have the same ID %s", other, file, id)
			}
			fileOf[key] = file
			data, err := fs.ReadFile(fsys, file)
			if err != nil {
				return nil, err
			}
			sql := strings.ReplaceAll(string(data), "{{timestamptz}}", timestamp)
			if i := strings.Index(sql, "{{"); i >= 0 {
				token, _, _ := strings.Cut(sql[i:], "}}")
				return nil, fmt.Errorf("migration %s: unknown token %s}}", file, token)
			}
			out[name] = &fstest.MapFile{Data: []byte(sql)}
		}
	}
	return out, nil
}
