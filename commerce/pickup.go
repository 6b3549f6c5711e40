package commerce

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
)

// PickupPoint is a physical counter in the buyer's city where orders are
// collected, tried on, returned and repaired.
type PickupPoint struct {
	ID       int64
	Code     string
	City     Text
	Name     Text
	Address  Text
	Hours    string // opening hours as shown to buyers, e.g. "10:00–21:00"; derived from Opening when empty
	TimeZone string // IANA zone, e.g. "Asia/Shanghai"
	Lat, Lon float64
	Active   bool
	// BondedZone: the point is inside a special customs supervision zone
	// (综合保税区); the cross-border rules need to know.
	BondedZone bool

	// Opening is the weekly schedule slots are generated from, in the
	// point's zone. When zero it is derived from Hours if Hours parses
	// (ParseWeeklyHours); a point with no opening hours offers no slots.
	Opening WeeklyHours
	// Holidays are local dates the point is closed, whatever Opening says.
	Holidays []Date
	// SlotMinutes is the length of a pickup slot (default 30).
	SlotMinutes int
	// SlotCapacity is how many bookings one slot takes (default 4).
	SlotCapacity int
	// Staff are the chat identities allowed to redeem codes and accept
	// returns here: "tg:123", "wx:oAbc", "web:alice".
	Staff []string
}

// Defaults for new pickup points.
const (
	DefaultSlotMinutes  = 30
	DefaultSlotCapacity = 4
)

// WithDefaults returns p with what can be derived filled in: Opening from
// Hours (or Hours from Opening), slot length and capacity defaults, and
// holidays and staff sorted without duplicates. Stores apply it on every
// write and read, so points saved before these fields existed still work.
func (p PickupPoint) WithDefaults() PickupPoint {
	if p.Opening.IsZero() && p.Hours != "" {
		if w, err := ParseWeeklyHours(p.Hours); err == nil {
			p.Opening = w
		}
	}
	if p.Hours == "" && !p.Opening.IsZero() {
		p.Hours = p.Opening.String()
	}
	if p.SlotMinutes == 0 {
		p.SlotMinutes = DefaultSlotMinutes
	}
	if p.SlotCapacity == 0 {
		p.SlotCapacity = DefaultSlotCapacity
	}
	if len(p.Holidays) > 0 {
		p.Holidays = slices.Clone(p.Holidays)
		slices.SortFunc(p.Holidays, Date.Compare)
		p.Holidays = slices.Compact(p.Holidays)
	}
	if len(p.Staff) > 0 {
		staff := make([]string, 0, len(p.Staff))
		for _, s := range p.Staff {
			staff = append(staff, strings.TrimSpace(s))
		}
		slices.Sort(staff)
		p.Staff = slices.Compact(staff)
	}
	return p
}

// Validate checks a point before it is written (after WithDefaults).
func (p PickupPoint) Validate() error {
	switch {
	case p.Code == "" || len(p.Code) > 32 || strings.ContainsFunc(p.Code, unicode.IsSpace):
		return fmt.Errorf("pickup point code %q: %w", p.Code, ErrInvalid)
	case p.TimeZone == "" || p.TimeZone == "Local":
		return fmt.Errorf("pickup point %s: time zone %q: %w", p.Code, p.TimeZone, ErrInvalid)
	case !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180):
		return fmt.Errorf("pickup point %s: coordinates %v,%v: %w", p.Code, p.Lat, p.Lon, ErrInvalid)
	case p.SlotMinutes < 5 || p.SlotMinutes > 12*60:
		return fmt.Errorf("pickup point %s: slot length %d min: %w", p.Code, p.SlotMinutes, ErrInvalid)
	case p.SlotCapacity < 1 || p.SlotCapacity > 1000:
		return fmt.Errorf("pickup point %s: slot capacity %d: %w", p.Code, p.SlotCapacity, ErrInvalid)
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		return fmt.Errorf("pickup point %s: time zone %q: %w", p.Code, p.TimeZone, ErrInvalid)
	}
	if err := p.Opening.Validate(); err != nil {
		return fmt.Errorf("pickup point %s: %w", p.Code, err)
	}
	for _, d := range p.Holidays {
		if d.IsZero() || d != DateOf(d.Midnight(time.UTC)) {
			return fmt.Errorf("pickup point %s: holiday %v: %w", p.Code, d, ErrInvalid)
		}
	}
	for _, s := range p.Staff {
		if !ValidIdentity(s) {
			return fmt.Errorf("pickup point %s: staff %q: %w", p.Code, s, ErrInvalid)
		}
	}
	return nil
}

// ValidIdentity reports whether s is a chat identity "channel:user":
// a channel of 2–8 lower-case letters, and a user id of 1–128 printable
// characters without spaces.
func ValidIdentity(s string) bool {
	ch, user, ok := strings.Cut(s, ":")
	if !ok || len(ch) < 2 || len(ch) > 8 || user == "" || len(user) > 128 {
		return false
	}
	for _, r := range ch {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	for _, r := range user {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// IsStaff reports whether the identity ("tg:123") works at the point.
func (p PickupPoint) IsStaff(identity string) bool {
	return identity != "" && slices.Contains(p.Staff, identity)
}

// IsHoliday reports whether the point is closed on the local date d.
func (p PickupPoint) IsHoliday(d Date) bool {
	return slices.Contains(p.Holidays, d)
}

// Location loads the point's time zone.
func (p PickupPoint) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil || p.TimeZone == "" {
		return nil, fmt.Errorf("pickup point %s: time zone %q: %w", p.Code, p.TimeZone, ErrInvalid)
	}
	return loc, nil
}

// earthRadius is the mean Earth radius in metres (IUGG).
const earthRadius = 6371008.8

// Distance is the great-circle (haversine) distance in metres between two
// points given in degrees.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadius * math.Asin(math.Sqrt(min(1, a)))
}

// PointDistance is a pickup point and how far it is from the buyer.
type PointDistance struct {
	Point  PickupPoint
	Meters float64
}

// NearestPoints returns up to n of the active points nearest to (lat, lon),
// nearest first (ties by ID). n <= 0 means all.
func NearestPoints(points []PickupPoint, lat, lon float64, n int) []PointDistance {
	out := make([]PointDistance, 0, len(points))
	for _, p := range points {
		if p.Active {
			out = append(out, PointDistance{Point: p, Meters: Distance(lat, lon, p.Lat, p.Lon)})
		}
	}
	slices.SortStableFunc(out, func(a, b PointDistance) int {
		if c := cmp.Compare(a.Meters, b.Meters); c != 0 {
			return c
		}
		return cmp.Compare(a.Point.ID, b.Point.ID)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
