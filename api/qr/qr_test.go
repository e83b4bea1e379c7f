package qr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

const testURL = "http://localhost:8080/r/partner-42?utm_source=qr"

type svgDoc struct {
	XMLName        xml.Name `xml:"svg"`
	ViewBox        string   `xml:"viewBox,attr"`
	ShapeRendering string   `xml:"shape-rendering,attr"`
	Rects          []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("SVG is not valid XML: %v\n%s", err, b)
	}
	if doc.XMLName.Local != "svg" || doc.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element = %+v, want svg in the SVG namespace", doc.XMLName)
	}
	return doc
}

// rasterize draws the SVG's single path (as written by SVG) at scale pixels
// per module, so the result can be fed to a QR decoder.
func rasterize(t *testing.T, doc svgDoc, scale int) *image.Gray {
	t.Helper()
	var n, n2 int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &n, &n2); err != nil || n != n2 || n <= 0 {
		t.Fatalf("viewBox %q: want \"0 0 N N\" (err %v)", doc.ViewBox, err)
	}
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, cmd := range strings.Split(doc.Paths[0].D, "z") {
		if cmd == "" {
			continue
		}
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(cmd, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("unexpected path command %q: %v", cmd, err)
		}
		if x < quietZone || y < quietZone || x+w > n-quietZone || y >= n-quietZone {
			t.Fatalf("dark run %q inside the quiet zone (n=%d)", cmd, n)
		}
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{0})
			}
		}
	}
	return img
}

func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("binary bitmap: %v", err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

func TestSVG(t *testing.T) {
	b, err := SVG(testURL)
	if err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, b)
	if doc.ShapeRendering != "crispEdges" {
		t.Errorf("shape-rendering = %q, want crispEdges", doc.ShapeRendering)
	}
	if len(doc.Paths) != 1 {
		t.Fatalf("got %d paths, want exactly 1", len(doc.Paths))
	}
	if doc.Paths[0].Fill != "#000000" {
		t.Errorf("path fill = %q, want black", doc.Paths[0].Fill)
	}
	if len(doc.Rects) != 1 || doc.Rects[0].Fill != "#ffffff" {
		t.Errorf("want one white background rect, got %+v", doc.Rects)
	}
	// Version 1 is 21 modules; plus 4 on each side.
	var n int
	fmt.Sscanf(doc.ViewBox, "0 0 %d", &n)
	if n < 21+2*quietZone || (n-2*quietZone-17)%4 != 0 {
		t.Errorf("viewBox %q is not a QR symbol size plus the quiet zone", doc.ViewBox)
	}
	if got := decode(t, rasterize(t, doc, 4)); got != testURL {
		t.Errorf("SVG decodes to %q, want %q", got, testURL)
	}
}

func TestPNG(t *testing.T) {
	for _, tc := range []struct{ in, min, max int }{
		{0, 440, 590},        // default 512
		{512, 440, 590},      //
		{300, 250, 350},      //
		{10, 33, 100},        // clamped up to 64 (nearest whole pixels per module)
		{-5, 33, 100},        // clamped up to 64
		{100000, 1900, 2048}, // clamped down to 2048
	} {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			b, err := PNG(testURL, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			r := img.Bounds()
			if r.Dx() != r.Dy() {
				t.Errorf("not square: %v", r)
			}
			if r.Dx() < tc.min || r.Dx() > tc.max {
				t.Errorf("size(%d): width %d, want %d..%d", tc.in, r.Dx(), tc.min, tc.max)
			}
			// Corner pixel is quiet zone: white.
			if c := color.GrayModel.Convert(img.At(0, 0)).(color.Gray); c.Y != 0xff {
				t.Errorf("corner pixel = %v, want white", c)
			}
			if got := decode(t, img); got != testURL {
				t.Errorf("PNG decodes to %q, want %q", got, testURL)
			}
		})
	}
}

func TestLongContent(t *testing.T) {
	long := "https://example.com/r/" + strings.Repeat("abcdefghij", 60)
	b, err := PNG(long, 64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, img); got != long {
		t.Errorf("decoded %q", got)
	}
	s, err := SVG(long)
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, rasterize(t, parseSVG(t, s), 3)); got != long {
		t.Errorf("SVG decoded %q", got)
	}
}

func TestEmpty(t *testing.T) {
	if _, err := SVG(""); !errors.Is(err, ErrEmpty) {
		t.Errorf("SVG(\"\") err = %v, want ErrEmpty", err)
	}
	if _, err := PNG("", 0); !errors.Is(err, ErrEmpty) {
		t.Errorf("PNG(\"\") err = %v, want ErrEmpty", err)
	}
}

func TestTooLong(t *testing.T) {
	if _, err := SVG(strings.Repeat("x", 5000)); err == nil {
		t.Error("SVG of 5000 bytes: want an error (beyond QR capacity)")
	}
	if _, err := PNG(strings.Repeat("x", 5000), 0); err == nil {
		t.Error("PNG of 5000 bytes: want an error (beyond QR capacity)")
	}
}

func TestDeterministic(t *testing.T) {
	a1, _ := SVG(testURL)
	a2, _ := SVG(testURL)
	b1, _ := SVG(testURL + "x")
	if !bytes.Equal(a1, a2) {
		t.Error("SVG is not deterministic")
	}
	if bytes.Equal(a1, b1) {
		t.Error("different content gave the same SVG")
	}
	p1, _ := PNG(testURL, 256)
	p2, _ := PNG(testURL, 256)
	q1, _ := PNG(testURL+"x", 256)
	if !bytes.Equal(p1, p2) {
		t.Error("PNG is not deterministic")
	}
	if bytes.Equal(p1, q1) {
		t.Error("different content gave the same PNG")
	}
}

func TestConcurrent(t *testing.T) {
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			_, err := PNG(fmt.Sprintf("%s/%d", testURL, i), 128)
			if err == nil {
				_, err = SVG(fmt.Sprintf("%s/%d", testURL, i))
			}
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
