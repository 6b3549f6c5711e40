package commerce

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		km, tolerance          float64
	}{
		{"same place", 31.2236, 121.4457, 31.2236, 121.4457, 0, 0.001},
		{"Jing'an to Lujiazui", 31.2236, 121.4457, 31.2380, 121.5020, 5.59, 0.05},
		{"Shanghai to Hangzhou", 31.2304, 121.4737, 30.2741, 120.1551, 164, 2},
		{"quarter meridian", 0, 0, 90, 0, 10007.5, 1},
		{"antipodes", 0, 0, 0, 180, 20015.1, 1},
		{"across the date line", 0, 179.5, 0, -179.5, 111.2, 0.2},
	} {
		if got := Distance(tc.lat1, tc.lon1, tc.lat2, tc.lon2) / 1000; math.Abs(got-tc.km) > tc.tolerance {
			t.Errorf("%s: %.3f km; want %.3f ± %.3f", tc.name, got, tc.km, tc.tolerance)
		}
	}
}

func TestNearestPoints(t *testing.T) {
	t.Parallel()
	pts := []PickupPoint{
		{ID: 1, Code: "HZ", Lat: 30.2728, Lon: 120.1630, Active: true},
		{ID: 2, Code: "SH-JA", Lat: 31.2236, Lon: 121.4457, Active: true},
		{ID: 3, Code: "SH-LJZ", Lat: 31.2380, Lon: 121.5020, Active: true},
		{ID: 4, Code: "SH-OLD", Lat: 31.2300, Lon: 121.4700, Active: false},
	}
	got := NearestPoints(pts, 31.2397, 121.4998, 2) // by the Oriental Pearl Tower
	if len(got) != 2 || got[0].Point.Code != "SH-LJZ" || got[1].Point.Code != "SH-JA" || got[0].Meters > 500 {
		t.Fatalf("NearestPoints = %+v", got)
	}
	if all := NearestPoints(pts, 30.27, 120.16, 0); len(all) != 3 || all[0].Point.Code != "HZ" {
		t.Fatalf("all = %+v", all)
	}
	if none := NearestPoints(nil, 0, 0, 3); len(none) != 0 {
		t.Fatal(none)
	}
}

func TestPickupPointDefaultsAndValidate(t *testing.T) {
	t.Parallel()
	p := PickupPoint{Code: "SH1", TimeZone: "Asia/Shanghai", Hours: "10:00–21:00",
		Holidays: []Date{{2026, 10, 2}, {2026, 10, 1}, {2026, 10, 2}}, Staff: []string{"web:bob", " tg:1 ", "web:bob"}}.WithDefaults()
	if p.Opening.String() != "Mo-Su 10:00-21:00" || p.SlotMinutes != 30 || p.SlotCapacity != 4 || p.Hours != "10:00–21:00" {
		t.Fatalf("WithDefaults = %+v", p)
	}
	if len(p.Holidays) != 2 || p.Holidays[0] != (Date{2026, 10, 1}) || len(p.Staff) != 2 || p.Staff[0] != "tg:1" {
		t.Fatalf("holidays %v staff %q", p.Holidays, p.Staff)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if !p.IsStaff("tg:1") || p.IsStaff("tg:2") || p.IsStaff("") || !p.IsHoliday(Date{2026, 10, 2}) {
		t.Fatal("IsStaff / IsHoliday")
	}
	// Hours derived from a structured schedule; free-text Hours stay display-only.
	q := PickupPoint{Code: "X", TimeZone: "UTC", Opening: WeeklyHours{time.Monday: {600, 720}}}.WithDefaults()
	if q.Hours != "Mo 10:00-12:00" {
		t.Fatalf("derived Hours %q", q.Hours)
	}
	if r := (PickupPoint{Hours: "by appointment"}).WithDefaults(); !r.Opening.IsZero() || r.Hours != "by appointment" {
		t.Fatalf("free-text hours: %+v", r)
	}
	for name, mutate := range map[string]func(*PickupPoint){
		"no code":      func(p *PickupPoint) { p.Code = "" },
		"space code":   func(p *PickupPoint) { p.Code = "S H" },
		"no zone":      func(p *PickupPoint) { p.TimeZone = "" },
		"local zone":   func(p *PickupPoint) { p.TimeZone = "Local" },
		"bad zone":     func(p *PickupPoint) { p.TimeZone = "Mars/Olympus" },
		"lat":          func(p *PickupPoint) { p.Lat = 91 },
		"lon NaN":      func(p *PickupPoint) { p.Lon = math.NaN() },
		"slot length":  func(p *PickupPoint) { p.SlotMinutes = 3 },
		"capacity":     func(p *PickupPoint) { p.SlotCapacity = -1 },
		"hours":        func(p *PickupPoint) { p.Opening[time.Monday] = DayHours{700, 600} },
		"holiday":      func(p *PickupPoint) { p.Holidays = []Date{{2026, 2, 30}} },
		"staff format": func(p *PickupPoint) { p.Staff = []string{"alice"} },
		"staff space":  func(p *PickupPoint) { p.Staff = []string{"web:al ice"} },
		"staff chan":   func(p *PickupPoint) { p.Staff = []string{"TG:1"} },
	} {
		bad := p
		bad.Staff = append([]string(nil), p.Staff...)
		mutate(&bad)
		if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v; want ErrInvalid", name, err)
		}
	}
}
