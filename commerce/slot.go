package commerce

import (
	"time"
)

// PickupSlot is a bookable interval at a pickup point. Slots are generated
// from the point's opening hours; the database keeps a row per slot only once
// someone books it, holding Capacity and Booked.
type PickupSlot struct {
	PointID    int64
	Start, End time.Time
	Capacity   int
	Booked     int
}

// Free is how many more bookings the slot takes.
func (s PickupSlot) Free() int { return max(0, s.Capacity-s.Booked) }

// Full reports whether the slot takes no more bookings.
func (s PickupSlot) Full() bool { return s.Free() == 0 }

// SlotsOn returns the point's slots on the local date d in loc, in order:
// every SlotMinutes from opening time while the slot ends by closing time,
// none on a holiday or a closed day.
//
// Slots follow the wall clock of the point's zone. Across a daylight-saving
// change a wall-clock start that does not exist (the skipped hour) yields no
// slot, and one that occurs twice (the repeated hour) yields one slot at its
// first occurrence; every slot lasts exactly SlotMinutes of real time.
func SlotsOn(p PickupPoint, loc *time.Location, d Date) []PickupSlot {
	h := p.Opening.On(d.Weekday())
	if h.Closed() || p.IsHoliday(d) || p.SlotMinutes <= 0 {
		return nil
	}
	length := time.Duration(p.SlotMinutes) * time.Minute
	var out []PickupSlot
	for m := h.Open; m+p.SlotMinutes <= h.Close; m += p.SlotMinutes {
		start := time.Date(d.Year, d.Month, d.Day, m/60, m%60, 0, 0, loc)
		if start.Hour()*60+start.Minute() != m || DateOf(start) != d {
			continue // inside the hour the clocks skip
		}
		if n := len(out); n > 0 && !start.After(out[n-1].Start) {
			continue // a zone whose offset jumps back by more than a slot
		}
		out = append(out, PickupSlot{PointID: p.ID, Start: start, End: start.Add(length), Capacity: p.SlotCapacity})
	}
	return out
}

// maxSlotDays bounds slot generation, whatever range is asked for.
const maxSlotDays = 400

// GenerateSlots returns the point's slots whose start is in [from, to), in
// order, from its opening hours alone (Booked is 0).
func GenerateSlots(p PickupPoint, loc *time.Location, from, to time.Time) []PickupSlot {
	var out []PickupSlot
	last := DateOf(to.In(loc))
	d := DateOf(from.In(loc))
	for i := 0; i < maxSlotDays && d.Compare(last) <= 0; i, d = i+1, d.AddDays(1) {
		for _, s := range SlotsOn(p, loc, d) {
			if !s.Start.Before(from) && s.Start.Before(to) {
				out = append(out, s)
			}
		}
	}
	return out
}

// FindSlot returns the point's slot starting at start, if the opening hours
// have one (start need not be in loc).
func FindSlot(p PickupPoint, loc *time.Location, start time.Time) (PickupSlot, bool) {
	for _, s := range SlotsOn(p, loc, DateOf(start.In(loc))) {
		if s.Start.Equal(start) {
			return s, true
		}
	}
	return PickupSlot{}, false
}

// BookingStatus is the state of a booking.
type BookingStatus string

const (
	BookingStatusActive      BookingStatus = "active"      // holds a seat in its slot
	BookingStatusCancelled   BookingStatus = "cancelled"   // cancelled by the buyer; seat freed
	BookingStatusRescheduled BookingStatus = "rescheduled" // replaced by a booking of another slot; seat freed
	BookingStatusMissed      BookingStatus = "missed"      // nobody came by End + grace; seat freed
	BookingStatusCollected   BookingStatus = "collected"   // the order was picked up while booked
)

// Booking is an order's reservation of a seat in a pickup slot. An order has
// at most one active booking.
type Booking struct {
	ID        int64
	OrderID   int64
	PointID   int64
	Start     time.Time
	End       time.Time
	Status    BookingStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Active reports whether the booking still holds its seat.
func (b Booking) Active() bool { return b.Status == BookingStatusActive }

// ReminderKind names a booking reminder.
type ReminderKind string

const (
	ReminderDayBefore  ReminderKind = "day_before"  // the same wall-clock time the day before
	ReminderHourBefore ReminderKind = "hour_before" // one hour before the slot starts
)

// Reminder is when to remind the buyer of a booked slot.
type Reminder struct {
	Kind ReminderKind
	At   time.Time
}

// Reminders returns the reminders of a slot starting at start in the point's
// zone loc that are still ahead of now: the day-before one at the same
// wall-clock time on the previous local day (so 23 or 25 hours before across
// a daylight-saving change), and the hour-before one. A slot booked less than
// a day ahead gets only the hour-before reminder, and so on.
func Reminders(start time.Time, loc *time.Location, now time.Time) []Reminder {
	local := start.In(loc)
	y, m, d := local.Date()
	dayBefore := time.Date(y, m, d-1, local.Hour(), local.Minute(), local.Second(), 0, loc)
	var out []Reminder
	for _, r := range []Reminder{{ReminderDayBefore, dayBefore}, {ReminderHourBefore, start.Add(-time.Hour).In(loc)}} {
		if r.At.After(now) && r.At.Before(start) {
			out = append(out, r)
		}
	}
	return out
}
