package commerce

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar day without a time zone: a holiday, or the local day of
// a slot in its point's zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02". ErrInvalid otherwise.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("date %q: %w", s, ErrInvalid)
	}
	return DateOf(t), nil
}

// String formats d as "2006-01-02".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Midnight is the first instant of d in loc (time.Date's normalization
// applies in the rare zones whose clocks skip midnight).
func (d Date) Midnight(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns the day n days after d (before, when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Midnight(time.UTC).Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return d.Midnight(time.UTC).Compare(e.Midnight(time.UTC))
}

// MarshalText implements encoding.TextMarshaler ("2006-01-02").
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MinutesPerDay is the length of a day in wall-clock minutes; 24:00 is a
// valid closing time.
const MinutesPerDay = 24 * 60

// DayHours is one day's opening interval in wall-clock minutes after local
// midnight. Open == Close (canonically both 0) means closed all day.
type DayHours struct {
	Open, Close int
}

// Closed reports whether the point does not open on that day.
func (h DayHours) Closed() bool { return h.Open >= h.Close }

func (h DayHours) valid() bool {
	if h == (DayHours{}) {
		return true
	}
	return h.Open >= 0 && h.Open < h.Close && h.Close <= MinutesPerDay
}

// WeeklyHours is a point's opening hours, indexed by time.Weekday (Sunday = 0).
// Days not open are closed; holidays are kept separately on the point.
type WeeklyHours [7]DayHours

// IsZero reports whether the point is never open.
func (w WeeklyHours) IsZero() bool {
	for _, h := range w {
		if !h.Closed() {
			return false
		}
	}
	return true
}

// On returns the hours of a weekday.
func (w WeeklyHours) On(d time.Weekday) DayHours { return w[d] }

// Validate checks every day is closed or opens before it closes, within 00:00–24:00.
func (w WeeklyHours) Validate() error {
	for d, h := range w {
		if !h.valid() {
			return fmt.Errorf("hours on %s %s–%s: %w", time.Weekday(d), clockString(h.Open), clockString(h.Close), ErrInvalid)
		}
	}
	return nil
}

// dayNames in Monday-first display order, with their weekdays.
var dayNames = [7]struct {
	short string
	day   time.Weekday
}{{"Mo", time.Monday}, {"Tu", time.Tuesday}, {"We", time.Wednesday}, {"Th", time.Thursday},
	{"Fr", time.Friday}, {"Sa", time.Saturday}, {"Su", time.Sunday}}

// String is the canonical form ParseWeeklyHours reads back: consecutive days
// with equal hours grouped, Monday first, closed days left out —
// "Mo-Fr 10:00-21:00; Sa-Su 11:00-19:00". A point never open is "".
func (w WeeklyHours) String() string {
	var parts []string
	for i := 0; i < 7; {
		h := w[dayNames[i].day]
		j := i
		for j+1 < 7 && w[dayNames[j+1].day] == h {
			j++
		}
		if !h.Closed() {
			days := dayNames[i].short
			if j > i {
				days += "-" + dayNames[j].short
			}
			parts = append(parts, days+" "+clockString(h.Open)+"-"+clockString(h.Close))
		}
		i = j + 1
	}
	return strings.Join(parts, "; ")
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (w WeeklyHours) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (w *WeeklyHours) UnmarshalText(b []byte) error {
	v, err := ParseWeeklyHours(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// EveryDay returns hours open from open to close ("10:00", "21:00") every day.
func EveryDay(open, close string) (WeeklyHours, error) {
	return ParseWeeklyHours(open + "-" + close)
}

// ParseWeeklyHours reads opening hours written as rules separated by ";" or
// new lines, later rules overriding earlier ones:
//
//	10:00-21:00                                  every day
//	Mo-Fr 10:00-21:00; Sa 11:00-18:00            Sunday closed
//	Mo-Su 10:00-21:00; We off                    Wednesday closed ("off" or "closed")
//	Mo,We,Fr 09:30-24:00
//
// Days are Mo Tu We Th Fr Sa Su (or Mon…, Monday…, any case); a range may
// wrap (Fr-Mo). Dashes may be "-", "–" or "—". The empty string is a point
// that never opens. ErrInvalid on anything else.
func ParseWeeklyHours(s string) (WeeklyHours, error) {
	var w WeeklyHours
	s = normalizeDashes(s)
	for _, rule := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		fields := strings.Fields(rule)
		if len(fields) == 0 {
			continue
		}
		var days []time.Weekday
		var spec string
		switch len(fields) {
		case 1:
			days, spec = allDays(), fields[0]
		case 2:
			d, err := parseDays(fields[0])
			if err != nil {
				return WeeklyHours{}, fmt.Errorf("hours %q: %w", s, err)
			}
			days, spec = d, fields[1]
		default:
			return WeeklyHours{}, fmt.Errorf("hours rule %q: %w", rule, ErrInvalid)
		}
		var h DayHours
		if l := strings.ToLower(spec); l != "off" && l != "closed" {
			open, close, ok := strings.Cut(spec, "-")
			if !ok {
				return WeeklyHours{}, fmt.Errorf("hours rule %q: %w", rule, ErrInvalid)
			}
			var err1, err2 error
			h.Open, err1 = parseClock(open)
			h.Close, err2 = parseClock(close)
			if err1 != nil || err2 != nil || h.Open >= h.Close {
				return WeeklyHours{}, fmt.Errorf("hours rule %q: %w", rule, ErrInvalid)
			}
		}
		for _, d := range days {
			w[d] = h
		}
	}
	return w, nil
}

func normalizeDashes(s string) string {
	return strings.NewReplacer("–", "-", "—", "-", "−", "-", "~", "-", "～", "-", "；", ";").Replace(s)
}

func allDays() []time.Weekday {
	return []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
}

// parseDays reads "Mo-Fr", "Sa,Su", "Mo,We-Fr".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, ok := parseDay(from)
		if !ok {
			return nil, fmt.Errorf("day %q: %w", part, ErrInvalid)
		}
		b := a
		if isRange {
			if b, ok = parseDay(to); !ok {
				return nil, fmt.Errorf("day %q: %w", part, ErrInvalid)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func parseDay(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 2 {
		return 0, false
	}
	for _, n := range dayNames {
		full := strings.ToLower(n.day.String())
		if s == strings.ToLower(n.short) || s == full[:3] || s == full {
			return n.day, true
		}
	}
	return 0, false
}

// parseClock reads "9:30", "09:30" or "24:00" as minutes after midnight.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !allDigits(hh) || !allDigits(mm) {
		return 0, fmt.Errorf("time %q: %w", s, ErrInvalid)
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("time %q: %w", s, ErrInvalid)
	}
	return h*60 + m, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func clockString(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }
