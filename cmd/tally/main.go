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
	"github.com/tally-dev/tally/attribution/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Tally — affiliate attribution.

Usage:
  tally serve                                  run the server (migrates on start)
  tally migrate                                apply database migrations and exit
  tally vendor create --name NAME [--domain D] create a vendor, print its keys
  tally version                                print the version

Configuration comes from TALLY_* environment variables (see README.md).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tally:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is required")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, stderr)
	case "migrate":
		return migrate(ctx, stdout, stderr)
	case "vendor":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(stderr, usage)
			return errors.New("usage: tally vendor create --name NAME [--domain DOMAIN]")
		}
		return createVendor(ctx, args[2:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "tally", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
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

func serve(ctx context.Context, stderr io.Writer) error {
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
	fs := flag.NewFlagSet("vendor create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the vendor's name (required)")
	domain := fs.String("domain", "", "the vendor's site domain, e.g. example.com")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("--name is required")
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
	nv, err := st.CreateVendor(ctx, *name, *domain)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "id:         %s\nname:       %s\nsecret_key: %s\npublic_key: %s\n\nKeep the secret key safe: it is shown only once.\n",
		nv.Vendor.ID, nv.Vendor.Name, nv.SecretKey, nv.Vendor.PublicKey)
	return nil
}
