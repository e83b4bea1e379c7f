package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
	"github.com/tally-dev/tally/migrations"
)

func TestMigrate_Twice(t *testing.T) {
	t.Parallel()
	s, url := openStore(t) // migrated once
	applied, err := s.Migrate(t.Context())
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("second Migrate applied %v", applied)
	}
	assertNothingPending(t, s)
	// A second process on the same database sees it up to date too.
	s2, err := store.Open(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if applied, err := s2.Migrate(t.Context()); err != nil || len(applied) != 0 {
		t.Fatalf("Migrate from another store = %v, %v", applied, err)
	}
	for _, table := range []string{"vendors", "partners", "links", "clicks", "settings"} {
		if _, err := s.DB().NewSelect().Table(table).Count(t.Context()); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

func TestMigrate_FreshDatabaseReports(t *testing.T) {
	t.Parallel()
	s, err := store.Open(testenv.DatabaseURL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations.For(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(ms.Sorted()) {
		t.Fatalf("Migrate on an empty database applied %d migrations, want all %d: %v", len(applied), len(ms.Sorted()), applied)
	}
	assertNothingPending(t, s)
}

// assertNothingPending fails when a migration this binary knows is not applied.
func assertNothingPending(t *testing.T, s *store.Store) {
	t.Helper()
	ms, err := migrations.For(s.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrate.NewMigrator(s.DB(), ms).MigrationsWithStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if pending := all.Unapplied(); len(pending) > 0 {
		t.Fatalf("%d migrations pending after Migrate: %v", len(pending), pending)
	}
}

func TestMigrate_RefusesNewerSchema(t *testing.T) {
	t.Parallel()
	s, url := openStore(t)
	future := &migrate.Migration{Name: "29991231000000_from_the_future", GroupID: 99, MigratedAt: time.Now()}
	if _, err := s.DB().NewInsert().Model(future).ModelTableExpr("bun_migrations").Exec(t.Context()); err != nil {
		t.Fatalf("insert unknown migration: %v", err)
	}
	s2, err := store.Open(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_, err = s2.Migrate(t.Context())
	if err == nil {
		t.Fatal("a database with an unknown migration was accepted")
	}
	if !strings.Contains(err.Error(), "newer than this binary") || !strings.Contains(err.Error(), "29991231000000_from_the_future") {
		t.Errorf("error = %v, want it to say the schema is newer and name the migration", err)
	}
}
