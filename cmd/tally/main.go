// Command tally is the Tally server and its administration commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // vendors' time zones load on hosts without a zoneinfo database

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Tally — affiliate attribution.

Usage:
  tally serve                                  run the server (migrates on start)
  tally migrate                                apply database migrations and exit
  tally vendor create --name NAME [--domain D] create a vendor, print its keys
  tally user create --vendor ID --email E      create a dashboard user, print
        [--role admin|viewer]                  their one-time setup link
  tally version                                print the version

Every command takes --help. Configuration comes from TALLY_* environment
variables (see README.md).
`

// Usage of each subcommand, printed by its --help (flags are listed after).
const (
	serveUsage = `Usage: tally serve

Runs the server on TALLY_ADDR (default :8080) against TALLY_DATABASE_URL
(default sqlite:tally.db), applying migrations on start. On a database with
no program yet, it prints a one-time link that creates the first one.
`
	migrateUsage = `Usage: tally migrate

Applies the database migrations of TALLY_DATABASE_URL and exits.
`
	vendorUsage = `Usage: tally vendor create --name NAME [--domain DOMAIN]

Creates a vendor and prints its id, secret key and public key (the secret
key is shown only once).
`
	versionUsage = `Usage: tally version

Prints the version.
`
)

// usageError is a command line Tally cannot run; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one command line and returns the exit status: 0 (done, or help
// shown), 1 (the command failed) or 2 (the command line is wrong). Errors are
// printed on stderr as plain sentences.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "tally:", ue.msg)
		return 2
	}
	fmt.Fprintln(stderr, "tally:", errorSentence(err))
	return 1
}

// errorSentence is what a person reads of err: the message of a domain
// error (without its code), else the error itself.
func errorSentence(err error) string {
	var e *attribution.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"a command is required"}
	}
	switch args[0] {
	case "serve":
		if err := parseFlags(newFlags("serve"), args[1:], serveUsage, stdout, stderr); err != nil {
			return err
		}
		return serve(ctx, stdout, stderr)
	case "migrate":
		if err := parseFlags(newFlags("migrate"), args[1:], migrateUsage, stdout, stderr); err != nil {
			return err
		}
		return migrate(ctx, stdout, stderr)
	case "vendor":
		if len(args) < 2 || args[1] != "create" {
			if err := parseFlags(newFlags("vendor"), args[1:], vendorUsage, stdout, stderr); err != nil {
				return err
			}
			fmt.Fprint(stderr, vendorUsage)
			return usageError{"tally vendor needs the subcommand create"}
		}
		return createVendor(ctx, args[2:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			if err := parseFlags(newFlags("user"), args[1:], userUsage, stdout, stderr); err != nil {
				return err
			}
			fmt.Fprint(stderr, userUsage)
			return usageError{"tally user needs the subcommand create"}
		}
		return createUser(ctx, args[2:], stdout, stderr)
	case "version", "--version", "-v":
		if err := parseFlags(newFlags("version"), args[1:], versionUsage, stdout, stderr); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "tally", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseFlags prints the usage where it belongs
	return fs
}

// parseFlags parses a subcommand's flags. -h and --help print its usage on
// stdout and return flag.ErrHelp; a wrong flag or a stray argument prints it
// on stderr and is a usage error.
func parseFlags(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, fs, usage)
		return flag.ErrHelp
	case err != nil:
		printUsage(stderr, fs, usage)
		return usageError{err.Error()}
	case fs.NArg() > 0:
		printUsage(stderr, fs, usage)
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func printUsage(w io.Writer, fs *flag.FlagSet, usage string) {
	fmt.Fprint(w, usage)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func newLogger(cfg app.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, stdout, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		// Each redirect leaves ~15 KB of short-lived garbage; a larger heap
		// target halves the collector's CPU on the hot path for a few MB.
		debug.SetGCPercent(200)
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	if err := printFirstRun(ctx, a, logger, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return nil
}

func createVendor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("vendor create")
	name := fs.String("name", "", "the vendor's name (required)")
	domain := fs.String("domain", "", "the vendor's site domain, e.g. example.com")
	if err := parseFlags(fs, args, vendorUsage, stdout, stderr); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageError{"--name is required"}
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	nv, err := st.Vendors.CreateVendor(ctx, *name, *domain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "id:         %s\nname:       %s\nsecret_key: %s\npublic_key: %s\n\nKeep the secret key safe: it is shown only once.\n",
		nv.Vendor.ID, nv.Vendor.Name, nv.SecretKey, nv.Vendor.PublicKey)
	return nil
}
