package commerce

import (
	"errors"
	"testing"
	"time"
)

func TestParseWeeklyHours(t *testing.T) {
	t.Parallel()
	d := func(open, close int) DayHours { return DayHours{open * 60, close * 60} }
	every := WeeklyHours{d(10, 21), d(10, 21), d(10, 21), d(10, 21), d(10, 21), d(10, 21), d(10, 21)}
	for _, tc := range []struct {
		in        string
		want      WeeklyHours
		canonical string
	}{
		{"", WeeklyHours{}, ""},
		{"10:00-21:00", every, "Mo-Su 10:00-21:00"},
		{"10:00–21:00", every, "Mo-Su 10:00-21:00"}, // the display form with an en dash
		{"Mo-Fr 10:00-21:00; Sa 11:00-18:00", WeeklyHours{time.Monday: d(10, 21), time.Tuesday: d(10, 21),
			time.Wednesday: d(10, 21), time.Thursday: d(10, 21), time.Friday: d(10, 21), time.Saturday: d(11, 18)},
			"Mo-Fr 10:00-21:00; Sa 11:00-18:00"},
		{"mon-sun 9:00-24:00\nWe off", WeeklyHours{d(9, 24), d(9, 24), d(9, 24), {}, d(9, 24), d(9, 24), d(9, 24)},
			"Mo-Tu 09:00-24:00; Th-Su 09:00-24:00"},
		{"Fr-Mo 00:00-24:00", WeeklyHours{time.Friday: d(0, 24), time.Saturday: d(0, 24), time.Sunday: d(0, 24), time.Monday: d(0, 24)},
			"Mo 00:00-24:00; Fr-Su 00:00-24:00"},
		{"Mo,We,Friday 09:30-12:00；Su closed", WeeklyHours{time.Monday: {570, 720}, time.Wednesday: {570, 720}, time.Friday: {570, 720}},
			"Mo 09:30-12:00; We 09:30-12:00; Fr 09:30-12:00"},
	} {
		got, err := ParseWeeklyHours(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseWeeklyHours(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		if s := got.String(); s != tc.canonical {
			t.Errorf("String() = %q; want %q", s, tc.canonical)
		}
		back, err := ParseWeeklyHours(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q = %v, %v", got.String(), back, err)
		}
	}
	for _, bad := range []string{"10:00", "21:00-10:00", "10:00-10:00", "10:00-25:00", "24:30-24:45", "10:0-21:00",
		"Xx 10:00-21:00", "Mo-Fr", "Mo 10:00-21:00 extra", "+9:00-21:00", "10:60-21:00", "M 10:00-11:00", "Mo- 10:00-11:00", "10:00 — 21:00"} {
		if _, err := ParseWeeklyHours(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseWeeklyHours(%q) err = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestWeeklyHoursValidate(t *testing.T) {
	t.Parallel()
	if err := (WeeklyHours{time.Monday: {600, 1440}}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []WeeklyHours{{time.Monday: {600, 600}}, {time.Monday: {-5, 60}}, {time.Monday: {60, 1441}}, {time.Monday: {700, 600}}} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v.Validate() = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	d, err := ParseDate("2028-02-28")
	if err != nil || d != (Date{2028, time.February, 28}) || d.String() != "2028-02-28" {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	if d.AddDays(1) != (Date{2028, time.February, 29}) || d.AddDays(2) != (Date{2028, time.March, 1}) || d.AddDays(-59) != (Date{2027, time.December, 31}) {
		t.Fatalf("AddDays: %v %v %v", d.AddDays(1), d.AddDays(2), d.AddDays(-59))
	}
	if d.Weekday() != time.Monday || d.Compare(d.AddDays(1)) != -1 || d.Compare(d) != 0 {
		t.Fatalf("Weekday %v / Compare", d.Weekday())
	}
	for _, bad := range []string{"", "2028-02-30", "28.02.2028", "2028-2-3"} {
		if _, err := ParseDate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDate(%q) err = %v", bad, err)
		}
	}
	var back Date
	if b, _ := d.MarshalText(); back.UnmarshalText(b) != nil || back != d {
		t.Fatalf("text round trip = %v", back)
	}
}
