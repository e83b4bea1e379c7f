package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
)

func benchStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(testenv.DatabaseURL(tb), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func benchClick(now time.Time) *attribution.Click {
	return &attribution.Click{
		ID: attribution.NewID(attribution.PrefixClick, now), VendorID: "ven_01kaaaaaaaaaaaaaaaaaaaaaaa",
		LinkID: "lnk_01kaaaaaaaaaaaaaaaaaaaaaaa", PartnerID: "par_01kaaaaaaaaaaaaaaaaaaaaaaa", ClickedAt: now,
		IPTrunc: "198.51.100.0", IPHash: "0123456789abcdef0123456789abcdef", VisitorHash: "fedcba9876543210fedcba9876543210",
		Browser: "Chrome", OS: "Windows", Device: "desktop", Source: "direct",
		UTMSource: "partner", UTMMedium: "affiliate", UTMCampaign: "spring",
	}
}

// BenchmarkInsertClicks compares one batch written by InsertClicks (COPY on
// PostgreSQL) with the multi-row INSERT … ON CONFLICT DO NOTHING it falls
// back to; ns/op is per batch.
func BenchmarkInsertClicks(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for _, n := range []int{16, 128, 1000} {
		mk := func() []*attribution.Click {
			rows := make([]*attribution.Click, n)
			now := time.Now()
			for i := range rows {
				rows[i] = benchClick(now)
			}
			return rows
		}
		b.Run(fmt.Sprintf("insert/%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.DB().NewInsert().Model(new(mk())).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		if s.Dialect() == store.Postgres {
			b.Run(fmt.Sprintf("copy/%d", n), func(b *testing.B) {
				for b.Loop() {
					if err := s.Clicks.InsertClicks(ctx, mk()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
