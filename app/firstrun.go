package app

import (
	"context"

	"github.com/tally-dev/tally/attribution"
)

// FirstRunURL returns a new one-time link that creates the first program
// and its admin, while the database has no vendor; "" once one exists.
func (a *App) FirstRunURL(ctx context.Context) (string, error) {
	token, err := a.Accounts.FirstRunLink(ctx)
	if err != nil || token == "" {
		return "", err
	}
	return a.SetupURL(token), nil
}

// SetupURL is the address of the one-time link of token.
func (a *App) SetupURL(token string) string { return a.Config.PublicURL + attribution.SetupPath(token) }
