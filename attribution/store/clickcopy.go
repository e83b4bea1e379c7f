package store

import (
	"bytes"
	"context"
	"strconv"
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

// copyClicks writes clicks on PostgreSQL with one COPY (text format): one
// round trip and far less parsing than a multi-row INSERT. COPY has no ON
// CONFLICT, so a batch holding an id already written (a retry after an
// ambiguous failure) fails as a whole with a unique violation; insertClicks
// (dialect.go) then falls back to INSERT … ON CONFLICT DO NOTHING.
func copyClicks(ctx context.Context, db *bun.DB, clicks []*attribution.Click) error {
	buf := copyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 4<<20 {
			copyBufs.Put(buf)
		}
	}()
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

// appendClickRow writes one row of COPY's text format.
func appendClickRow(b *bytes.Buffer, c *attribution.Click) {
	copyText(b, c.ID)
	b.WriteByte('\t')
	copyText(b, c.VendorID)
	b.WriteByte('\t')
	copyText(b, c.LinkID)
	b.WriteByte('\t')
	copyText(b, c.PartnerID)
	b.WriteByte('\t')
	var ts [40]byte
	b.Write(c.ClickedAt.UTC().AppendFormat(ts[:0], time.RFC3339Nano))
	for _, f := range [...]string{c.IPTrunc, c.IPHash, c.VisitorHash, c.Browser, c.OS, c.Device} {
		b.WriteByte('\t')
		copyText(b, f)
	}
	b.WriteByte('\t')
	b.WriteString(strconv.FormatBool(c.Bot)[:1]) // "t" or "f"
	for _, f := range [...]string{c.ReferrerHost, c.Source, c.UTMSource, c.UTMMedium, c.UTMCampaign,
		c.UTMContent, c.UTMTerm, c.Variant, c.Country} {
		b.WriteByte('\t')
		copyText(b, f)
	}
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
