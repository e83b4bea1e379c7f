// Package minify turns snippet.js into the script Tally serves. Only the
// generator (go generate ./snippet) and the staleness test use it, so the
// product binary does not link esbuild.
package minify

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/evanw/esbuild/pkg/api"
)

// JS minifies the snippet source with esbuild for ES2017 browsers, without
// comments and without a trailing newline. Any esbuild warning is an error:
// the snippet must minify cleanly.
func JS(src []byte) ([]byte, error) {
	res := api.Transform(string(src), api.TransformOptions{
		Loader:            api.LoaderJS,
		Target:            api.ES2017,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		Sourcefile:        "snippet.js",
	})
	if msgs := append(res.Errors, res.Warnings...); len(msgs) > 0 {
		var errs []error
		for _, m := range msgs {
			loc := ""
			if m.Location != nil {
				loc = fmt.Sprintf("%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			errs = append(errs, fmt.Errorf("%s%s", loc, m.Text))
		}
		return nil, fmt.Errorf("minify snippet.js: %w", errors.Join(errs...))
	}
	return bytes.TrimRight(res.Code, "\n"), nil
}
