package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxSlotsListed caps NextSlots.
const maxSlotsListed = 100

// NextSlots returns up to n (default 6, at most 100) free slots of a point,
// soonest first: from its opening hours, skipping holidays, closed days,
// slots starting within the lead time and full slots, up to the horizon.
// Times are in the point's zone.
func (p *Pickup) NextSlots(ctx context.Context, pointID int64, n int) ([]PickupSlot, error) {
	if n <= 0 {
		n = 6
	}
	n = min(n, maxSlotsListed)
	pt, err := p.store.PickupPoint(ctx, pointID)
	if err != nil {
		return nil, err
	}
	if !pt.Active {
		return nil, fmt.Errorf("pickup point %s inactive: %w", pt.Code, ErrInvalid)
	}
	loc, err := p.Location(pt)
	if err != nil {
		return nil, err
	}
	now := p.clock.Now()
	cands := GenerateSlots(pt, loc, now.Add(p.lead), now.Add(p.horizon))
	if len(cands) == 0 {
		return nil, nil
	}
	used, err := p.store.SlotUsage(ctx, pointID, cands[0].Start, cands[len(cands)-1].Start.Add(time.Millisecond))
	if err != nil {
		return nil, err
	}
	booked := make(map[int64]int, len(used))
	for _, u := range used {
		booked[u.Start.UnixMilli()] = u.Booked
	}
	out := make([]PickupSlot, 0, n)
	for _, s := range cands {
		s.Booked = booked[s.Start.UnixMilli()]
		if !s.Full() {
			out = append(out, s)
			if len(out) == n {
				break
			}
		}
	}
	return out, nil
}

// checkSlot returns the point's slot matching the requested one, or
// ErrInvalid if it is at another point, not within opening hours (closed
// day, holiday, off the slot grid), in the past, within the lead time or
// beyond the horizon.
func (p *Pickup) checkSlot(pt PickupPoint, want PickupSlot, now time.Time) (PickupSlot, error) {
	if want.PointID != pt.ID {
		return PickupSlot{}, fmt.Errorf("slot of point %d for an order at point %d: %w", want.PointID, pt.ID, ErrInvalid)
	}
	if !pt.Active {
		return PickupSlot{}, fmt.Errorf("pickup point %s inactive: %w", pt.Code, ErrInvalid)
	}
	loc, err := p.Location(pt)
	if err != nil {
		return PickupSlot{}, err
	}
	s, ok := FindSlot(pt, loc, want.Start)
	switch {
	case !ok:
		return s, fmt.Errorf("no slot at %s at point %s: %w", want.Start.In(loc).Format(time.RFC3339), pt.Code, ErrInvalid)
	case !s.Start.After(now):
		return s, fmt.Errorf("slot %s is past: %w", s.Start.Format(time.RFC3339), ErrInvalid)
	case s.Start.Before(now.Add(p.lead)):
		return s, fmt.Errorf("slot %s starts within %v: %w", s.Start.Format(time.RFC3339), p.lead, ErrInvalid)
	case !s.Start.Before(now.Add(p.horizon)):
		return s, fmt.Errorf("slot %s is beyond the booking horizon: %w", s.Start.Format(time.RFC3339), ErrInvalid)
	}
	return s, nil
}

// ownOrder returns the order of the buyer's person; ErrNotFound for anyone else's.
func (p *Pickup) ownOrder(ctx context.Context, b Buyer, id int64) (Order, error) {
	return ownOrder(ctx, p.store, b, id)
}

// Book books the buyer's ready_for_pickup order into a slot of its own
// pickup point (slot.PointID and slot.Start identify it; the rest is
// ignored). If the order already has a booking it is moved: the old seat is
// freed and the new one taken atomically; booking the same slot again
// returns the booking unchanged. ErrNotFound for another buyer's order;
// ErrInvalid if the order is not ready for pickup or the slot is at another
// point, out of hours, past, within the lead time or beyond the horizon;
// ErrSlotFull if no seat is left; ErrConflict if the order changed
// meanwhile (collected, or a concurrent booking won).
func (p *Pickup) Book(ctx context.Context, b Buyer, orderID int64, slot PickupSlot) (Booking, error) {
	o, err := p.ownOrder(ctx, b, orderID)
	if err != nil {
		return Booking{}, err
	}
	if o.Status != StatusReadyForPickup {
		return Booking{}, fmt.Errorf("order %s is %s, not ready for pickup: %w", o.Number, o.Status, ErrInvalid)
	}
	pt, err := p.store.PickupPoint(ctx, o.PickupPointID)
	if err != nil {
		return Booking{}, err
	}
	now := p.clock.Now()
	s, err := p.checkSlot(pt, slot, now)
	if err != nil {
		return Booking{}, err
	}
	return p.store.BookSlot(ctx, o.ID, s, now)
}

// CancelBooking cancels the buyer's booking and frees its seat.
// ErrNotFound if the order is not the buyer's or has no active booking.
func (p *Pickup) CancelBooking(ctx context.Context, b Buyer, orderID int64) (Booking, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return Booking{}, err
	}
	return p.store.CancelBooking(ctx, orderID, p.clock.Now())
}

// ActiveBooking returns the buyer's booking for an order. ErrNotFound if the
// order is not the buyer's or has no active booking.
func (p *Pickup) ActiveBooking(ctx context.Context, b Buyer, orderID int64) (Booking, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return Booking{}, err
	}
	return p.store.ActiveBooking(ctx, orderID)
}

// Booking returns a booking in any status (for reminder jobs: remind only
// while it is Active and still starts when the job expected).
func (p *Pickup) Booking(ctx context.Context, id int64) (Booking, error) {
	return p.store.Booking(ctx, id)
}

// ReleaseMissed releases a booking nobody came for once its slot ended more
// than the grace period ago, emitting BookingMissed. It reports whether it
// released it; a booking not yet due, collected, cancelled or moved is left
// alone (false, nil). Run it from a job scheduled at End + Grace.
func (p *Pickup) ReleaseMissed(ctx context.Context, bookingID int64) (bool, error) {
	bk, err := p.store.Booking(ctx, bookingID)
	if err != nil {
		return false, err
	}
	now := p.clock.Now()
	if !bk.Active() || now.Before(bk.End.Add(p.grace)) {
		return false, nil
	}
	_, err = p.store.ReleaseMissedBooking(ctx, bookingID, now.Add(-p.grace), now)
	if errors.Is(err, ErrConflict) {
		return false, nil // collected or moved meanwhile
	}
	return err == nil, err
}

// ReleaseMissedDue releases every missed booking that is due; the safety
// net behind the per-booking job. It returns how many it released.
func (p *Pickup) ReleaseMissedDue(ctx context.Context) (int, error) {
	ids, err := p.store.MissedBookings(ctx, p.clock.Now().Add(-p.grace), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		ok, err := p.ReleaseMissed(ctx, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
