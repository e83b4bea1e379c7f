package store

import (
	"slices"
	"strconv"
	"strings"
)

// keySets groups one statement's rows by several breakdowns' keys. On
// PostgreSQL each key is grouped apart (GROUPING SETS, one set a key, each
// with the shared columns): a row comes back per value of one key. Grouped
// by all the keys at once, a year came back about one row per conversion,
// and a link's days one row per combination of its dimensions. SQLite has
// no grouping sets and groups by all of them at once.
type keySets struct {
	keys   []string // distinct SQL expressions
	shared []string // grouped in every set (hour, currency); may be constants
	apart  bool
}

// newKeySets returns the grouping by keys (repeated keys counted once).
func newKeySets(d dialect, keys, shared []string) keySets {
	var ks keySets
	for _, k := range keys {
		if !slices.Contains(ks.keys, k) {
			ks.keys = append(ks.keys, k)
		}
	}
	ks.shared = shared
	ks.apart = d.groupingSets() && len(ks.keys) > 1
	return ks
}

// index returns the position of key among the distinct keys.
func (ks keySets) index(key string) int { return slices.Index(ks.keys, key) }

// selectList is "grp, keys..., shared...": grp tells which keys a row is
// grouped by (grouped).
func (ks keySets) selectList() string {
	grp := "0"
	if ks.apart {
		grp = "GROUPING(" + strings.Join(ks.keys, ", ") + ")"
	}
	return grp + " AS grp, " + strings.Join(append(append([]string{}, ks.keys...), ks.shared...), ", ")
}

// groupBy is the GROUP BY clause of selectList.
func (ks keySets) groupBy() string {
	if !ks.apart {
		cols := make([]string, len(ks.keys)+len(ks.shared))
		for i := range cols {
			cols[i] = strconv.Itoa(i + 2)
		}
		return "GROUP BY " + strings.Join(cols, ", ")
	}
	// Constants stay out of the sets: PostgreSQL reads an integer as a
	// column's position and refuses other constants.
	var shared []string
	for _, s := range ks.shared {
		if !sqlConstant(s) {
			shared = append(shared, s)
		}
	}
	sets := make([]string, len(ks.keys))
	for i, k := range ks.keys {
		sets[i] = "(" + strings.Join(append([]string{k}, shared...), ", ") + ")"
	}
	return "GROUP BY GROUPING SETS (" + strings.Join(sets, ", ") + ")"
}

// grouped reports whether a row whose grp is grp counts for key i.
func (ks keySets) grouped(grp int64, i int) bool {
	return !ks.apart || grp&(1<<(len(ks.keys)-1-i)) == 0
}

// sqlConstant reports whether expr is a literal number or string.
func sqlConstant(expr string) bool {
	return expr != "" && (expr[0] == '\'' || (expr[0] >= '0' && expr[0] <= '9'))
}
