package store

import (
	"context"
	"strings"

	"github.com/tally-dev/tally/attribution"
)

// Clicks writes the clicks the click writer (package ingest) gathers.
type Clicks struct{ core }

// InsertClicks writes clicks in one statement; ids already present are
// skipped, so a batch retried after an ambiguous failure never duplicates
// (nor do its link.clicked events, whose ids are the clicks').
// NUL bytes are removed from the clicks' text first: neither database
// takes them in a statement, and one must not hold back its whole batch
// forever.
func (s *Clicks) InsertClicks(ctx context.Context, clicks []*attribution.Click) error {
	if len(clicks) == 0 {
		return nil
	}
	for _, c := range clicks {
		stripNUL(c)
	}
	late := lateHours(clicks, s.now()) // rolled up again (rollup_late.go)
	if err := classify(noteLateHours(ctx, s.db, late)); err != nil {
		return err
	}
	if err := classify(s.dialect.insertClicks(ctx, s.db, clicks)); err != nil {
		return err
	}
	if err := classify(noteLateHours(ctx, s.db, late)); err != nil {
		return err
	}
	return classify(s.emitClicks(ctx, clicks)) // link.clicked, for the endpoints that ask
}

// stripNUL removes NUL bytes from every text field of c.
func stripNUL(c *attribution.Click) {
	for _, f := range [...]*string{&c.ID, &c.VendorID, &c.LinkID, &c.PartnerID, &c.IPTrunc, &c.IPHash,
		&c.VisitorHash, &c.Browser, &c.OS, &c.Device, &c.ReferrerHost, &c.Source, &c.UTMSource,
		&c.UTMMedium, &c.UTMCampaign, &c.UTMContent, &c.UTMTerm, &c.Variant, &c.Country} {
		if strings.IndexByte(*f, 0) >= 0 {
			*f = strings.ReplaceAll(*f, "\x00", "")
		}
	}
}
