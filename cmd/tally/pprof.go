//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"os"
)

// Built only with -tags pprof (profiling the benchmarks): serves
// net/http/pprof on TALLY_PPROF_ADDR, never on the public listener.
func init() {
	if addr := os.Getenv("TALLY_PPROF_ADDR"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
