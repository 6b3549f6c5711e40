package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
)

func testSlotGeneration(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	first := func(now time.Time, pt commerce.PickupPoint, n int) []string {
		t.Helper()
		e.clock.Set(now)
		slots, err := e.p.NextSlots(e.ctx, pt.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range slots {
			if s.PointID != pt.ID || s.End.Sub(s.Start) != time.Duration(pt.SlotMinutes)*time.Minute || s.Free() < 1 {
				t.Fatalf("slot %+v", s)
			}
			out = append(out, s.Start.Format("Mon 01-02 15:04 MST"))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		want []string
	}{
		{"before opening", at(25, 9, 0), []string{"Wed 11-25 10:00 CST", "Wed 11-25 10:30 CST"}},
		{"lead time boundary", at(25, 9, 30), []string{"Wed 11-25 10:00 CST", "Wed 11-25 10:30 CST"}},
		{"within lead time", at(25, 9, 31), []string{"Wed 11-25 10:30 CST", "Wed 11-25 11:00 CST"}},
		{"past slots skipped", at(25, 14, 10), []string{"Wed 11-25 15:00 CST", "Wed 11-25 15:30 CST"}},
		{"closed Sunday", at(28, 19, 0), []string{"Sat 11-28 19:30 CST", "Mon 11-30 10:00 CST"}},
		{"holiday", time.Date(2026, 12, 24, 19, 45, 0, 0, shanghai), []string{"Sat 12-26 10:00 CST", "Sat 12-26 10:30 CST"}},
	} {
		if got := first(tc.now, e.a, 2); !slices.Equal(got, tc.want) {
			t.Errorf("%s: NextSlots = %v; want %v", tc.name, got, tc.want)
		}
	}

	// Midnight: a 24-hour counter at 23:40 offers 00:30 next, not 00:00 (within the lead).
	night := e.point("SH-24H", "00:00-24:00", nil)
	if got := first(at(25, 23, 40), night, 2); !slices.Equal(got, []string{"Thu 11-26 00:30 CST", "Thu 11-26 01:00 CST"}) {
		t.Errorf("midnight: %v", got)
	}

	// DST: hourly slots in New York on the night clocks spring forward skip 02:00.
	ny, err := e.s.UpsertPickupPoint(e.ctx, commerce.PickupPoint{Code: "NYC", TimeZone: "America/New_York", Active: true,
		Hours: "00:00-24:00", SlotMinutes: 60, SlotCapacity: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := first(time.Date(2026, 3, 8, 0, 10, 0, 0, newYork), ny, 3)
	if want := []string{"Sun 03-08 01:00 EST", "Sun 03-08 03:00 EDT", "Sun 03-08 04:00 EDT"}; !slices.Equal(got, want) {
		t.Errorf("spring forward: %v; want %v", got, want)
	}
	// … and on the night they fall back, 01:00 is offered once.
	got = first(time.Date(2026, 10, 31, 23, 10, 0, 0, newYork), ny, 3)
	if want := []string{"Sun 11-01 00:00 EDT", "Sun 11-01 01:00 EDT", "Sun 11-01 02:00 EST"}; !slices.Equal(got, want) {
		t.Errorf("fall back: %v; want %v", got, want)
	}

	// A full slot is not offered.
	e.clock.Set(at(25, 9, 0))
	var orders []commerce.Order
	for range 4 {
		orders = append(orders, e.confirmed(alice, e.a))
	}
	for _, o := range e.ready(e.a, orders...) {
		if _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if got := first(at(25, 9, 0), e.a, 1); !slices.Equal(got, []string{"Wed 11-25 10:30 CST"}) {
		t.Errorf("after filling 10:00: %v", got)
	}
	// The horizon bounds the list.
	if all, _ := e.p.NextSlots(e.ctx, e.a.ID, 100); len(all) != 100 {
		t.Errorf("NextSlots(100) = %d slots", len(all))
	}
}

func testBookingRules(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	notReady := e.confirmed(alice, e.a)
	for _, tc := range []struct {
		name  string
		buyer commerce.Buyer
		order commerce.Order
		slot  commerce.PickupSlot
		want  error
	}{
		{"another point's slot", alice, o, slotAt(e.b, at(25, 11, 0)), commerce.ErrInvalid},
		{"past slot", alice, o, slotAt(e.a, at(24, 11, 0)), commerce.ErrInvalid},
		{"before opening", alice, o, slotAt(e.a, at(25, 9, 30)), commerce.ErrInvalid},
		{"after closing", alice, o, slotAt(e.a, at(25, 20, 0)), commerce.ErrInvalid},
		{"off the slot grid", alice, o, slotAt(e.a, at(25, 10, 15)), commerce.ErrInvalid},
		{"closed day", alice, o, slotAt(e.a, at(29, 11, 0)), commerce.ErrInvalid},
		{"holiday", alice, o, slotAt(e.a, time.Date(2026, 12, 25, 11, 0, 0, 0, shanghai)), commerce.ErrInvalid},
		{"beyond the horizon", alice, o, slotAt(e.a, time.Date(2027, 1, 11, 11, 0, 0, 0, shanghai)), commerce.ErrInvalid},
		{"someone else's order", mallory, o, slotAt(e.a, at(25, 11, 0)), commerce.ErrNotFound},
		{"order not arrived", alice, notReady, slotAt(e.a, at(25, 11, 0)), commerce.ErrInvalid},
	} {
		if _, err := e.p.Book(e.ctx, tc.buyer, tc.order.ID, tc.slot); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v; want %v", tc.name, err, tc.want)
		}
	}
	// Clock edges: a slot under way, and one starting within the lead time.
	e.clock.Set(at(25, 10, 5))
	wantErr(t, "slot under way", func() error { _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 0))); return err }(), commerce.ErrInvalid)
	wantErr(t, "within lead time", func() error { _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 30))); return err }(), commerce.ErrInvalid)
	e.clock.Set(at(25, 10, 0))
	if _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 30))); err != nil {
		t.Fatalf("slot exactly the lead time ahead: %v", err)
	}
	if _, err := e.p.CancelBooking(e.ctx, alice, o.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(pickupStart)
	e.log.reset()
	if n := len(e.log.named("slot_booked")); n != 0 || e.booked(e.a, at(25, 11, 0)) != 0 {
		t.Fatalf("rejected bookings left %d events, %d seats", n, e.booked(e.a, at(25, 11, 0)))
	}
}

// testBookReschedule: a booking, a double tap, a reschedule (also into a
// full slot), a cancel, and what the store itself refuses.
func testBookReschedule(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	e.log.reset()
	b1, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 11, 0).UTC()))
	if err != nil || !b1.Active() || b1.OrderID != o.ID || !b1.Start.Equal(at(25, 11, 0)) || b1.End.Sub(b1.Start) != 30*time.Minute {
		t.Fatalf("Book = %+v, %v", b1, err)
	}
	if got, err := e.p.ActiveBooking(e.ctx, alice, o.ID); err != nil || got.ID != b1.ID {
		t.Fatalf("ActiveBooking = %+v, %v", got, err)
	}
	wantErr(t, "ActiveBooking by another buyer", func() error { _, err := e.p.ActiveBooking(e.ctx, mallory, o.ID); return err }(), commerce.ErrNotFound)
	ev := e.log.named("slot_booked")
	if len(ev) != 1 || ev[0].(commerce.SlotBooked).Booking.ID != b1.ID || ev[0].(commerce.SlotBooked).Previous != nil ||
		ev[0].(commerce.SlotBooked).Order.ChatID != "alice" || ev[0].(commerce.SlotBooked).TimeZone != "Asia/Shanghai" {
		t.Fatalf("SlotBooked events = %+v", ev)
	}
	// A double tap books nothing more.
	if again, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 11, 0))); err != nil || again.ID != b1.ID || e.booked(e.a, at(25, 11, 0)) != 1 {
		t.Fatalf("rebook same slot = %+v, %v; seats %d", again, err, e.booked(e.a, at(25, 11, 0)))
	}
	// Reschedule frees the old seat and takes the new one.
	b2, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(26, 15, 30)))
	if err != nil || b2.ID == b1.ID || e.booked(e.a, at(25, 11, 0)) != 0 || e.booked(e.a, at(26, 15, 30)) != 1 {
		t.Fatalf("reschedule = %+v, %v; seats %d/%d", b2, err, e.booked(e.a, at(25, 11, 0)), e.booked(e.a, at(26, 15, 30)))
	}
	if old, _ := e.p.Booking(e.ctx, b1.ID); old.Status != commerce.BookingStatusRescheduled {
		t.Fatalf("old booking status %s", old.Status)
	}
	ev = e.log.named("slot_booked")
	if prev := ev[len(ev)-1].(commerce.SlotBooked).Previous; prev == nil || prev.ID != b1.ID {
		t.Fatalf("reschedule event Previous = %+v", prev)
	}
	// Rescheduling into a full slot changes nothing.
	var others []commerce.Order
	for range 4 {
		others = append(others, e.confirmed(alice, e.a))
	}
	for _, x := range e.ready(e.a, others...) {
		if _, err := e.p.Book(e.ctx, alice, x.ID, slotAt(e.a, at(27, 10, 0))); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "reschedule into a full slot", func() error { _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(27, 10, 0))); return err }(), commerce.ErrSlotFull)
	if cur, _ := e.p.ActiveBooking(e.ctx, alice, o.ID); cur.ID != b2.ID || e.booked(e.a, at(26, 15, 30)) != 1 || e.booked(e.a, at(27, 10, 0)) != 4 {
		t.Fatalf("failed reschedule moved something: %+v", cur)
	}
	// Cancel frees the seat.
	wantErr(t, "cancel by another buyer", func() error { _, err := e.p.CancelBooking(e.ctx, mallory, o.ID); return err }(), commerce.ErrNotFound)
	c, err := e.p.CancelBooking(e.ctx, alice, o.ID)
	if err != nil || c.Status != commerce.BookingStatusCancelled || e.booked(e.a, at(26, 15, 30)) != 0 {
		t.Fatalf("cancel = %+v, %v; seats %d", c, err, e.booked(e.a, at(26, 15, 30)))
	}
	if ev := e.log.named("booking_cancelled"); len(ev) != 1 || ev[0].(commerce.BookingCancelled).Booking.ID != b2.ID {
		t.Fatalf("BookingCancelled events = %+v", ev)
	}
	wantErr(t, "cancel twice", func() error { _, err := e.p.CancelBooking(e.ctx, alice, o.ID); return err }(), commerce.ErrNotFound)
	wantErr(t, "ActiveBooking after cancel", func() error { _, err := e.p.ActiveBooking(e.ctx, alice, o.ID); return err }(), commerce.ErrNotFound)
	// The store itself refuses an order that is not ready at the slot's point.
	sl, _ := commerce.FindSlot(e.b, shanghai, at(26, 10, 0))
	wantErr(t, "store BookSlot at another point", func() error { _, err := e.s.BookSlot(e.ctx, o.ID, sl, e.clock.Now()); return err }(), commerce.ErrConflict)
	wantErr(t, "store BookSlot of a missing order", func() error { _, err := e.s.BookSlot(e.ctx, 987654, sl, e.clock.Now()); return err }(), commerce.ErrNotFound)
}

func testSlotCapacityRace(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	var orders []commerce.Order
	for i := range 30 {
		orders = append(orders, e.confirmed(commerce.Buyer{Channel: "tg", UserID: fmt.Sprint(1000 + i)}, e.a))
	}
	orders = e.ready(e.a, orders...)
	slot := slotAt(e.a, at(25, 12, 0))
	var ok, full atomic.Int64
	var wg sync.WaitGroup
	for _, o := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.p.Book(e.ctx, o.Buyer, o.ID, slot)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, commerce.ErrSlotFull):
				full.Add(1)
			default:
				t.Errorf("Book: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 4 || full.Load() != 26 || e.booked(e.a, slot.Start) != 4 || len(e.log.named("slot_booked")) != 4 {
		t.Fatalf("booked %d, full %d, seats %d, events %d; want 4, 26, 4, 4", ok.Load(), full.Load(), e.booked(e.a, slot.Start), len(e.log.named("slot_booked")))
	}

	// Holders moving out while others rush in: the slot never exceeds its capacity.
	var holders, rest []commerce.Order
	for _, o := range orders {
		if _, err := e.s.ActiveBooking(e.ctx, o.ID); err == nil {
			holders = append(holders, o)
		} else {
			rest = append(rest, o)
		}
	}
	for _, o := range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.p.Book(e.ctx, o.Buyer, o.ID, slotAt(e.a, at(25, 12, 30))); err != nil {
				t.Errorf("move out: %v", err)
			}
		}()
	}
	var in atomic.Int64
	for _, o := range rest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.p.Book(e.ctx, o.Buyer, o.ID, slot); err == nil {
				in.Add(1)
			} else if !errors.Is(err, commerce.ErrSlotFull) {
				t.Errorf("rush in: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := e.booked(e.a, slot.Start); n > 4 || int64(n) != in.Load() || e.booked(e.a, at(25, 12, 30)) != 4 {
		t.Fatalf("after the swap: 12:00 has %d seats taken (%d bookings), 12:30 has %d", n, in.Load(), e.booked(e.a, at(25, 12, 30)))
	}
}

func testOneOrderRace(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(26, 10, 0).Add(time.Duration(i%5)*30*time.Minute)))
			if err != nil && !errors.Is(err, commerce.ErrConflict) {
				t.Errorf("Book: %v", err)
			}
		}()
	}
	wg.Wait()
	active, err := e.s.ActiveBooking(e.ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := range 5 {
		total += e.booked(e.a, at(26, 10, 0).Add(time.Duration(i)*30*time.Minute))
	}
	if total != 1 || e.booked(e.a, active.Start) != 1 {
		t.Fatalf("one order holds %d seats; active booking at %v", total, active.Start)
	}
}

func testMissedSlot(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	b, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 0)))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(at(25, 10, 44)) // slot ended 10:30; grace 15 min
	if ok, err := e.p.ReleaseMissed(e.ctx, b.ID); ok || err != nil {
		t.Fatalf("early release = %v, %v", ok, err)
	}
	if n, err := e.p.ReleaseMissedDue(e.ctx); n != 0 || err != nil {
		t.Fatalf("early sweep = %d, %v", n, err)
	}
	e.clock.Set(at(25, 10, 45))
	if ok, err := e.p.ReleaseMissed(e.ctx, b.ID); !ok || err != nil {
		t.Fatalf("release = %v, %v", ok, err)
	}
	if ok, err := e.p.ReleaseMissed(e.ctx, b.ID); ok || err != nil {
		t.Fatalf("second release = %v, %v", ok, err)
	}
	if got, _ := e.p.Booking(e.ctx, b.ID); got.Status != commerce.BookingStatusMissed || e.booked(e.a, at(25, 10, 0)) != 0 {
		t.Fatalf("missed booking = %+v; seats %d", got, e.booked(e.a, at(25, 10, 0)))
	}
	if ev := e.log.named("booking_missed"); len(ev) != 1 || ev[0].(commerce.BookingMissed).Order.ID != o.ID {
		t.Fatalf("BookingMissed events = %+v", ev)
	}
	// The buyer rebooks; the sweep releases that one too once it is missed.
	b2, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 14, 0)))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(at(26, 9, 0))
	if n, err := e.p.ReleaseMissedDue(e.ctx); n != 1 || err != nil {
		t.Fatalf("sweep = %d, %v", n, err)
	}
	if got, _ := e.p.Booking(e.ctx, b2.ID); got.Status != commerce.BookingStatusMissed {
		t.Fatalf("swept booking = %+v", got)
	}
	if res, err := e.p.Sweep(e.ctx); err != nil || res.Missed != 0 {
		t.Fatalf("Sweep = %+v, %v", res, err)
	}
	wantErr(t, "release a missing booking", func() error { _, err := e.p.ReleaseMissed(e.ctx, 999999); return err }(), commerce.ErrNotFound)
}
