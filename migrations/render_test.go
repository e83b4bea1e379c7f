package migrations

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// oldLayout is a copy of the migrations as they were before schema/ existed,
// one full copy per dialect folder.
const oldLayout = "testdata/layout-2026-11-30"

// Every migration of the old layout renders, for its dialect, to exactly the
// SQL it had: databases migrated before and after the move get the same schema.
func TestRender_SameSQLAsTheOldLayout(t *testing.T) {
	for _, dialect := range []string{"pg", "sqlite"} {
		t.Run(dialect, func(t *testing.T) {
			rendered, err := render(files, dialect)
			if err != nil {
				t.Fatal(err)
			}
			old, err := os.ReadDir(path.Join(oldLayout, dialect))
			if err != nil {
				t.Fatal(err)
			}
			if len(old) == 0 {
				t.Fatal("no old migrations to compare with")
			}
			for _, e := range old {
				want, err := os.ReadFile(path.Join(oldLayout, dialect, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				got, ok := rendered[e.Name()]
				if !ok {
					t.Errorf("%s is gone", e.Name())
					continue
				}
				if string(got.Data) != string(want) {
					t.Errorf("%s renders differently from the old layout:\n%s", e.Name(), got.Data)
				}
			}
		})
	}
}

// A shared migration runs everywhere with the dialect's timestamp type; a
// dialect folder adds its own migrations, and a variant pair gives each
// dialect its own SQL under one name.
func TestLoad_SharedAndDialectFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"schema/001_shared.tx.up.sql":  {Data: []byte("CREATE TABLE a (at {{timestamptz}} NOT NULL);\n")},
		"schema/003_plain.up.sql":      {Data: []byte("CREATE TABLE c (x INTEGER);\n")},
		"pg/README.md":                 {Data: []byte("not a migration")},
		"pg/002_variant.tx.up.sql":     {Data: []byte("CREATE INDEX b ON a USING brin (at);\n")},
		"pg/004_pg_only.tx.up.sql":     {Data: []byte("SELECT 1;\n")},
		"sqlite/002_variant.tx.up.sql": {Data: []byte("CREATE INDEX b ON a (at);\n")},
	}
	for dialect, want := range map[string]struct {
		names []string
		sql   map[string]string
	}{
		"pg": {
			names: []string{"001_shared", "002_variant", "003_plain", "004_pg_only"},
			sql: map[string]string{
				"001_shared.tx.up.sql":  "CREATE TABLE a (at TIMESTAMPTZ NOT NULL);\n",
				"002_variant.tx.up.sql": "CREATE INDEX b ON a USING brin (at);\n",
				"003_plain.up.sql":      "CREATE TABLE c (x INTEGER);\n",
			},
		},
		"sqlite": {
			names: []string{"001_shared", "002_variant", "003_plain"},
			sql: map[string]string{
				"001_shared.tx.up.sql":  "CREATE TABLE a (at TIMESTAMP NOT NULL);\n",
				"002_variant.tx.up.sql": "CREATE INDEX b ON a (at);\n",
			},
		},
	} {
		t.Run(dialect, func(t *testing.T) {
			ms, err := load(fsys, dialect)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range ms.Sorted() {
				names = append(names, m.String())
			}
			if !slices.Equal(names, want.names) {
				t.Errorf("migrations = %v, want %v", names, want.names)
			}
			rendered, err := render(fsys, dialect)
			if err != nil {
				t.Fatal(err)
			}
			for name, sql := range want.sql {
				f, ok := rendered[name]
				if !ok {
					t.Errorf("no %s (the file name carries .tx)", name)
				} else if string(f.Data) != sql {
					t.Errorf("%s = %q, want %q", name, f.Data, sql)
				}
			}
		})
	}
}

func TestLoad_Rejects(t *testing.T) {
	readme := &fstest.MapFile{Data: []byte("dialect-only migrations")}
	for _, tc := range []struct {
		name    string
		dialect string
		files   map[string]string
		want    string
	}{
		{"an ID both shared and dialect-only", "pg", map[string]string{
			"schema/001_a.tx.up.sql": "SELECT 1;",
			"pg/001_a.tx.up.sql":     "SELECT 1;",
		}, "ID 001 is also in schema/"},
		{"two files of one ID", "sqlite", map[string]string{
			"schema/001_a.tx.up.sql": "SELECT 1;",
			"schema/001_a.up.sql":    "SELECT 1;",
		}, "have the same ID 001"},
		{"an unknown token", "sqlite", map[string]string{
			"schema/001_a.tx.up.sql": "CREATE TABLE a (at {{timestamp}});",
		}, "unknown token {{timestamp}}"},
		{"a file that would never run", "pg", map[string]string{
			"schema/001_a.tx.sql": "SELECT 1;",
		}, "must end in .up.sql"},
		{"an unknown dialect", "mysql", map[string]string{
			"schema/001_a.tx.up.sql": "SELECT 1;",
		}, `dialect "mysql"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"pg/README.md": readme, "sqlite/README.md": readme}
			for name, sql := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(sql)}
			}
			_, err := load(fsys, tc.dialect)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
