package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns a stored setting, creating it with generate() when absent.
// Concurrent first starts agree on one value: the first insert wins.
func (s *Store) Setting(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	var value string
	err := s.db.NewSelect().Table("settings").Column("value").Where("name = ?", name).Scan(ctx, &value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", classify(err)
	}
	fresh, err := generate()
	if err != nil {
		return "", err
	}
	if _, err := s.db.NewRaw("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, fresh).Exec(ctx); err != nil {
		return "", classify(err)
	}
	err = s.db.NewSelect().Table("settings").Column("value").Where("name = ?", name).Scan(ctx, &value)
	return value, classify(err)
}
