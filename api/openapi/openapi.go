// Package openapi serves openapi.json, the OpenAPI 3.1 description of
// every JSON endpoint Tally serves. The document is written by hand; the
// tests of this package drive the real server and validate every request
// and answer against it, so it stays true.
package openapi

import (
	"bytes"
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var document []byte

// Document returns a copy of the OpenAPI document.
func Document() []byte { return bytes.Clone(document) }

// Handler serves the document: GET /v1/openapi.json, public.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=3600")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(document)
		}
	})
}
