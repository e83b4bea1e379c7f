package migrations_test

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
	"github.com/tally-dev/tally/migrations"
)

// released are the migrations existing databases have recorded in
// bun_migrations (by ID) before schema/ existed. They are the contract: each
// keeps its ID and name, and later migrations only come after them.
var released = []string{
	"20261121000001_core",
	"20261121000002_signups",
	"20261121000003_purchases",
	"20261121000004_health",
	"20261121000005_analytics",
	"20261121000006_webhook_queue",
}

func TestFor_KeepsReleasedMigrations(t *testing.T) {
	for _, dialect := range []string{store.Postgres, store.SQLite} {
		t.Run(dialect, func(t *testing.T) {
			ms, err := migrations.For(dialect)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range ms.Sorted() {
				names = append(names, m.String())
			}
			if len(names) < len(released) || !slices.Equal(names[:len(released)], released) {
				t.Fatalf("migrations = %v, want them to start with %v", names, released)
			}
			// A migration merged later is newer than every released one.
			if later := names[len(released):]; len(later) > 0 && later[0] < released[len(released)-1] {
				t.Errorf("migration %s sorts before the released ones", later[0])
			}
		})
	}
}

// A database migrated with the old layout's files has the same schema as one
// migrated with schema/, and the new loader finds nothing of it to apply.
func TestFor_DatabaseOfTheOldLayout(t *testing.T) {
	t.Parallel()
	old := openStore(t)
	dialect := old.Dialect()
	oldMigrations := migrate.NewMigrations()
	if err := oldMigrations.Discover(os.DirFS(path.Join("testdata/layout-2026-11-30", dialect))); err != nil {
		t.Fatal(err)
	}
	migrateWith(t, old.DB(), oldMigrations)

	// A fresh database given the released migrations through the new loader.
	all, err := migrations.For(dialect)
	if err != nil {
		t.Fatal(err)
	}
	releasedOnly := migrate.NewMigrations()
	for _, m := range all.Sorted() {
		if slices.Contains(released, m.String()) {
			releasedOnly.Add(m)
		}
	}
	fresh := openStore(t)
	migrateWith(t, fresh.DB(), releasedOnly)
	if got, want := schemaOf(t, fresh), schemaOf(t, old); !slices.Equal(got, want) {
		t.Fatalf("schema from schema/ differs from the old layout's:\n%s", diff(got, want))
	}

	// Tally opening the old database applies only what came later.
	applied, err := old.Migrate(t.Context())
	if err != nil {
		t.Fatalf("Migrate on the old layout's database: %v", err)
	}
	for _, id := range applied {
		for _, r := range released {
			if strings.HasPrefix(r, id+"_") {
				t.Errorf("Migrate applied %s again", r)
			}
		}
	}
	ms, err := migrations.For(old.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	statuses, err := migrate.NewMigrator(old.DB(), ms).MigrationsWithStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if pending := statuses.Unapplied(); len(pending) > 0 {
		t.Fatalf("%d migrations pending after Migrate: %v", len(pending), pending)
	}
	current := openStore(t)
	if _, err := current.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := schemaOf(t, old), schemaOf(t, current); !slices.Equal(got, want) {
		t.Fatalf("the old layout's database, migrated, differs from a fresh one:\n%s", diff(got, want))
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(testenv.DatabaseURL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// migrateBefore applies the migrations released before the one named
// first (its id), as a database that has not seen it yet would be.
func migrateBefore(t *testing.T, s *store.Store, first string) {
	t.Helper()
	all, err := migrations.For(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	before := migrate.NewMigrations()
	for _, m := range all.Sorted() {
		if m.Name < first {
			before.Add(m)
		}
	}
	m := migrate.NewMigrator(s.DB(), before)
	if err := m.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func migrateWith(t *testing.T, db *bun.DB, ms *migrate.Migrations) {
	t.Helper()
	m := migrate.NewMigrator(db, ms)
	if err := m.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	group, err := m.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(group.Migrations) != len(released) {
		t.Fatalf("applied %d migrations, want %d", len(group.Migrations), len(released))
	}
}

// schemaOf lists every table, column (with type, nullability and default),
// index and constraint of the database, one line each, sorted.
func schemaOf(t *testing.T, s *store.Store) []string {
	t.Helper()
	queries := []string{
		// SQLite keeps each object's CREATE statement, as amended by ALTER TABLE.
		`SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || COALESCE(sql, '') FROM sqlite_master`,
	}
	if s.Dialect() == store.Postgres {
		queries = []string{
			`SELECT 'column ' || table_name || '.' || column_name || ' #' || ordinal_position || ' ' ||
				data_type || ' nullable=' || is_nullable || ' default=' || COALESCE(column_default, '')
			FROM information_schema.columns WHERE table_schema = current_schema()`,
			`SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()`,
			`SELECT 'constraint ' || conrelid::regclass || '.' || conname || ': ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
		}
	}
	var lines []string
	for _, q := range queries {
		var got []string
		if err := s.DB().NewRaw(q).Scan(t.Context(), &got); err != nil {
			t.Fatalf("read schema: %v", err)
		}
		lines = append(lines, got...)
	}
	if len(lines) == 0 {
		t.Fatal("read an empty schema")
	}
	slices.Sort(lines)
	return lines
}

func diff(got, want []string) string {
	var out string
	for _, l := range got {
		if !slices.Contains(want, l) {
			out += fmt.Sprintf("+ %s\n", l)
		}
	}
	for _, l := range want {
		if !slices.Contains(got, l) {
			out += fmt.Sprintf("- %s\n", l)
		}
	}
	return out
}
