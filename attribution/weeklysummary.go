package attribution

import "time"

// SummaryWeek is the week a weekly summary sent at now covers: the last
// complete week, Monday 00:00 to Monday 00:00 in loc.
func SummaryWeek(now time.Time, loc *time.Location) (start, end time.Time) {
	l := now.In(loc)
	daysSinceMonday := (int(l.Weekday()) + 6) % 7
	end = time.Date(l.Year(), l.Month(), l.Day()-daysSinceMonday, 0, 0, 0, 0, loc)
	return end.AddDate(0, 0, -7), end
}
