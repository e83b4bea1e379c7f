package store

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/tally-dev/tally/attribution"
)

// clickCopyColumns are the clicks columns in the order copyClicks writes them.
const clickCopyColumns = "id, vendor_id, link_id, partner_id, clicked_at, ip_trunc, ip_hash, visitor_hash, " +
	"browser, os, device, bot, referrer_host, source, utm_source, utm_medium, utm_campaign, " +
	"utm_content, utm_term, variant, country"

const clickCopyQuery = "COPY clicks (" + clickCopyColumns + ") FROM STDIN"

var copyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// copyMinRows is the smallest batch written with COPY. COPY takes two round
// trips (the statement, then the rows) where an INSERT of literals takes
// one; measured (BenchmarkClickStatements), a lone click costs both sides
// less as an INSERT (PostgreSQL ~85 µs against ~90, Tally ~13 µs less), but
// from four rows on COPY costs PostgreSQL less per row (27 against 32 µs at
// 4, 11 against 17 at 16, 5.5 against 10 at 64) while the INSERT saves
// Tally about as much: COPY from two rows on. Either way the commit is
// most of a small batch's cost, which is why the click writer gathers.
const copyMinRows = 2

// writeNewClicks writes clicks on PostgreSQL in one statement: COPY (text
// format) for a large batch, a multi-row INSERT for a small one. Neither
// has ON CONFLICT (whose speculative insertion costs every row), so a
// batch holding an id already written (a retry after an ambiguous failure)
// fails as a whole with a unique violation; insertClicks (dialect.go) then
// falls back to INSERT … ON CONFLICT DO NOTHING.
func writeNewClicks(ctx context.Context, db *bun.DB, clicks []*attribution.Click) error {
	if len(clicks) < copyMinRows {
		return insertNewClicks(ctx, db, clicks)
	}
	return copyClicks(ctx, db, clicks)
}

// insertNewClicks writes clicks with one INSERT of literals: no parameters
// to bind, one simple query, one round trip.
func insertNewClicks(ctx context.Context, db *bun.DB, clicks []*attribution.Click) error {
	buf := copyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer putCopyBuf(buf)
	appendClickInsert(buf, clicks)
	// Straight to the driver: bun's formatter would read a '?' in a value
	// as a placeholder; with no arguments pgdriver sends the text as it is.
	_, err := db.DB.ExecContext(ctx, buf.String())
	return err
}

// copyClicks writes clicks with one COPY (text format).
func copyClicks(ctx context.Context, db *bun.DB, clicks []*attribution.Click) error {
	buf := copyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer putCopyBuf(buf)
	for _, c := range clicks {
		appendClickRow(buf, c)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = pgdriver.CopyFrom(ctx, conn, bytes.NewReader(buf.Bytes()), clickCopyQuery)
	return err
}

func putCopyBuf(buf *bytes.Buffer) {
	if buf.Cap() <= 4<<20 {
		copyBufs.Put(buf)
	}
}

const clickInsertPrefix = "INSERT INTO clicks (" + clickCopyColumns + ") VALUES "

// appendClickInsert writes one INSERT of clicks with their values as literals.
func appendClickInsert(b *bytes.Buffer, clicks []*attribution.Click) {
	b.WriteString(clickInsertPrefix)
	for i, c := range clicks {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		appendClickValues(b, c, sqlRow)
		b.WriteByte(')')
	}
}

// clickRowFormat is how one statement writes a click's values: COPY's text
// format or SQL literals. appendClickValues holds the columns' order, the
// one of clickCopyColumns.
type clickRowFormat struct {
	sep     byte                        // between values
	text    func(*bytes.Buffer, string) // a text value, escaped
	atQuote string                      // around the timestamp
	yes, no string                      // the bot flag
}

var (
	copyRow = clickRowFormat{sep: '\t', text: copyText, yes: "t", no: "f"}
	sqlRow  = clickRowFormat{sep: ',', text: sqlText, atQuote: "'", yes: "true", no: "false"}
)

// appendClickValues writes c's values in the order of clickCopyColumns.
func appendClickValues(b *bytes.Buffer, c *attribution.Click, f clickRowFormat) {
	for i, v := range [...]string{c.ID, c.VendorID, c.LinkID, c.PartnerID} {
		if i > 0 {
			b.WriteByte(f.sep)
		}
		f.text(b, v)
	}
	var ts [40]byte
	b.WriteByte(f.sep)
	b.WriteString(f.atQuote)
	b.Write(c.ClickedAt.UTC().AppendFormat(ts[:0], time.RFC3339Nano))
	b.WriteString(f.atQuote)
	for _, v := range [...]string{c.IPTrunc, c.IPHash, c.VisitorHash, c.Browser, c.OS, c.Device} {
		b.WriteByte(f.sep)
		f.text(b, v)
	}
	b.WriteByte(f.sep)
	if c.Bot {
		b.WriteString(f.yes)
	} else {
		b.WriteString(f.no)
	}
	for _, v := range [...]string{c.ReferrerHost, c.Source, c.UTMSource, c.UTMMedium, c.UTMCampaign,
		c.UTMContent, c.UTMTerm, c.Variant, c.Country} {
		b.WriteByte(f.sep)
		f.text(b, v)
	}
}

// sqlText writes s as an escape string constant (E'…'), which reads the
// same whatever standard_conforming_strings says: backslashes and quotes
// are escaped. NUL bytes never reach here (InsertClicks strips them).
func sqlText(b *bytes.Buffer, s string) {
	b.WriteString("E'")
	if !strings.ContainsAny(s, `\'`) {
		b.WriteString(s)
	} else {
		for i := 0; i < len(s); i++ {
			switch ch := s[i]; ch {
			case '\\':
				b.WriteString(`\\`)
			case '\'':
				b.WriteString("''")
			default:
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('\'')
}

// appendClickRow writes one row of COPY's text format.
func appendClickRow(b *bytes.Buffer, c *attribution.Click) {
	appendClickValues(b, c, copyRow)
	b.WriteByte('\n')
}

// copyText escapes s for COPY's text format: backslash, tab, newline and
// carriage return are backslash escapes. NUL bytes, which PostgreSQL text
// cannot hold, never reach here: InsertClicks strips them from every click.
func copyText(b *bytes.Buffer, s string) {
	if !strings.ContainsAny(s, "\\\t\n\r") {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(ch)
		}
	}
}
