package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// insertSignupTokens keeps every token signup sg carried, with why each
// did or did not credit it (attribution.SignupTokens). The partner and link
// states are read again for the tokens that verified: a handful of rows in
// the signup's transaction.
func insertSignupTokens(ctx context.Context, db bun.IDB, sg *attribution.Signup, checks []attribution.TokenCheck, winner *attribution.ClickToken) error {
	if len(checks) == 0 {
		return nil
	}
	var partnerIDs, linkIDs []string
	for _, c := range checks {
		if c.Reason == "" {
			partnerIDs = append(partnerIDs, c.Token.PartnerID)
			linkIDs = append(linkIDs, c.Token.LinkID)
		}
	}
	partners, links := map[string]string{}, map[string]string{}
	if len(partnerIDs) > 0 {
		var rows []struct {
			ID     string `bun:"id"`
			Status string `bun:"status"`
		}
		if err := db.NewSelect().TableExpr("partners").Column("id", "status").
			Where("vendor_id = ? AND id IN (?)", sg.VendorID, bun.List(partnerIDs)).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			partners[r.ID] = r.Status
		}
		rows = nil
		if err := db.NewSelect().TableExpr("links").Column("id", "status").
			Where("vendor_id = ? AND id IN (?)", sg.VendorID, bun.List(linkIDs)).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			links[r.ID] = r.Status
		}
	}
	status := func(t attribution.ClickToken) string {
		ps, found := partners[t.PartnerID]
		return attribution.Creditability(found, ps, links[t.LinkID])
	}
	tokens := attribution.SignupTokens(sg.ID, sg.VendorID, checks, status, winner)
	_, err := db.NewInsert().Model(&tokens).Exec(ctx)
	return err
}
