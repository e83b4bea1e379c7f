package attribution

import (
	"strings"
	"time"
)

// Period is the half-open range of instants [Start, End), in UTC, that a
// request's start and end name; a zero Start or End is an open end.
// Location is the time zone its dates were read in, and the one of its
// day boundaries.
type Period struct {
	Start, End time.Time
	Location   *time.Location
}

// PeriodRule says what absent start and end mean for one kind of request
// and how long its period may be.
type PeriodRule struct {
	// DefaultDays > 0: without start and end the period is the DefaultDays
	// days ending with today; with only start, DefaultDays from it (at most
	// to the end of today); with only end, DefaultDays up to it.
	// 0: an absent start or end stays open.
	DefaultDays int
	// MaxDays > 0 bounds the period's length.
	MaxDays int
}

// The period rules of the requests that take start and end.
var (
	AnalyticsPeriod        = PeriodRule{DefaultDays: AnalyticsDefaultDays, MaxDays: AnalyticsMaxDays}
	PartnerAnalyticsPeriod = PeriodRule{DefaultDays: 30, MaxDays: 366}
	ExportPeriod           = PeriodRule{} // open ends, any length
)

// ParsePeriod is the one reading of start and end, the same for analytics,
// partner analytics and exports:
//   - a date (2026-11-30) is read in the zone tz names, else in loc (the
//     vendor's time zone), else UTC; a date start is that day's first
//     instant and a date end includes that whole day, so
//     start=2026-11-30&end=2026-11-30 is that one day;
//   - an RFC 3339 start is inclusive and an RFC 3339 end exclusive;
//   - end must be after start.
//
// now is the clock's time, for the defaults of rule. EINVALID.
func ParsePeriod(start, end, tz string, loc *time.Location, now time.Time, rule PeriodRule) (Period, error) {
	p := Period{Location: loc}
	if p.Location == nil {
		p.Location = time.UTC
	}
	if tz != "" {
		l, err := LoadTimeZone(tz)
		if err != nil {
			return p, Errorf(EINVALID, "tz must be an IANA time zone name such as Europe/Paris.")
		}
		p.Location = l
	}
	var err error
	if start != "" {
		if p.Start, err = parsePeriodBound("start", start, p.Location, false); err != nil {
			return p, err
		}
	}
	if end != "" {
		if p.End, err = parsePeriodBound("end", end, p.Location, true); err != nil {
			return p, err
		}
	}
	if rule.DefaultDays > 0 {
		today := now.In(p.Location)
		tomorrow := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, p.Location)
		switch {
		case start == "" && end == "":
			p.End = tomorrow
			p.Start = p.End.AddDate(0, 0, -rule.DefaultDays)
		case start == "":
			p.Start = p.End.In(p.Location).AddDate(0, 0, -rule.DefaultDays)
		case end == "":
			p.End = p.Start.In(p.Location).AddDate(0, 0, rule.DefaultDays)
			if p.End.After(tomorrow) && p.Start.Before(tomorrow) {
				p.End = tomorrow
			}
		}
	}
	if !p.Start.IsZero() && !p.End.IsZero() {
		if !p.End.After(p.Start) {
			return p, Errorf(EINVALID, "end must be after start.")
		}
		// +1h: a DST change inside the period.
		if rule.MaxDays > 0 && p.End.Sub(p.Start) > time.Duration(rule.MaxDays)*24*time.Hour+time.Hour {
			return p, Errorf(EINVALID, "The period from start to end is longer than %d days.", rule.MaxDays)
		}
	}
	if !p.Start.IsZero() {
		p.Start = p.Start.UTC()
	}
	if !p.End.IsZero() {
		p.End = p.End.UTC()
	}
	return p, nil
}

// parsePeriodBound reads one bound: a date in loc (an end date means the
// next midnight, so the day is included) or an RFC 3339 time.
func parsePeriodBound(name, v string, loc *time.Location, isEnd bool) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err == nil && isEnd {
		t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	}
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, v)
	}
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time.", name)
	}
	if t.Year() < 2000 || t.Year() > 9000 {
		return time.Time{}, Errorf(EINVALID, "%s is out of range.", name)
	}
	return t, nil
}

// LoadTimeZone loads an IANA time zone (Europe/Paris, UTC). It refuses what
// time.LoadLocation would read as a file path, and "Local", which is the
// server's zone, not a vendor's.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || name == "Local" {
		return nil, Errorf(EINVALID, "%q is not an IANA time zone name.", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not an IANA time zone name.", name)
	}
	return loc, nil
}
