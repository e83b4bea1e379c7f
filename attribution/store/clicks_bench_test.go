package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

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

// BenchmarkClickStatements compares, on PostgreSQL, the two statements a
// batch of new clicks can be written with, for the batch sizes the click
// writer makes below saturation: ns/op is per batch (its round trips), and
// pg-µs/row is the CPU PostgreSQL's backends spent per row (read from /proc,
// so the server must run on this machine).
func BenchmarkClickStatements(b *testing.B) {
	s := benchStore(b)
	if s.Dialect() != store.Postgres {
		b.Skip("PostgreSQL only")
	}
	ctx := context.Background()
	for _, n := range []int{1, 4, 16, 64} {
		for _, st := range []struct {
			name  string
			write func(context.Context, *bun.DB, []*attribution.Click) error
		}{{"insert", store.InsertNewClicks}, {"copy", store.CopyClicks}} {
			b.Run(fmt.Sprintf("%s/%d", st.name, n), func(b *testing.B) {
				batch := func() []*attribution.Click {
					rows := make([]*attribution.Click, n)
					now := time.Now()
					for i := range rows {
						rows[i] = benchClick(now)
					}
					return rows
				}
				if err := st.write(ctx, s.DB(), batch()); err != nil { // warms the pool up
					b.Fatal(err)
				}
				pids := backendPIDs(b, s)
				before, ownBefore := cpuTicks(pids), ownCPU()
				for b.Loop() {
					if err := st.write(ctx, s.DB(), batch()); err != nil {
						b.Fatal(err)
					}
				}
				ticks := cpuTicks(pids) - before
				b.ReportMetric(float64(ticks)*1e6/100/float64(b.N*n), "pg-µs/row")
				b.ReportMetric(float64(ownCPU()-ownBefore)/1e3/float64(b.N), "go-µs/op")
			})
		}
	}
}

func backendPIDs(b *testing.B, s *store.Store) []int {
	var pids []int
	err := s.DB().NewRaw("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").Scan(context.Background(), &pids)
	if err != nil {
		b.Fatal(err)
	}
	return pids
}

// ownCPU is the CPU time this process used, in nanoseconds.
func ownCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// cpuTicks sums user and system time (in 1/100 s) of the processes.
func cpuTicks(pids []int) int {
	total := 0
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
		for _, f := range fields[11:13] { // utime, stime
			v, _ := strconv.Atoi(f)
			total += v
		}
	}
	return total
}
