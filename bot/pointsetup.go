package bot

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

// Creating a pickup point in the chat (sellers, private chat):
//
//	spn[:<code>]   create a point (the code typed next unless given): then
//	               its name and its address, each stored under the language
//	               it is written in; the zone is the shop's. Hours, slots,
//	               staff, position and the bonded-zone flag follow with
//	               /point CODE … (points.go).
//
// "/point NEW open" for a code that does not exist offers this.

// VerbPointNew creates a pickup point.
const VerbPointNew Verb = "spn"

// Steps of creating a point.
const (
	stepPointCode    Step = "sp_code"
	stepPointName    Step = "sp_name"
	stepPointAddress Step = "sp_address"
)

// PointDraft is a pickup point being created.
type PointDraft struct {
	Code string `json:"c,omitempty"`
	Name string `json:"n,omitempty"`
}

func (h *setupHandler) pointRoutes() (map[Verb]actionFunc, map[Step]stepFunc) {
	actions := map[Verb]actionFunc{
		VerbPointNew: h.admin(func(t *turn, a args) ([]Reply, error) {
			if h.staff == nil {
				return t.stale()
			}
			t.s.Setup.Point = PointDraft{}
			if code := a.str(0); code != "" {
				return h.pointCode(t, code)
			}
			t.s.setStep(stepPointCode)
			return say(t.text("setup_point_ask_code", nil), t.cancelSetupRow()), nil
		}),
	}
	steps := map[Step]stepFunc{
		stepPointCode:    h.pointStep(h.pointCode),
		stepPointName:    h.pointStep(h.pointName),
		stepPointAddress: h.pointStep(h.pointAddress),
	}
	return actions, steps
}

// pointStep guards a step of creating a point.
func (h *setupHandler) pointStep(f stepFunc) stepFunc {
	return func(t *turn, text string) ([]Reply, error) {
		if !t.setupAdmin() || h.staff == nil {
			t.s.leaveStep(stepPointCode, stepPointName, stepPointAddress)
			t.s.Setup.Point = PointDraft{}
			return t.stale()
		}
		return f(t, text)
	}
}

func (h *setupHandler) pointCode(t *turn, code string) ([]Reply, error) {
	code = strings.TrimSpace(code)
	if !commerce.ValidPointCode(code) {
		t.s.setStep(stepPointCode)
		return say(t.text("setup_point_bad_code", map[string]any{"Value": echo(code)}), t.cancelSetupRow()), nil
	}
	if p, err := h.setup.PointByCode(t.ctx, code); err == nil {
		t.s.leaveStep(stepPointCode)
		return say(t.text("setup_point_exists", map[string]any{"PointCode": p.Code})), nil
	} else if !errors.Is(err, commerce.ErrNotFound) {
		return nil, err
	}
	t.s.Setup.Point = PointDraft{Code: code}
	t.s.setStep(stepPointName)
	return say(t.text("setup_point_ask_name", map[string]any{"PointCode": code}), t.cancelSetupRow()), nil
}

func (h *setupHandler) pointName(t *turn, text string) ([]Reply, error) {
	name, err := commerce.CleanPointText("name", text)
	if err != nil {
		return say(t.text("setup_point_bad_text", map[string]any{"Max": commerce.MaxPointTextRunes}), t.cancelSetupRow()), nil
	}
	t.s.Setup.Point.Name = name
	t.s.setStep(stepPointAddress)
	return say(t.text("setup_point_ask_address", map[string]any{"PointCode": t.s.Setup.Point.Code}), t.cancelSetupRow()), nil
}

func (h *setupHandler) pointAddress(t *turn, text string) ([]Reply, error) {
	d := t.s.Setup.Point
	if d.Code == "" || d.Name == "" {
		t.s.leaveStep(stepPointAddress)
		return t.stale()
	}
	if _, err := commerce.CleanPointText("address", text); err != nil {
		return say(t.text("setup_point_bad_text", map[string]any{"Max": commerce.MaxPointTextRunes}), t.cancelSetupRow()), nil
	}
	unlock, err := h.staff.locker.Lock(t.ctx, pointsLockKey, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := h.setup.AddPoint(t.ctx, commerce.PointInput{Code: d.Code, Name: d.Name, Address: text})
	switch {
	case errors.Is(err, commerce.ErrConflict):
		t.s.leaveStep(stepPointAddress)
		t.s.Setup.Point = PointDraft{}
		return say(t.text("setup_point_exists", map[string]any{"PointCode": d.Code})), nil
	case err != nil:
		return nil, err
	}
	t.s.leaveStep(stepPointAddress)
	t.s.Setup.Point = PointDraft{}
	return say(t.text("setup_point_created", pointCard(t, p))), nil
}

// pointCard is what the setup texts show of a point.
func pointCard(t *turn, p commerce.PickupPoint) map[string]any {
	pos := ""
	if p.Lat != 0 || p.Lon != 0 {
		pos = strconv.FormatFloat(p.Lat, 'f', -1, 64) + ", " + strconv.FormatFloat(p.Lon, 'f', -1, 64)
	}
	return map[string]any{"PointCode": p.Code, "Point": t.tr(p.Name), "Address": t.tr(p.Address), "City": t.tr(p.City),
		"TimeZone": p.TimeZone, "Position": pos, "Bonded": p.BondedZone, "Hours": p.Opening.String(), "Active": p.Active,
		"SlotMinutes": p.SlotMinutes, "SlotCapacity": p.SlotCapacity, "Staff": p.Staff}
}

// pointPlaceOps are the /point operations of pointsetup.go: where the
// point is and what it is called.
var pointPlaceOps = map[string]bool{"name": true, "address": true, "city": true, "tz": true, "zone": true,
	"location": true, "position": true, "bonded": true}

// changePointPlace is changePoint for the place operations:
//
//	/point CODE name|address|city <text>   in the language it is written in
//	/point CODE tz <IANA zone>
//	/point CODE location <lat>, <lng>
//	/point CODE bonded on|off              inside a special customs supervision zone
func changePointPlace(p, next commerce.PickupPoint, op, rest string) (commerce.PickupPoint, string, map[string]any, bool) {
	refuse := func(key string, d map[string]any) (commerce.PickupPoint, string, map[string]any, bool) {
		return p, key, d, true
	}
	if rest == "" {
		return p, "", nil, false
	}
	switch op {
	case "name", "address", "city":
		s, err := commerce.CleanPointText(op, rest)
		if err != nil {
			return refuse("setup_point_bad_text", map[string]any{"Max": commerce.MaxPointTextRunes})
		}
		switch op {
		case "name":
			next.Name = commerce.SetPointText(p.Name, "", s)
		case "address":
			next.Address = commerce.SetPointText(p.Address, "", s)
		default:
			next.City = commerce.SetPointText(p.City, "", s)
		}
	case "tz", "zone":
		z, err := commerce.ParseTimeZone(rest)
		if err != nil {
			return refuse("setup_bad_tz", map[string]any{"Value": echo(rest)})
		}
		next.TimeZone = z
	case "location", "position":
		lat, lng, ok := parsePosition(rest)
		if !ok {
			return refuse("setup_point_bad_position", map[string]any{"Value": echo(rest)})
		}
		next.Lat, next.Lon = lat, lng
	case "bonded":
		switch strings.ToLower(rest) {
		case "on", "yes", "true", "1":
			next.BondedZone = true
		case "off", "no", "false", "0":
			next.BondedZone = false
		default:
			return p, "", nil, false
		}
	}
	return next, "", nil, true
}

// parsePosition reads "31.2304, 121.4737" (or with a space between).
func parsePosition(s string) (lat, lng float64, ok bool) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' || r == ';' })
	if len(f) != 2 {
		return 0, 0, false
	}
	lat, err1 := strconv.ParseFloat(f[0], 64)
	lng, err2 := strconv.ParseFloat(f[1], 64)
	// Written so NaN fails every comparison and is refused.
	if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180) || lat == 0 && lng == 0 {
		return 0, 0, false
	}
	return lat, lng, true
}
