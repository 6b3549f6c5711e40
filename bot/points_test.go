package bot_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// The sellers' pickup point commands (/points, /point). The harness clock
// is Wednesday 2030-05-01 18:00 in Shanghai; the demo points open
// 10:00–21:00 every day, Jing'an with 15-minute slots for 3 people.

// summary is what the point texts get about a point.
func summary(p commerce.PickupPoint, lang string) map[string]any {
	var holidays []string
	for _, d := range p.Holidays {
		holidays = append(holidays, d.String())
	}
	return map[string]any{"PointCode": p.Code, "City": p.City.In(lang), "Point": p.Name.In(lang), "Hours": p.Opening.String(),
		"SlotMinutes": p.SlotMinutes, "SlotCapacity": p.SlotCapacity, "Holidays": holidays, "Staff": p.Staff, "Active": p.Active}
}

// stored reads a point as the store has it now.
func (h *harness) stored(id int64) commerce.PickupPoint {
	h.t.Helper()
	p, err := h.store.PickupPoint(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// wantPoint checks the stored point is want (with defaults filled in).
func (h *harness) wantPoint(want commerce.PickupPoint) {
	h.t.Helper()
	want = want.WithDefaults()
	if got := h.stored(want.ID); !reflect.DeepEqual(got, want) {
		h.t.Fatalf("stored point =\n%+v\nwant\n%+v", got, want)
	}
}

// wantUpdated sends a change and checks the reply is the summary of want
// and the store holds want.
func (c *chat) wantUpdated(cmd string, want commerce.PickupPoint) {
	c.t.Helper()
	want = want.WithDefaults()
	wantText(c.t, c.send(cmd), 0, c.tx("point_updated", summary(want, c.lang())))
	c.h.wantPoint(want)
}

// wantRefused sends a change that must be refused with text key and data,
// leaving the point as it was.
func (c *chat) wantRefused(cmd string, pt commerce.PickupPoint, key string, data map[string]any) {
	c.t.Helper()
	before := c.h.stored(pt.ID)
	data["PointCode"] = pt.Code
	wantText(c.t, c.send(cmd), 0, c.tx(key, data))
	c.h.wantPoint(before)
}

func TestPointsList(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	var list []map[string]any
	for _, p := range h.points {
		list = append(list, summary(p, "en"))
	}
	r := s.send("/points")
	wantText(t, r, 0, s.tx("points_list", map[string]any{"N": 3, "PointList": list}))
	for _, want := range []string{"🟢 SH-JINGAN — Shanghai, Jing'an Temple pickup point", "Hours: Mo-Su 10:00-21:00",
		"Slots: 15 min × 3 people", "Holidays: 2026-10-01, 2026-10-02, 2027-02-05", "Staff: web:staff-jingan"} {
		if !strings.Contains(r[0].Text, want) {
			t.Errorf("/points lacks %q:\n%s", want, r[0].Text)
		}
	}
	// The seller menu mentions the commands.
	if r := s.send("/staff"); !strings.Contains(r[0].Text, "/points") {
		t.Errorf("seller help lacks /points:\n%s", r[0].Text)
	}
	// Malformed /point shows how to use it.
	usage := s.tx("point_usage", map[string]any{"Codes": "SH-JINGAN, SH-LUJIAZUI, HZ-WULIN"})
	for _, cmd := range []string{"/point", "/point SH-JINGAN", "/point SH-JINGAN fly", "/point SH-JINGAN hours",
		"/point SH-JINGAN holiday 2030-06-01", "/point SH-JINGAN holiday delete 2030-06-01", "/point SH-JINGAN holiday add 2030-06-01 2030-06-02",
		"/point SH-JINGAN staff tg:1", "/point SH-JINGAN staff add tg:1 tg:2", "/point SH-JINGAN close now"} {
		wantText(t, s.send(cmd), 0, usage)
	}
	for _, p := range h.points {
		h.wantPoint(p)
	}
	// An unknown point.
	wantText(t, s.send("/point NOPE staff add tg:1"), 0,
		s.tx("seller_unknown_point", map[string]any{"PointCode": "NOPE", "Codes": "SH-JINGAN, SH-LUJIAZUI, HZ-WULIN"}))
}

func TestPointCommandsNotForOthers(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	jingan := h.point("SH-JINGAN")
	buyer := h.user(t, "points-buyer", "en")
	staff := h.staff(t, "staff-jingan")
	admin := h.user(t, seller, "en")
	for _, c := range []*chat{buyer, staff, admin.inGroup("g-points")} {
		for _, cmd := range []string{"/points", "/point", "/point SH-JINGAN close", "/point NOPE close",
			"/point SH-JINGAN staff add web:points-buyer", "/point SH-JINGAN hours nonsense"} {
			wantText(t, c.send(cmd), 0, c.tx("help_unknown", nil))
		}
	}
	h.wantPoint(jingan)

	// Without the pickup features the commands do not exist.
	off := newHarness(t, harnessOptions{admins: []string{"web:seller"}})
	s := off.user(t, "seller", "en")
	wantText(t, s.send("/points"), 0, s.tx("help_unknown", nil))
	wantText(t, s.send("/point SH-JINGAN close"), 0, s.tx("help_unknown", nil))
}

func TestPointHours(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	pt := h.point("SH-JINGAN")

	// Errors name what is wrong and change nothing.
	for _, c := range []struct{ cmd, key, value string }{
		{"Mo-Fr 10-21", "point_bad_hours", "Mo-Fr 10-21"},
		{"Mo-Fr 10:00-21:00; Sx 11:00-18:00; Su off", "point_bad_hours", "Sx 11:00-18:00"},
		{"Mo-Fr 21:00-10:00", "point_bad_hours", "Mo-Fr 21:00-10:00"},
		{"Mo-Fr 10:00-25:00", "point_bad_hours", "Mo-Fr 10:00-25:00"},
		{"Mo-Fr 10:00 21:00", "point_bad_hours", "Mo-Fr 10:00 21:00"},
		{"Mo-Su off", "point_hours_never_open", ""},
		{"Mo-Fr closed", "point_hours_never_open", ""},
	} {
		data := map[string]any{}
		if c.value != "" {
			data["Value"] = c.value
		}
		s.wantRefused("/point SH-JINGAN hours "+c.cmd, pt, c.key, data)
	}
	// A 15-minute slot must fit into every open day.
	s.wantRefused("/point SH-JINGAN hours Mo-Fr 10:00-21:00; Sa 11:00-11:10", pt, "point_slot_too_long",
		map[string]any{"Minutes": 15, "Value": "Sa 11:00-11:10"})

	// The happy path: the schedule, and the hours buyers read, change.
	want := pt
	want.Opening, want.Hours = commerce.WeeklyHours{}, "Mo-Fr 10:00-21:00; Sa 11:00-18:00"
	for d := time.Monday; d <= time.Friday; d++ {
		want.Opening[d] = commerce.DayHours{Open: 10 * 60, Close: 21 * 60}
	}
	want.Opening[time.Saturday] = commerce.DayHours{Open: 11 * 60, Close: 18 * 60}
	s.wantUpdated("/point sh-jingan hours Mo-Fr 10:00-21:00; Sa 11:00-18:00; Su off", want)
	r := s.send("/points")
	if !strings.Contains(r[0].Text, "Hours: Mo-Fr 10:00-21:00; Sa 11:00-18:00") {
		t.Errorf("/points does not show the new hours:\n%s", r[0].Text)
	}
	// Slots follow: none on Sunday, Saturday from 11:00 to 18:00.
	from := time.Date(2030, 5, 6, 0, 0, 0, 0, shanghai) // a Monday
	slots := commerce.GenerateSlots(h.stored(pt.ID), shanghai, from, from.AddDate(0, 0, 7))
	if n := 5*44 + 28; len(slots) != n {
		t.Errorf("%d slots in a week; want %d", len(slots), n)
	}
	for _, sl := range slots {
		local := sl.Start.In(shanghai)
		clock := local.Hour()*60 + local.Minute()
		switch local.Weekday() {
		case time.Sunday:
			t.Errorf("a slot on Sunday: %v", local)
		case time.Saturday:
			if clock < 11*60 || clock+15 > 18*60 {
				t.Errorf("a Saturday slot out of hours: %v", local)
			}
		}
	}
	// Dashes and separators as people type them; one rule for every day.
	want.Hours = "Mo-Su 09:30-20:00"
	for d := range want.Opening {
		want.Opening[d] = commerce.DayHours{Open: 9*60 + 30, Close: 20 * 60}
	}
	s.wantUpdated("/point SH-JINGAN hours 9:30–20:00", want)
}

func TestPointSlots(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	pt := h.point("SH-JINGAN")

	for _, c := range []struct {
		arg, key string
		data     map[string]any
	}{
		{"0x4", "point_bad_slot_minutes", map[string]any{"Minutes": 0}},
		// 7 is within PickupPoint.Validate's range but slots would start at
		// 10:07, 10:14, …: lengths go in steps of 5.
		{"7x4", "point_bad_slot_minutes", map[string]any{"Minutes": 7}},
		{"3x4", "point_bad_slot_minutes", map[string]any{"Minutes": 3}},
		{"725x4", "point_bad_slot_minutes", map[string]any{"Minutes": 725}},
		{"-15x4", "point_bad_slot_minutes", map[string]any{"Minutes": -15}},
		{"15x0", "point_bad_slot_capacity", map[string]any{"N": 0}},
		{"15x1001", "point_bad_slot_capacity", map[string]any{"N": 1001}},
		{"15", "point_bad_slots", map[string]any{"Value": "15"}},
		{"15x", "point_bad_slots", map[string]any{"Value": "15x"}},
		{"x3", "point_bad_slots", map[string]any{"Value": "x3"}},
		{"fifteen x three", "point_bad_slots", map[string]any{"Value": "fifteen x three"}},
		{"15x3x2", "point_bad_slots", map[string]any{"Value": "15x3x2"}},
		// 12 hours is a valid length, but the point is open 11 hours a day.
		{"720x4", "point_slot_too_long", map[string]any{"Minutes": 720, "Value": "Mo-Su 10:00-21:00"}},
	} {
		s.wantRefused("/point SH-JINGAN slots "+c.arg, pt, c.key, c.data)
	}

	want := pt
	want.SlotMinutes, want.SlotCapacity = 20, 5
	s.wantUpdated("/point SH-JINGAN slots 20x5", want)
	// 45 minutes do not divide 10:00–21:00: the last slot starts at 19:45.
	want.SlotMinutes, want.SlotCapacity = 45, 2
	s.wantUpdated("/point SH-JINGAN slots 45 × 2", want)
	want.SlotMinutes, want.SlotCapacity = 30, 6
	s.wantUpdated("/point SH-JINGAN slots 30х6", want) // a Cyrillic х

	// New bookings get the new grid and capacity.
	h.clock.Set(time.Date(2030, 5, 2, 9, 0, 0, 0, shanghai))
	slots, err := h.pickup.NextSlots(h.ctx, pt.ID, 100)
	if err != nil || len(slots) < 22 {
		t.Fatalf("NextSlots = %d, %v", len(slots), err)
	}
	first, last := slots[0], slots[21]
	if !first.Start.Equal(time.Date(2030, 5, 2, 10, 0, 0, 0, shanghai)) || first.Capacity != 6 ||
		first.End.Sub(first.Start) != 30*time.Minute || !last.Start.Equal(time.Date(2030, 5, 2, 20, 30, 0, 0, shanghai)) {
		t.Errorf("slots after the change: first %+v, 22nd %+v", first, last)
	}
}

func TestPointHolidays(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	pt := h.point("SH-JINGAN")

	for _, c := range []struct {
		arg, key string
		data     map[string]any
	}{
		{"add 2030-02-30", "point_bad_date", map[string]any{"Value": "2030-02-30"}},
		{"add 03.05.2030", "point_bad_date", map[string]any{"Value": "03.05.2030"}},
		{"add tomorrow", "point_bad_date", map[string]any{"Value": "tomorrow"}},
		{"remove 2030-13-01", "point_bad_date", map[string]any{"Value": "2030-13-01"}},
		{"add 2030-04-30", "point_past_date", map[string]any{"Value": "2030-04-30"}},
		{"remove 2030-06-01", "point_not_holiday", map[string]any{"Value": "2030-06-01"}},
		{"add " + strings.Repeat("9", 60), "point_bad_date", map[string]any{"Value": strings.Repeat("9", 40) + "…"}},
	} {
		s.wantRefused("/point SH-JINGAN holiday "+c.arg, pt, c.key, c.data)
	}

	// Friday is a holiday: no slots that day.
	friday := commerce.Date{Year: 2030, Month: 5, Day: 3}
	want := pt
	want.Holidays = append(slices.Clone(pt.Holidays), friday)
	s.wantUpdated("/point SH-JINGAN holiday add 2030-05-03", want)
	s.wantUpdated("/point SH-JINGAN holiday add 2030-05-03", want) // again: no change
	// Today (in Shanghai) may still be closed.
	today := commerce.Date{Year: 2030, Month: 5, Day: 1}
	want.Holidays = append(want.Holidays, today)
	s.wantUpdated("/point SH-JINGAN holidays add 2030-05-01", want)
	slots, err := h.pickup.NextSlots(h.ctx, pt.ID, 100)
	if err != nil || len(slots) == 0 {
		t.Fatalf("NextSlots = %v, %v", slots, err)
	}
	for _, sl := range slots {
		if d := commerce.DateOf(sl.Start.In(shanghai)); d == friday || d == today {
			t.Fatalf("a slot on a holiday: %v", sl.Start)
		}
	}
	// Removing, past ones included.
	want.Holidays = slices.DeleteFunc(want.Holidays, func(d commerce.Date) bool { return d == friday })
	s.wantUpdated("/point SH-JINGAN holiday remove 2030-05-03", want)
	want.Holidays = slices.DeleteFunc(want.Holidays, func(d commerce.Date) bool { return d == (commerce.Date{Year: 2026, Month: 10, Day: 1}) })
	s.wantUpdated("/point SH-JINGAN holiday remove 2026-10-01", want)
}

func TestPointStaff(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	pt := h.point("SH-LUJIAZUI")

	for _, c := range []struct{ arg, key, value string }{
		{"add alice", "point_bad_identity", "alice"},
		{"add TG:123", "point_bad_identity", "TG:123"},
		{"add tg:", "point_bad_identity", "tg:"},
		{"add t:1", "point_bad_identity", "t:1"},
		{"remove :1", "point_bad_identity", ":1"},
		{"remove tg:999", "point_not_staff", "tg:999"},
		{"remove web:staff-jingan", "point_not_staff", "web:staff-jingan"}, // staff of another point
	} {
		s.wantRefused("/point SH-LUJIAZUI staff "+c.arg, pt, c.key, map[string]any{"Value": c.value})
	}

	want := pt
	want.Staff = []string{"tg:123456", "web:staff-lujiazui"}
	s.wantUpdated("/point SH-LUJIAZUI staff add tg:123456", want)
	want.Staff = []string{"tg:123456", "web:staff-lujiazui", "wx:oAbC_9"}
	s.wantUpdated("/point SH-LUJIAZUI staff add wx:oAbC_9", want)
	s.wantUpdated("/point SH-LUJIAZUI staff add tg:123456", want) // again: no change
	want.Staff = []string{"tg:123456", "wx:oAbC_9"}
	s.wantUpdated("/point SH-LUJIAZUI staff remove web:staff-lujiazui", want)
	r := s.send("/points")
	if !strings.Contains(r[0].Text, "Staff: tg:123456, wx:oAbC_9") {
		t.Errorf("/points does not show the new staff:\n%s", r[0].Text)
	}
}

// TestPointStaffRedeems: a staff change in the chat decides who may hand
// orders over.
func TestPointStaffRedeems(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	pt := h.point("SH-JINGAN")
	u := h.user(t, "points-redeem-buyer", "en")
	o := u.readyOrder(pt)
	code := u.code(o)

	newbie := h.staff(t, "newbie")
	wantText(t, newbie.send(code), 0, newbie.tx("help_unknown", nil))
	wantText(t, newbie.send("/staff"), 0, newbie.tx("help_unknown", nil))

	s.send("/point SH-JINGAN staff add web:newbie")
	r := newbie.send(code)
	if !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("new staff inspecting: %q", r[0].Text)
	}
	wantText(t, newbie.press(findAction(t, r[0], "rdx:")), 0, newbie.tx("staff_cancelled", nil))

	// Removed again, and the old staff member too: neither may redeem.
	s.send("/point SH-JINGAN staff remove web:newbie")
	s.send("/point SH-JINGAN staff remove web:staff-jingan")
	old := h.staff(t, "staff-jingan")
	for _, c := range []*chat{newbie, old} {
		wantText(t, c.send(code), 0, c.tx("help_unknown", nil))
	}
	if _, err := h.pickup.Redeem(h.ctx, "web:staff-jingan", pt.ID, code); err == nil {
		t.Fatal("removed staff redeemed")
	}
	// Added back: the hand-over goes through.
	s.send("/point SH-JINGAN staff add web:staff-jingan")
	r = old.send(code)
	old.press(findAction(t, r[0], "rd:"))
	if got := h.order(o.ID).Status; got != commerce.StatusPickedUp {
		t.Fatalf("order is %s after hand-over", got)
	}
}

func TestPointOpenClose(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	s := h.user(t, seller, "en")
	pt := h.point("SH-LUJIAZUI")

	want := pt
	want.Active = false
	s.wantUpdated("/point sh-lujiazui close", want)
	// Buyers no longer see it.
	active, err := h.store.PickupPoints(h.ctx)
	if err != nil || slices.ContainsFunc(active, func(p commerce.PickupPoint) bool { return p.ID == pt.ID }) {
		t.Fatalf("active points after close: %v, %v", active, err)
	}
	u := h.user(t, "points-close-buyer", "en")
	u.add("COS-001", 1)
	if r := u.press("co"); offersPoint(r[0], pt.ID) || !offersPoint(r[0], h.point("SH-JINGAN").ID) {
		t.Fatalf("checkout with SH-LUJIAZUI closed offers %v", actions(r[0]))
	}
	// The seller still does, and can change and reopen it.
	var list []map[string]any
	for _, p := range h.points {
		if p.ID == pt.ID {
			p = want
		}
		list = append(list, summary(p, "en"))
	}
	wantText(t, s.send("/points"), 0, s.tx("points_list", map[string]any{"N": 3, "PointList": list}))
	s.wantUpdated("/point SH-LUJIAZUI close", want) // again: no change
	want.Staff = append(slices.Clone(want.Staff), "tg:77")
	s.wantUpdated("/point SH-LUJIAZUI staff add tg:77", want)
	want.Active = true
	s.wantUpdated("/point SH-LUJIAZUI open", want)
	if r := s.send("/points"); strings.Contains(r[0].Text, "🔴") || !strings.Contains(r[0].Text, "🟢 SH-LUJIAZUI") {
		t.Errorf("/points after reopening:\n%s", r[0].Text)
	}
	s.wantUpdated("/point SH-LUJIAZUI open", want) // again: no change
	if r := u.press("co"); !offersPoint(r[0], pt.ID) {
		t.Fatalf("checkout with SH-LUJIAZUI reopened offers %v", actions(r[0]))
	}
}

// offersPoint reports whether a checkout reply has a button for the point.
func offersPoint(r bot.Reply, id int64) bool {
	for _, row := range actions(r) {
		for _, a := range row {
			if strings.HasPrefix(a, "cp:") && strings.HasSuffix(a, fmt.Sprintf(":%d", id)) {
				return true
			}
		}
	}
	return false
}

func TestPointErrorsLocalized(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"ru", "zh-CN"} {
		h := newPickupHarness(t)
		pt := h.point("HZ-WULIN")
		s := h.user(t, seller, lang)
		s.wantRefused("/point HZ-WULIN hours Пн-Пт 10:00-21:00", pt, "point_bad_hours", map[string]any{"Value": "Пн-Пт 10:00-21:00"})
		s.wantRefused("/point HZ-WULIN slots 0x4", pt, "point_bad_slot_minutes", map[string]any{"Minutes": 0})
		s.wantRefused("/point HZ-WULIN staff add 张三", pt, "point_bad_identity", map[string]any{"Value": "张三"})
		r := s.send("/point HZ-WULIN close")
		want := pt
		want.Active = false
		wantText(t, r, 0, s.tx("point_updated", summary(want.WithDefaults(), lang)))
		if lang == "ru" && !strings.Contains(r[0].Text, "Ханчжоу") || lang == "zh-CN" && !strings.Contains(r[0].Text, "杭州") {
			t.Errorf("%s summary not localized:\n%s", lang, r[0].Text)
		}
	}
}
