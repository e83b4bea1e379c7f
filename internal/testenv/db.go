// Package testenv gives each test a fresh database and a running Tally
// behind the real router. TALLY_TEST_DB selects the database: "sqlite"
// (default) or a PostgreSQL URL whose user may create databases; each test
// then gets its own database, dropped when the test ends.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"
)

// IsPostgres reports whether the suite runs on PostgreSQL.
func IsPostgres() bool {
	v := os.Getenv("TALLY_TEST_DB")
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
}

// DatabaseURL returns the URL of a new, empty database for this test.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("TALLY_TEST_DB")
	if !IsPostgres() {
		return "sqlite:" + filepath.Join(tb.TempDir(), "tally.db")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "tally_test_" + hex.EncodeToString(b)
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("TALLY_TEST_DB: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
