package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// staticCompression gzips the static files for browsers that take it: the
// scripts and styles are text, a quarter of their size or less gzipped.
var staticCompression = middleware.Gzip()

// assetVersions are short hashes of the static files: a page links
// /static/app.css?v=HASH, so a new release's files are fetched at once and
// an unchanged file is cached for a year.
var assetVersions = func() map[string]string {
	out := map[string]string{}
	fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[p[len("static/"):]] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
}()

// assetURL is the versioned URL of a static file.
func assetURL(name string) string {
	return "/static/" + name + "?v=" + assetVersions[name]
}

// serveStatic serves the embedded static files.
func serveStatic(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	version, ok := assetVersions[name]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	data, err := fs.ReadFile(files, "static/"+name)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	if c.QueryParam("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, data)
}
