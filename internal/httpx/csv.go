package httpx

import (
	"encoding/csv"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// CSV exports are RFC 4180 with a header row, streamed from a database
// cursor and flushed every csvFlushEvery rows; never built in memory.
const csvFlushEvery = 200

// CSVStream writes a CSV answer. The header goes out before the first row
// (or at the end when there are none), so an error before any row still
// answers as an error.
type CSVStream struct {
	c       echo.Context
	w       *csv.Writer
	name    string
	header  []string
	numeric []bool // by column
	started bool
	rows    int
}

// NewCSVStream starts the CSV answer name (the download's file name) with
// header; the columns in attribution.NumericCSVColumns stay numbers, every
// other cell is neutralised by attribution.CSVText.
func NewCSVStream(c echo.Context, name string, header []string) *CSVStream {
	numeric := make([]bool, len(header))
	for i, h := range header {
		numeric[i] = attribution.NumericCSVColumns[h]
	}
	return &CSVStream{c: c, name: name, header: header, numeric: numeric}
}

// Write writes one record.
func (s *CSVStream) Write(rec []string) error {
	if !s.started {
		s.started = true
		h := s.c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+s.name+`"`)
		h.Set("Cache-Control", "no-store")
		s.c.Response().WriteHeader(http.StatusOK)
		s.w = csv.NewWriter(s.c.Response())
		if err := s.w.Write(s.header); err != nil {
			return err
		}
	}
	if rec == nil {
		return nil
	}
	for i, cell := range rec {
		if !s.numeric[i] {
			rec[i] = attribution.CSVText(cell)
		}
	}
	if err := s.w.Write(rec); err != nil {
		return err
	}
	s.rows++
	if s.rows%csvFlushEvery == 0 {
		s.w.Flush()
		s.c.Response().Flush()
		return s.w.Error()
	}
	return nil
}

// Finish ends the stream: err before the first row is returned, to answer
// as an error; after it, the answer is cut short (the status is sent
// already) and err is logged.
func (s *CSVStream) Finish(err error) error {
	if err != nil {
		if !s.started {
			return err
		}
		s.c.Logger().Error("csv export cut short: ", err)
		return nil
	}
	if err := s.Write(nil); err != nil {
		return nil
	}
	s.w.Flush()
	return nil
}
