package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun/migrate"

	"github.com/tally-dev/tally/migrations"
)

// migrationLockID is the PostgreSQL advisory lock that serializes migrations
// when several instances start at once.
const migrationLockID = 7283519

// Migrate applies pending migrations, then creates the clicks partitions
// of the months ahead (EnsureClickPartitions). It refuses a database whose schema is
// ahead of this binary, which would otherwise run with a schema it does not know.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := migrations.For(string(s.dialect))
	if err != nil {
		return nil, err
	}
	_, release, err := s.dialect.sessionLock(ctx, s.db, migrationLockID, false)
	if err != nil {
		return nil, err
	}
	defer release()
	m := migrate.NewMigrator(s.db, ms)
	if err := m.Init(ctx); err != nil {
		return nil, classify(err)
	}
	if err := refuseNewerSchema(ctx, m); err != nil {
		return nil, err
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	for _, mig := range group.Migrations {
		applied = append(applied, mig.Name)
	}
	// The months ahead get their clicks partition at every start.
	return applied, s.EnsureClickPartitions(ctx)
}

func refuseNewerSchema(ctx context.Context, m *migrate.Migrator) error {
	unknown, err := m.MissingMigrations(ctx)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "no such table") {
			return nil
		}
		return classify(err)
	}
	if len(unknown) > 0 {
		var names []string
		for _, u := range unknown {
			names = append(names, u.Name)
		}
		return fmt.Errorf("database schema is newer than this binary (unknown migrations: %s): run a newer tally", strings.Join(names, ", "))
	}
	return nil
}
