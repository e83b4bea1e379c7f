// Package qr renders QR codes (of referral links) as SVG and PNG.
//
// Encoding is done by github.com/skip2/go-qrcode at error-correction level
// medium; the SVG is drawn here from the module bitmap, the PNG by the library.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// Size limits for PNG, in pixels.
const (
	DefaultPNGSize = 512
	MinPNGSize     = 64
	MaxPNGSize     = 2048
)

// quietZone is the border, in modules, around the symbol (the library adds it).
const quietZone = 4

// ErrEmpty is returned when asked to encode empty content.
var ErrEmpty = errors.New("qr: empty content")

func encode(content string) (*qrcode.QRCode, error) {
	if content == "" {
		return nil, ErrEmpty
	}
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: encode: %w", err)
	}
	return q, nil
}

// SVG renders content as a QR code SVG: black on white, crisp edges, a
// 4-module quiet zone, a viewBox sized in modules and one <path> holding all
// dark modules.
func SVG(content string) ([]byte, error) {
	q, err := encode(content)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap() // includes the quiet zone
	n := len(bm)
	ns := strconv.Itoa(n)
	px := strconv.Itoa(n * 8)

	var b bytes.Buffer
	b.Grow(n * n)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ` + ns + ` ` + ns +
		`" width="` + px + `" height="` + px + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + ns + `" height="` + ns + `" fill="#ffffff"/>`)
	b.WriteString(`<path fill="#000000" d="`)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			w := strconv.Itoa(x - start)
			// One rectangle per horizontal run of dark modules.
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) + "h" + w + "v1h-" + w + "z")
		}
	}
	b.WriteString(`"/></svg>` + "\n")
	return b.Bytes(), nil
}

// PNG renders content as a QR code PNG about size pixels wide (and as tall).
// size is clamped to 64..2048; 0 means 512. Modules are drawn a whole number
// of pixels wide, so the image is the module count times the nearest integer
// scale, which may differ somewhat from size (never beyond 2048 unless the
// symbol itself has more modules than that).
func PNG(content string, size int) ([]byte, error) {
	q, err := encode(content)
	if err != nil {
		return nil, err
	}
	size = clampSize(size)
	modules := len(q.Bitmap())
	scale := (size + modules/2) / modules
	if scale > 1 && scale*modules > MaxPNGSize {
		scale--
	}
	if scale < 1 {
		scale = 1
	}
	// A negative size asks the library for that many pixels per module.
	out, err := q.PNG(-scale)
	if err != nil {
		return nil, fmt.Errorf("qr: png: %w", err)
	}
	return out, nil
}

func clampSize(size int) int {
	switch {
	case size == 0:
		return DefaultPNGSize
	case size < MinPNGSize:
		return MinPNGSize
	case size > MaxPNGSize:
		return MaxPNGSize
	}
	return size
}
