package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"shopbot/commerce"
)

// Sellers (Options.Admins) manage pickup points in a private chat:
//
//	/points                                  every point with its settings
//	/point CODE hours <spec>                 weekly opening hours, e.g.
//	                                         "Mo-Fr 10:00-21:00; Sa 11:00-18:00; Su off"
//	                                         (commerce.ParseWeeklyHours; days not named are closed)
//	/point CODE slots <minutes>x<capacity>   slot length and bookings per slot, e.g. 15x3
//	/point CODE holiday add|remove YYYY-MM-DD
//	/point CODE staff add|remove <identity>  "tg:123", "wx:oAbc", "web:alice"
//	/point CODE open|close                   PickupPoint.Active
//
// Every change is checked before anything is written; a rejected change
// is answered with a text naming what is wrong and leaves the point as it
// was. A saved change is answered with the point's new summary. To anyone
// else — and to admins in groups, where a listing would show staff
// identities to the whole group — the commands are unknown commands.
//
// Rules beyond PickupPoint.Validate:
//   - hours that never open are refused (closing a point is /point CODE close);
//   - a slot lasts 5–720 minutes in steps of 5 (so "7x4" is refused: slots
//     would start at 10:07, 10:14, …) and takes 1–1000 bookings ("0x4" and
//     "15x0" are refused rather than replaced by the defaults);
//   - a slot must fit into every open day's hours at least once. The length
//     need not divide the hours: slots start at opening time every
//     SlotMinutes, and a remainder shorter than a slot before closing is
//     not offered (45-minute slots from 10:00 to 21:00 end at 20:30);
//   - a holiday added must not be past in the point's zone, a holiday
//     removed must be one, and staff removed must be staff (adding what is
//     already there just shows the summary).

const (
	// pointsLockKey serializes the read-modify-write of point edits (the
	// store upserts whole points) across chats and, with a shared Locker,
	// replicas.
	pointsLockKey = "lock:pickup-points"
	// slotStep is the granularity of slot lengths.
	slotStep = 5
	// maxSlotCapacity bounds bookings per slot, as PickupPoint.Validate.
	maxSlotCapacity = 1000
	// maxEcho bounds the user input repeated in an error text.
	maxEcho = 40
)

// pointSummary is what point texts show of a point.
type pointSummary struct {
	PointCode, City, Point, Hours string
	SlotMinutes, SlotCapacity     int
	Holidays, Staff               []string
	Active                        bool
}

func (h *staffHandler) pointSummary(t *turn, p commerce.PickupPoint) pointSummary {
	s := pointSummary{PointCode: p.Code, City: p.City.In(t.lang), Point: p.Name.In(t.lang), Hours: p.Opening.String(),
		SlotMinutes: p.SlotMinutes, SlotCapacity: p.SlotCapacity, Staff: p.Staff, Active: p.Active}
	for _, d := range p.Holidays {
		s.Holidays = append(s.Holidays, d.String())
	}
	return s
}

// pointCommand runs /points and /point for sellers; anyone else gets the
// ordinary answer to an unknown command.
func (h *staffHandler) pointCommand(t *turn, cmd Command, arg string) ([]Reply, error) {
	if !t.isAdmin() || t.m.Group {
		return t.help("help_unknown")
	}
	if cmd == CmdPoints {
		pts, err := h.allPoints(t)
		if err != nil {
			return nil, err
		}
		list := make([]pointSummary, 0, len(pts))
		for _, p := range pts {
			list = append(list, h.pointSummary(t, p))
		}
		return say(t.text("points_list", map[string]any{"N": len(list), "PointList": list})), nil
	}
	return h.editPoint(t, arg)
}

// allPoints returns every point, closed ones too, by ID.
func (h *staffHandler) allPoints(t *turn) ([]commerce.PickupPoint, error) {
	return h.shop.Store().AllPickupPoints(t.ctx)
}

// editPoint runs "/point CODE op args…".
func (h *staffHandler) editPoint(t *turn, arg string) ([]Reply, error) {
	code, rest := cutWord(arg)
	op, rest := cutWord(rest)
	op = strings.ToLower(op)
	unlock, err := h.locker.Lock(t.ctx, pointsLockKey, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("lock pickup points: %w", err)
	}
	defer unlock()
	pts, err := h.allPoints(t)
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, len(pts))
	for _, p := range pts {
		codes = append(codes, p.Code)
	}
	usage := func() ([]Reply, error) {
		return say(t.text("point_usage", map[string]any{"Codes": strings.Join(codes, ", ")})), nil
	}
	if code == "" || op == "" {
		return usage()
	}
	i := slices.IndexFunc(pts, func(p commerce.PickupPoint) bool { return strings.EqualFold(p.Code, code) })
	if i < 0 {
		text := t.text("seller_unknown_point", map[string]any{"PointCode": echo(code), "Codes": strings.Join(codes, ", ")})
		if t.r.setup != nil && commerce.ValidPointCode(code) {
			return say(text, []Button{{Text: t.text("setup_btn_point_create", map[string]any{"PointCode": code}),
				Action: VerbPointNew.Of(code)}}), nil
		}
		return say(text), nil
	}
	pt := pts[i]
	next, problem, data, ok := h.changePoint(t, pt, op, rest)
	if !ok {
		return usage()
	}
	if problem != "" {
		data["PointCode"] = pt.Code
		return say(t.text(problem, data)), nil
	}
	saved, err := h.pickupService.SavePoint(t.ctx, next)
	if err != nil {
		return nil, err
	}
	if pointPlaceOps[op] {
		return say(t.text("setup_point_updated", pointCard(t, saved))), nil
	}
	return say(t.text("point_updated", h.pointSummary(t, saved))), nil
}

// changePoint applies one edit to a copy of p. ok is false when the
// command is malformed (the usage is shown); problem names the text
// explaining why a well-formed change is refused, with its data.
func (h *staffHandler) changePoint(t *turn, p commerce.PickupPoint, op, rest string) (next commerce.PickupPoint, problem string, data map[string]any, ok bool) {
	next = p
	next.Holidays, next.Staff = slices.Clone(p.Holidays), slices.Clone(p.Staff)
	args := strings.Fields(rest)
	refuse := func(key string, d map[string]any) (commerce.PickupPoint, string, map[string]any, bool) {
		return p, key, d, true
	}
	switch op {
	case "hours":
		if rest == "" {
			return p, "", nil, false
		}
		w, bad, parsed := parseHours(rest)
		switch {
		case !parsed:
			return refuse("point_bad_hours", map[string]any{"Value": echo(bad)})
		case w.IsZero():
			return refuse("point_hours_never_open", map[string]any{})
		}
		// Hours (what buyers read) is derived again from the schedule.
		next.Opening, next.Hours = w, ""
	case "slots":
		minutes, capacity, parsed := parseSlots(rest)
		switch {
		case !parsed:
			return refuse("point_bad_slots", map[string]any{"Value": echo(rest)})
		case minutes < slotStep || minutes > 12*60 || minutes%slotStep != 0:
			return refuse("point_bad_slot_minutes", map[string]any{"Minutes": minutes})
		case capacity < 1 || capacity > maxSlotCapacity:
			return refuse("point_bad_slot_capacity", map[string]any{"N": capacity})
		}
		next.SlotMinutes, next.SlotCapacity = minutes, capacity
	case "holiday", "holidays":
		if len(args) != 2 || args[0] != "add" && args[0] != "remove" {
			return p, "", nil, false
		}
		d, err := commerce.ParseDate(args[1])
		if err != nil {
			return refuse("point_bad_date", map[string]any{"Value": echo(args[1])})
		}
		if args[0] == "remove" {
			if !p.IsHoliday(d) {
				return refuse("point_not_holiday", map[string]any{"Value": d.String()})
			}
			next.Holidays = slices.DeleteFunc(next.Holidays, func(h commerce.Date) bool { return h == d })
			break
		}
		loc, err := h.pickupService.Location(p)
		if err == nil && d.Compare(commerce.DateOf(h.pickupService.Now().In(loc))) < 0 {
			return refuse("point_past_date", map[string]any{"Value": d.String()})
		}
		next.Holidays = append(next.Holidays, d)
	case "staff":
		if len(args) != 2 || args[0] != "add" && args[0] != "remove" {
			return p, "", nil, false
		}
		id := args[1]
		if !commerce.ValidIdentity(id) {
			return refuse("point_bad_identity", map[string]any{"Value": echo(id)})
		}
		if args[0] == "remove" {
			if !p.IsStaff(id) {
				return refuse("point_not_staff", map[string]any{"Value": id})
			}
			next.Staff = slices.DeleteFunc(next.Staff, func(s string) bool { return s == id })
			break
		}
		next.Staff = append(next.Staff, id)
	case "name", "address", "city", "tz", "zone", "location", "position", "bonded":
		return changePointPlace(p, next, op, rest)
	case "open", "close":
		if len(args) != 0 {
			return p, "", nil, false
		}
		next.Active = op == "open"
	default:
		return p, "", nil, false
	}
	if op == "hours" || op == "slots" {
		if day, fits := slotFits(next); !fits {
			return refuse("point_slot_too_long", map[string]any{"Minutes": next.SlotMinutes, "Value": day})
		}
	}
	return next, "", nil, true
}

// parseHours reads opening hours with commerce.ParseWeeklyHours; when they
// do not parse, bad is the first rule that does not.
func parseHours(spec string) (w commerce.WeeklyHours, bad string, ok bool) {
	w, err := commerce.ParseWeeklyHours(spec)
	if err == nil {
		return w, "", true
	}
	for _, rule := range strings.FieldsFunc(spec, func(r rune) bool { return r == ';' || r == '；' || r == '\n' }) {
		if _, err := commerce.ParseWeeklyHours(rule); err != nil {
			return w, strings.TrimSpace(rule), false
		}
	}
	return w, spec, false
}

// parseSlots reads "<minutes>x<capacity>": "15x3", "15 x 3", "15×3",
// "15*3" (and a Cyrillic "х").
func parseSlots(s string) (minutes, capacity int, ok bool) {
	s = strings.Join(strings.Fields(s), "")
	i := strings.IndexFunc(s, func(r rune) bool { return strings.ContainsRune("xX×*хХ", r) })
	if i <= 0 {
		return 0, 0, false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	m, err1 := strconv.Atoi(s[:i])
	c, err2 := strconv.Atoi(s[i+size:])
	return m, c, err1 == nil && err2 == nil
}

// slotFits reports whether a slot fits into every open day of the point's
// week; if not, days are the hours of the days it does not fit
// ("Sa 11:00-11:30").
func slotFits(p commerce.PickupPoint) (days string, ok bool) {
	minutes := p.SlotMinutes
	if minutes == 0 {
		minutes = commerce.DefaultSlotMinutes
	}
	var short commerce.WeeklyHours
	for d, h := range p.Opening {
		if !h.Closed() && h.Close-h.Open < minutes {
			short[d] = h
		}
	}
	return short.String(), short.IsZero()
}

// cutWord splits off the first word of s.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// echo clips user input repeated in a reply.
func echo(s string) string {
	if utf8.RuneCountInString(s) <= maxEcho {
		return s
	}
	return string([]rune(s)[:maxEcho]) + "…"
}
