package commerce

import (
	"errors"
	"testing"
	"time"
)

func TestParseDropStart(t *testing.T) {
	t.Parallel()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 18, 30, 0, 0, sh) // Wednesday evening in Shanghai
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-27 20:00", time.Date(2026, 11, 27, 20, 0, 0, 0, sh)},
		{" 2026/11/27  20:00 ", time.Date(2026, 11, 27, 20, 0, 0, 0, sh)},
		{"2026-11-27T20:00:30", time.Date(2026, 11, 27, 20, 0, 30, 0, sh)},
		{"20:00", time.Date(2026, 11, 25, 20, 0, 0, 0, sh)},
		{"20：00", time.Date(2026, 11, 25, 20, 0, 0, 0, sh)},
		{"18:30", time.Date(2026, 11, 26, 18, 30, 0, 0, sh)}, // this very minute has come: tomorrow
		{"9:05", time.Date(2026, 11, 26, 9, 5, 0, 0, sh)},
		{"now", now},
		{"NOW", now},
		{"现在", now},
		{"+2h", now.Add(2 * time.Hour)},
		{"+90m", now.Add(90 * time.Minute)},
		{"+1h30m", now.Add(90 * time.Minute)},
		{"+2d", now.Add(48 * time.Hour)},
		{"+0m", now},
	} {
		got, err := ParseDropStart(tc.in, now, sh)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseDropStart(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "soon", "25:00", "2026-11-24 20:00", "2026-13-01 10:00", "2028-01-01 10:00",
		"+", "+-2h", "+2", "+1.5h", "+100ms", "+400d", "+9999999h", "tomorrow 20:00", "20:00:00:00", "2026-11-27"} {
		if got, err := ParseDropStart(in, now, sh); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDropStart(%q) = %v, %v; want ErrInvalid", in, got, err)
		}
	}
}

func FuzzParseDropStart(f *testing.F) {
	for _, s := range []string{"2026-11-27 20:00", "20:00", "now", "+2h", "+2d", "20：00", "+1h30m", "2026/11/27T20:00:00", "+"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	loc := time.FixedZone("CST", 8*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDropStart(s, now, loc)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseDropStart(%q) err = %v; want ErrInvalid", s, err)
			}
			return
		}
		if got.Before(now.Add(-dropStartLag)) || got.After(now.Add(maxDropLead)) {
			t.Fatalf("ParseDropStart(%q) = %v out of bounds", s, got)
		}
	})
}
