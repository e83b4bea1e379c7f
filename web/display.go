package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// The template functions of the analytics, partners and links pages.
func init() {
	funcs["when"] = formatWhen
	funcs["pct"] = formatRate
	funcs["rule"] = describeRule
	funcs["orNone"] = func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	}
}

// formatWhen writes an instant in the vendor's time zone: 2026-11-30 14:05 CET.
func formatWhen(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// formatRate writes a ratio as a percentage with one decimal: 12.5 %.
func formatRate(r float64) string {
	return strconv.FormatFloat(r*100, 'f', 1, 64) + " %"
}

// describeRule says what a reward rule pays, in the program page's words
// (attribution.RewardSummary), with its hold.
func describeRule(r *attribution.RewardRule) string {
	if r == nil {
		return "No rewards"
	}
	return fmt.Sprintf("%s, held %d days", attribution.RewardSummary(r), r.HoldDays)
}
