package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// maxJSGzipped is the budget for the JavaScript the dashboard ships
// to the browser: every script file, each gzipped, summed.
const maxJSGzipped = 100 * 1024

// scriptAsset finds the scripts the templates load ({{asset "x.js"}}).
var scriptAsset = regexp.MustCompile(`\{\{asset "([^"]+\.js)"\}\}`)

func TestJavaScriptSize(t *testing.T) {
	sizes := map[string]int{} // gzipped bytes by path under static/
	total := 0
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return err
		}
		sizes[strings.TrimPrefix(p, "static/")] = buf.Len()
		total += buf.Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every script a template loads must be among the files counted.
	loaded := 0
	err = fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range scriptAsset.FindAllSubmatch(data, -1) {
			loaded++
			if _, ok := sizes[string(m[1])]; !ok {
				t.Errorf("%s loads %s, which is not under static/", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if loaded == 0 || sizes["vendor/uplot/uPlot.iife.min.js"] == 0 {
		t.Fatalf("found %d script tags and scripts %v: the templates or the vendored uPlot moved", loaded, sizes)
	}

	t.Logf("JavaScript, gzipped: %d bytes in total %v", total, sizes)
	if total > maxJSGzipped {
		t.Errorf("the dashboard's JavaScript is %d bytes gzipped, over the budget of %d: %v", total, maxJSGzipped, sizes)
	}
}
