package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// runCLI runs one command line and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCLI_Help(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"},
		{"serve", "-h"}, {"serve", "--help"},
		{"migrate", "-h"}, {"migrate", "--help"},
		{"vendor", "-h"}, {"vendor", "--help"},
		{"vendor", "create", "-h"}, {"vendor", "create", "--help"}, {"vendor", "create", "--name", "Acme", "--help"},
		{"version", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != 0 || !strings.HasPrefix(out, "Usage") && !strings.HasPrefix(out, "Tally") || errOut != "" {
				t.Fatalf("status %d\nstdout %q\nstderr %q", code, out, errOut)
			}
		})
	}
	if _, out, _ := runCLI(t, "vendor", "create", "--help"); !strings.Contains(out, "-name") || !strings.Contains(out, "-domain") {
		t.Errorf("vendor create --help lists no flags:\n%s", out)
	}
}

func TestCLI_Errors(t *testing.T) {
	t.Setenv("TALLY_DATABASE_URL", testenv.DatabaseURL(t))
	for _, tt := range []struct {
		args    []string
		code    int
		message string
	}{
		{nil, 2, "tally: a command is required\n"},
		{[]string{"bogus"}, 2, "tally: unknown command \"bogus\"\n"},
		{[]string{"serve", "--port", "1"}, 2, "tally: flag provided but not defined: -port\n"},
		{[]string{"migrate", "now"}, 2, "tally: unexpected argument \"now\"\n"},
		{[]string{"vendor"}, 2, "tally: tally vendor needs the subcommand create\n"},
		{[]string{"vendor", "create"}, 2, "tally: --name is required\n"},
		{[]string{"vendor", "create", "--name", "Acme", "--domain", "not a domain"}, 1, "tally: domain must be a host name such as example.com.\n"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			// The error is the last line; usage may come before it.
			if code != tt.code || !strings.HasSuffix(errOut, tt.message) || strings.Contains(errOut, "code=") {
				t.Fatalf("status %d, want %d\nstderr %q\nwant it to end with %q", code, tt.code, errOut, tt.message)
			}
		})
	}
}

func TestCLI_VendorCreate(t *testing.T) {
	t.Setenv("TALLY_DATABASE_URL", testenv.DatabaseURL(t))
	code, out, errOut := runCLI(t, "vendor", "create", "--name", "Acme", "--domain", "acme.example")
	if code != 0 || errOut != "" || !strings.Contains(out, "name:       Acme\n") || !strings.Contains(out, "secret_key: sk_") {
		t.Fatalf("status %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "migrate"); code != 0 || out != "database is up to date\n" {
		t.Fatalf("migrate after create: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "version"); code != 0 || out != "tally dev\n" {
		t.Fatalf("version: %d %q", code, out)
	}
}
