package store

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// settleProgramSlug checks, inside a vendor update's transaction, the slug
// of v's program page: a page turned on without a slug gets the first free
// one derived from the name (attribution.ProgramSlugFrom); a slug another
// vendor has is ECONFLICT. The unique index settles races.
func settleProgramSlug(ctx context.Context, tx bun.Tx, v *attribution.Vendor, before attribution.ProgramPage) error {
	pp := &v.ProgramPage
	if pp.Slug == "" && pp.Enabled {
		base := attribution.ProgramSlugFrom(v.Name)
		for n := 1; ; n++ {
			slug := attribution.ProgramSlugCandidate(base, n)
			taken, err := slugTaken(ctx, tx, v.ID, slug)
			if err != nil {
				return err
			}
			if !taken {
				pp.Slug = slug
				return nil
			}
			if n == 1000 {
				return attribution.Errorf(attribution.ECONFLICT, "No free address derived from the program name: choose a slug.")
			}
		}
	}
	if pp.Slug == "" || pp.Slug == before.Slug {
		return nil
	}
	taken, err := slugTaken(ctx, tx, v.ID, pp.Slug)
	if err != nil {
		return err
	}
	if taken {
		return errSlugTaken(pp.Slug)
	}
	return nil
}

func errSlugTaken(slug string) error {
	return attribution.Errorf(attribution.ECONFLICT, "The program page address %q is taken: choose another slug.", slug)
}

func slugTaken(ctx context.Context, tx bun.Tx, vendorID, slug string) (bool, error) {
	return tx.NewSelect().Table("vendors").Where("program_page_slug = ? AND id <> ?", slug, vendorID).Exists(ctx)
}
