package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// giveFirstLink creates, inside the transaction of the change that made p
// active, the link attribution.FirstLink decides p gets at once, audited
// as actor. It reports whether a link was made: the caller then purges
// the link cache after the commit.
func giveFirstLink(ctx context.Context, db bun.IDB, vendorID string, p *attribution.Partner, actor string, now time.Time) (bool, error) {
	v := new(attribution.Vendor)
	if err := db.NewSelect().Model(v).Column("id", "domain").Where("id = ?", vendorID).Scan(ctx); err != nil {
		return false, err
	}
	hasLink, err := db.NewSelect().TableExpr("links").Where("vendor_id = ? AND partner_id = ?", vendorID, p.ID).Exists(ctx)
	if err != nil {
		return false, err
	}
	lc, ok := attribution.FirstLink(v, p, hasLink)
	if !ok {
		return false, nil
	}
	if err := lc.Validate(); err != nil {
		return false, err
	}
	l := &attribution.Link{
		ID: attribution.NewID(attribution.PrefixLink, now), VendorID: vendorID, PartnerID: p.ID,
		DestinationURL: lc.DestinationURL, UTM: lc.UTM, Status: attribution.LinkActive,
		Aliases: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	// A random key is free in all but the rarest case; the key is checked
	// before the insert, so a taken one never aborts the transaction.
	for attempt := 0; ; attempt++ {
		l.Key = attribution.NewLinkKey()
		taken, err := db.NewSelect().TableExpr("link_keys").Where(`"key" = ?`, l.Key).Exists(ctx)
		if err != nil {
			return false, err
		}
		if !taken {
			break
		}
		if attempt == 5 {
			return false, errAlreadyExists
		}
	}
	if _, err := db.NewInsert().Model(l).Exec(ctx); err != nil {
		return false, err
	}
	if err := claimKey(ctx, db, l, now); err != nil {
		return false, err
	}
	return true, audit(ctx, db, vendorID, actor, attribution.ActionLinkCreate, attribution.ObjectLink, l.ID, "", nil, l, now)
}
