package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

func TestCLI_UserCreate(t *testing.T) {
	db := testenv.DatabaseURL(t)
	e := testenv.New(t, func(c *app.Config) { c.DatabaseURL = db })
	t.Setenv("TALLY_DATABASE_URL", db)
	t.Setenv("TALLY_PUBLIC_URL", e.URL())
	v := e.NewVendor(t, "Acme")

	code, out, errOut := runCLI(t, "user", "create", "--vendor", v.ID, "--email", "Vic@Acme.example", "--role", "viewer")
	if code != 0 || errOut != "" {
		t.Fatalf("status %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	var link string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, e.URL()+"/setup/") {
			link = line
		}
	}
	if link == "" || strings.ContainsAny(strings.TrimPrefix(link, e.URL()+"/setup/"), " /") {
		t.Fatalf("no setup link alone on its own line:\n%s", out)
	}

	b := e.NewBrowser(t)
	path := strings.TrimPrefix(link, e.URL())
	if p := b.Submit(t, path, url.Values{"password": {"correct horse battery"}}).Must(t, http.StatusSeeOther); p.Location() != "/dashboard" {
		t.Fatalf("to %q", p.Location())
	}
	if page := b.Get(t, "/dashboard").Must(t, http.StatusOK); !strings.Contains(page.Body, "vic@acme.example (viewer)") {
		t.Errorf("the new viewer's dashboard:\n%s", page.Body)
	}

	for _, tt := range []struct {
		args    []string
		code    int
		message string
	}{
		{[]string{"user"}, 2, "tally: tally user needs the subcommand create\n"},
		{[]string{"user", "create", "--email", "x@acme.example"}, 2, "tally: --vendor and --email are required\n"},
		{[]string{"user", "create", "--vendor", v.ID, "--email", "vic@acme.example"}, 1, "tally: A user with this email exists already.\n"},
		{[]string{"user", "create", "--vendor", v.ID, "--email", "x@acme.example", "--role", "owner"}, 1, "tally: role must be admin or viewer.\n"},
		{[]string{"user", "create", "--vendor", "ven_nope", "--email", "x@acme.example"}, 1, "not found"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.message) {
				t.Fatalf("status %d, want %d\nstderr %q\nwant %q", code, tt.code, errOut, tt.message)
			}
		})
	}
}

func TestServePrintsTheFirstRunLink(t *testing.T) {
	e := testenv.New(t)
	var stdout, logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	if err := printFirstRun(t.Context(), e.App, logger, &stdout); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	link := lines[len(lines)-1]
	if !strings.HasPrefix(link, e.URL()+"/setup/") || !strings.Contains(logs.String(), link) {
		t.Fatalf("stdout %q, log %q: want the link alone on the last line and in the log", stdout.String(), logs.String())
	}
	page := e.NewBrowser(t).Get(t, strings.TrimPrefix(link, e.URL())).Must(t, http.StatusOK)
	if !strings.Contains(page.Body, "Program name") {
		t.Errorf("the printed link does not open the first-run form:\n%s", page.Body)
	}
	e.NewVendor(t, "Acme")
	stdout.Reset()
	if err := printFirstRun(t.Context(), e.App, logger, &stdout); err != nil || stdout.Len() != 0 {
		t.Errorf("with a vendor: %q, %v; want nothing printed", stdout.String(), err)
	}
}

func TestCLI_UserCreateHelp(t *testing.T) {
	code, out, errOut := runCLI(t, "user", "create", "--help")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "Usage: tally user create") || !strings.Contains(out, "-role") {
		t.Fatalf("status %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}
