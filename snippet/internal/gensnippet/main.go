// Command gensnippet writes the minified snippet that the snippet package
// embeds. It runs through `go generate ./snippet`:
//
//	gensnippet snippet.js snippet.min.js
package main

import (
	"fmt"
	"os"

	"github.com/tally-dev/tally/snippet/internal/minify"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gensnippet SOURCE.js OUTPUT.min.js")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "gensnippet:", err)
		os.Exit(1)
	}
}

func run(src, dst string) error {
	js, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	min, err := minify.JS(js)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, min, 0o644)
}
