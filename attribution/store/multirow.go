package store

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// multiRow writes rows with multi-row statements:
// head + " VALUES (?, …), (?, …)" + tail, at most max rows a statement
// (both databases cap the parameters of one statement).
type multiRow struct {
	db         bun.IDB
	head, tail string
	row        string // "(?, …)" for one row
	max        int
	b          strings.Builder
	args       []any
	n          int
}

func newMultiRow(db bun.IDB, head string, columns, max int, tail string) *multiRow {
	return &multiRow{db: db, head: head, tail: tail, max: max,
		row: "(?" + strings.Repeat(", ?", columns-1) + ")", args: make([]any, 0, max*columns)}
}

// add queues one row (its values in column order), writing a full statement.
func (m *multiRow) add(ctx context.Context, values ...any) error {
	if m.n == 0 {
		m.b.WriteString(m.head + " VALUES ")
	} else {
		m.b.WriteString(", ")
	}
	m.b.WriteString(m.row)
	m.args = append(m.args, values...)
	if m.n++; m.n == m.max {
		return m.flush(ctx)
	}
	return nil
}

// flush writes the rows queued so far.
func (m *multiRow) flush(ctx context.Context) error {
	if m.n == 0 {
		return nil
	}
	m.b.WriteString(m.tail)
	_, err := m.db.NewRaw(m.b.String(), m.args...).Exec(ctx)
	m.b.Reset()
	m.args, m.n = m.args[:0], 0
	return err
}
