package commerce

import (
	"slices"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustHours(t *testing.T, s string) WeeklyHours {
	t.Helper()
	w, err := ParseWeeklyHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func starts(slots []PickupSlot, loc *time.Location) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.In(loc).Format("01-02 15:04 MST")
	}
	return out
}

func TestSlotsOn(t *testing.T) {
	t.Parallel()
	sh := mustLoc(t, "Asia/Shanghai")
	p := PickupPoint{ID: 7, TimeZone: "Asia/Shanghai", Opening: mustHours(t, "Mo-Sa 10:00-12:00; Su 10:00-11:15"),
		SlotMinutes: 30, SlotCapacity: 4, Holidays: []Date{{2026, time.October, 1}}}
	mon := Date{2026, time.November, 23}
	got := SlotsOn(p, sh, mon)
	if want := []string{"11-23 10:00 CST", "11-23 10:30 CST", "11-23 11:00 CST", "11-23 11:30 CST"}; !slices.Equal(starts(got, sh), want) {
		t.Fatalf("Monday slots = %v; want %v", starts(got, sh), want)
	}
	for _, s := range got {
		if s.PointID != 7 || s.Capacity != 4 || s.Booked != 0 || s.End.Sub(s.Start) != 30*time.Minute || s.Start.Location() != sh {
			t.Fatalf("slot = %+v", s)
		}
	}
	// Sunday closes at 11:15: the 11:00 slot would end after closing.
	if got := starts(SlotsOn(p, sh, Date{2026, time.November, 29}), sh); !slices.Equal(got, []string{"11-29 10:00 CST", "11-29 10:30 CST"}) {
		t.Fatalf("Sunday slots = %v", got)
	}
	if got := SlotsOn(p, sh, Date{2026, time.October, 1}); len(got) != 0 {
		t.Fatalf("holiday slots = %v", starts(got, sh))
	}
	p.Opening[time.Tuesday] = DayHours{}
	if got := SlotsOn(p, sh, mon.AddDays(1)); len(got) != 0 {
		t.Fatalf("closed-day slots = %v", starts(got, sh))
	}
}

func TestSlotsAcrossDST(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	p := PickupPoint{ID: 1, TimeZone: "America/New_York", Opening: mustHours(t, "00:00-24:00"), SlotMinutes: 30, SlotCapacity: 2}

	check := func(day Date, wantN int) []PickupSlot {
		t.Helper()
		slots := SlotsOn(p, ny, day)
		if len(slots) != wantN {
			t.Fatalf("%v: %d slots; want %d: %v", day, len(slots), wantN, starts(slots, ny))
		}
		for i, s := range slots {
			if s.End.Sub(s.Start) != 30*time.Minute {
				t.Fatalf("%v: slot %v lasts %v", day, s.Start, s.End.Sub(s.Start))
			}
			if i > 0 && s.Start.Before(slots[i-1].End) {
				t.Fatalf("%v: slot %v overlaps %v", day, starts(slots[i:i+1], ny), starts(slots[i-1:i], ny))
			}
			if DateOf(s.Start) != day {
				t.Fatalf("%v: slot on %v", day, DateOf(s.Start))
			}
		}
		return slots
	}
	// Spring forward, 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:00 and 02:30 do not exist.
	spring := check(Date{2026, time.March, 8}, 46)
	if got := starts(spring[3:6], ny); !slices.Equal(got, []string{"03-08 01:30 EST", "03-08 03:00 EDT", "03-08 03:30 EDT"}) {
		t.Fatalf("spring slots around the gap = %v", got)
	}
	if spring[4].Start.Sub(spring[3].Start) != 30*time.Minute {
		t.Fatalf("01:30 EST → 03:00 EDT is %v of real time; want 30m", spring[4].Start.Sub(spring[3].Start))
	}
	// Fall back, 2026-11-01: 01:00–02:00 happens twice; each wall-clock slot once, at its first occurrence.
	fall := check(Date{2026, time.November, 1}, 48)
	if got := starts(fall[2:5], ny); !slices.Equal(got, []string{"11-01 01:00 EDT", "11-01 01:30 EDT", "11-01 02:00 EST"}) {
		t.Fatalf("fall slots around the repeat = %v", got)
	}
	check(Date{2026, time.November, 2}, 48)

	// Berlin: a point open 10–21 keeps its local hours while its UTC offset changes.
	be := mustLoc(t, "Europe/Berlin")
	bp := PickupPoint{ID: 2, TimeZone: "Europe/Berlin", Opening: mustHours(t, "10:00-21:00"), SlotMinutes: 60, SlotCapacity: 1}
	sat := SlotsOn(bp, be, Date{2026, time.March, 28})
	sun := SlotsOn(bp, be, Date{2026, time.March, 29})
	if len(sat) != 11 || len(sun) != 11 || sat[0].Start.UTC().Hour() != 9 || sun[0].Start.UTC().Hour() != 8 {
		t.Fatalf("Berlin first slots %v / %v (UTC %v / %v)", starts(sat, be), starts(sun, be), sat[0].Start.UTC(), sun[0].Start.UTC())
	}
	if s, ok := FindSlot(bp, be, time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC)); !ok || !s.Start.Equal(sun[0].Start) {
		t.Fatalf("FindSlot(08:00Z on DST day) = %v, %v", s, ok)
	}
	if _, ok := FindSlot(bp, be, time.Date(2026, 3, 29, 9, 30, 0, 0, be)); ok {
		t.Fatal("FindSlot found a slot off the hourly grid")
	}
}

func TestGenerateSlotsMidnightAndRange(t *testing.T) {
	t.Parallel()
	sh := mustLoc(t, "Asia/Shanghai")
	p := PickupPoint{ID: 3, TimeZone: "Asia/Shanghai", Opening: mustHours(t, "Mo-Fr 22:00-24:00; Sa 00:00-01:00"),
		SlotMinutes: 30, SlotCapacity: 1}
	// Friday 23:10 local; slots from 23:40 on: Friday's 23:30 has started, Saturday's run past midnight.
	from := time.Date(2026, 11, 27, 23, 40, 0, 0, sh)
	got := GenerateSlots(p, sh, from, from.Add(3*24*time.Hour))
	want := []string{"11-28 00:00 CST", "11-28 00:30 CST", "11-30 22:00 CST", "11-30 22:30 CST", "11-30 23:00 CST", "11-30 23:30 CST"}
	if !slices.Equal(starts(got, sh), want) {
		t.Fatalf("GenerateSlots = %v; want %v", starts(got, sh), want)
	}
	// from exactly at a slot start includes it; to is exclusive.
	got = GenerateSlots(p, sh, time.Date(2026, 11, 27, 23, 30, 0, 0, sh), time.Date(2026, 11, 28, 0, 30, 0, 0, sh))
	if !slices.Equal(starts(got, sh), []string{"11-27 23:30 CST", "11-28 00:00 CST"}) {
		t.Fatalf("bounds = %v", starts(got, sh))
	}
	// The range is read in the point's zone whatever zone the arguments are in.
	if g := GenerateSlots(p, sh, from.UTC(), from.Add(3*24*time.Hour).UTC()); len(g) != 6 || g[0].Start.Location() != sh {
		t.Fatalf("UTC arguments: %v", starts(g, sh))
	}
	if g := GenerateSlots(PickupPoint{SlotMinutes: 30}, sh, from, from.Add(1000*24*time.Hour)); len(g) != 0 {
		t.Fatal("a point without hours has slots")
	}
}

func TestReminders(t *testing.T) {
	t.Parallel()
	be := mustLoc(t, "Europe/Berlin")
	// Sunday 2026-03-29 10:00 CEST; clocks went forward at 02:00 that night.
	start := time.Date(2026, 3, 29, 10, 0, 0, 0, be)
	now := time.Date(2026, 3, 27, 12, 0, 0, 0, be)
	got := Reminders(start, be, now)
	if len(got) != 2 || got[0].Kind != ReminderDayBefore || got[1].Kind != ReminderHourBefore {
		t.Fatalf("Reminders = %+v", got)
	}
	if want := time.Date(2026, 3, 28, 10, 0, 0, 0, be); !got[0].At.Equal(want) || start.Sub(got[0].At) != 23*time.Hour {
		t.Fatalf("day-before = %v (%v before); want %v, 23h before", got[0].At, start.Sub(got[0].At), want)
	}
	if got[1].At.In(be).Hour() != 9 || start.Sub(got[1].At) != time.Hour {
		t.Fatalf("hour-before = %v", got[1].At)
	}
	// Booked late on the day before: only the hour-before reminder is ahead.
	if got := Reminders(start, be, time.Date(2026, 3, 28, 18, 0, 0, 0, be)); len(got) != 1 || got[0].Kind != ReminderHourBefore {
		t.Fatalf("late booking reminders = %+v", got)
	}
	if got := Reminders(start, be, start.Add(-30*time.Minute)); len(got) != 0 {
		t.Fatalf("reminders 30 min before = %+v", got)
	}
	// New York fall back: the day before is 25 hours before.
	ny := mustLoc(t, "America/New_York")
	s2 := time.Date(2026, 11, 1, 12, 0, 0, 0, ny)
	if got := Reminders(s2, ny, s2.Add(-72*time.Hour)); len(got) != 2 || s2.Sub(got[0].At) != 25*time.Hour {
		t.Fatalf("NY day-before = %+v", got)
	}
}

func TestSlotFree(t *testing.T) {
	t.Parallel()
	if s := (PickupSlot{Capacity: 4, Booked: 3}); s.Free() != 1 || s.Full() {
		t.Fatal(s)
	}
	if s := (PickupSlot{Capacity: 2, Booked: 3}); s.Free() != 0 || !s.Full() {
		t.Fatal(s) // capacity lowered below bookings
	}
}
