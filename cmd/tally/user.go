package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution/store"
)

const userUsage = `Usage: tally user create --vendor ven_… --email EMAIL [--role admin|viewer]

Creates a dashboard user of the vendor and prints their one-time setup link
(valid 72 hours, single use) alone on its own line: the user opens it,
chooses a password and is signed in. TALLY_PUBLIC_URL is the link's base.
`

func createUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("user create")
	vendor := fs.String("vendor", "", "the vendor's id, ven_… (required)")
	email := fs.String("email", "", "the user's email (required)")
	role := fs.String("role", "admin", "admin (everything) or viewer (reads only)")
	if err := parseFlags(fs, args, userUsage, stdout, stderr); err != nil {
		return err
	}
	if strings.TrimSpace(*vendor) == "" || strings.TrimSpace(*email) == "" {
		return usageError{"--vendor and --email are required"}
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.DatabaseURL, store.Options{PublicURL: cfg.PublicURL})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	accounts := store.NewAccounts(st.DB(), nil, st.Vendors)
	accounts.SetMail(st.Mail) // a running server's mail worker sends it, or skips it with mail off
	u, token, err := accounts.CreateUser(ctx, strings.TrimSpace(*vendor), *email, *role)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s (%s) for %s. Send them this one-time setup link (valid 72 hours):\n%s/setup/%s\n",
		u.Email, u.Role, u.VendorID, cfg.PublicURL, token)
	return nil
}

// printFirstRun prints, on a database with no program yet, the one-time
// link that creates it: in the log and alone on a line of stdout, as the
// one thing a new user needs after `tally serve`.
func printFirstRun(ctx context.Context, a *app.App, logger *slog.Logger, stdout io.Writer) error {
	url, err := a.FirstRunURL(ctx)
	if err != nil || url == "" {
		return err
	}
	logger.Info("no program yet: open the one-time setup link to create it (valid 72 hours)", "url", url)
	fmt.Fprintf(stdout, "Open this link to create your program and its admin (valid 72 hours, single use):\n%s\n", url)
	return nil
}
