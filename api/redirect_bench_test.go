package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tally-dev/tally/api"
	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

var benchAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
}

// benchApp starts Tally on a fresh database (TALLY_TEST_DB) with 20 links,
// logging at warn like production, and returns it with the link keys.
func benchApp(b testing.TB) (*app.App, []string) {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(context.Background(), app.Config{
		DatabaseURL: testenv.DatabaseURL(b), PublicURL: "http://127.0.0.1:8080", ClickWait: 5 * time.Second,
	}, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close(context.Background()) })
	ctx := context.Background()
	nv, err := a.Store.Vendors.CreateVendor(ctx, "Bench", "shop.example.com")
	if err != nil {
		b.Fatal(err)
	}
	np, err := a.Store.Partners.CreatePartner(ctx, nv.Vendor.ID, "system", attribution.PartnerCreate{Name: "Ada", Email: "ada@example.net"})
	if err != nil {
		b.Fatal(err)
	}
	var keys []string
	for i := range 20 {
		l, err := a.Store.Links.CreateLink(ctx, nv.Vendor.ID, "system", attribution.LinkCreate{
			PartnerID: np.Partner.ID, DestinationURL: fmt.Sprintf("https://shop.example.com/p/%d?plan=pro#top", i),
			UTM: attribution.UTM{Source: "partner", Campaign: "spring"},
		})
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, l.Key)
	}
	return a, keys
}

func runRedirects(b *testing.B, h http.Handler, keys []string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			req := httptest.NewRequest(http.MethodGet, "/r/"+keys[i%len(keys)], nil)
			req.RemoteAddr = "198.51.100.7:41234"
			req.Header.Set("User-Agent", benchAgents[i%len(benchAgents)])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusFound {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkRedirect measures GET /r/{key} through the real router: with the
// durable click writer on the test database, and with a recorder that
// discards clicks (the handler's own cost).
func BenchmarkRedirect(b *testing.B) {
	b.Run("durable", func(b *testing.B) {
		a, keys := benchApp(b)
		b.SetParallelism(64)
		runRedirects(b, a.Handler(), keys)
	})
	b.Run("handler-only", func(b *testing.B) {
		a, keys := benchApp(b)
		deps := a.Server.Deps()
		deps.Clicks = discardClicks{}
		runRedirects(b, api.New(a.Server.Config(), deps), keys)
	})
}

type discardClicks struct{}

func (discardClicks) Record(context.Context, *attribution.Click, time.Duration) error { return nil }
