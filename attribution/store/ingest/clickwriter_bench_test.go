package ingest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tally-dev/tally/attribution/store/ingest"
)

// BenchmarkClickWriter is the durable path of the redirect alone: many
// callers each recording one click and waiting for its commit.
func BenchmarkClickWriter(b *testing.B) {
	for _, par := range []int{32, 128} {
		b.Run(fmt.Sprintf("callers=%d", par*2), func(b *testing.B) {
			s := openStore(b)
			w := ingest.NewClickWriter(s.Clicks, ingest.ClickWriterOptions{})
			b.Cleanup(func() { w.Close(context.Background()) })
			var n atomic.Int64
			b.SetParallelism(par)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := w.Record(context.Background(), newClick(int(n.Add(1))), 0); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
