package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// PickupTestStore is what the pickup suite needs: the shop's store (to set
// up catalog and orders) and the Pickup service's.
type PickupTestStore interface {
	commerce.Store
	commerce.PickupServiceStore
}

// OpenPickupStore returns a fresh, empty, migrated store whose event hook
// calls hook inside the transaction that emitted the event.
type OpenPickupStore func(t *testing.T, hook func(commerce.Event) error) PickupTestStore

// eventLog records events; failNext makes the hook fail for one event name.
type eventLog struct {
	mu     sync.Mutex
	events []commerce.Event
	fail   string
}

func (l *eventLog) hook(e commerce.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != "" && l.fail == e.EventName() {
		return errors.New("queue down")
	}
	l.events = append(l.events, e)
	return nil
}

// named returns the recorded events with that name, in order.
func (l *eventLog) named(name string) []commerce.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []commerce.Event
	for _, e := range l.events {
		if e.EventName() == name {
			out = append(out, e)
		}
	}
	return out
}

func (l *eventLog) reset() {
	l.mu.Lock()
	l.events = nil
	l.mu.Unlock()
}

var (
	shanghai = mustZone("Asia/Shanghai")
	newYork  = mustZone("America/New_York")
	// start: Wednesday 2026-11-25 09:00 in Shanghai.
	pickupStart = time.Date(2026, 11, 25, 9, 0, 0, 0, shanghai)
	testSecret  = []byte("storetest pickup secret, 32+ bytes long")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// pickupEnv is a store with two Shanghai points, a product, a clock and a
// Pickup service.
type pickupEnv struct {
	t      *testing.T
	ctx    context.Context
	s      PickupTestStore
	log    *eventLog
	clock  *testenv.Clock
	p      *commerce.Pickup
	a, b   commerce.PickupPoint
	prod   commerce.Product
	orders atomic.Int64
}

var (
	alice   = commerce.Buyer{Channel: "web", UserID: "alice"}
	mallory = commerce.Buyer{Channel: "web", UserID: "mallory"}
)

func newPickupEnv(t *testing.T, open OpenPickupStore, tune func(*commerce.PickupOptions)) *pickupEnv {
	t.Helper()
	e := &pickupEnv{t: t, ctx: context.Background(), log: &eventLog{}, clock: testenv.NewClock(pickupStart)}
	e.s = open(t, e.log.hook)
	cat, err := e.s.UpsertCategory(e.ctx, commerce.Category{Slug: "shoes", Title: commerce.Text{"en": "Shoes"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.prod, err = e.s.UpsertProduct(e.ctx, commerce.Product{SKU: "SHOE-1", CategoryID: cat.ID, Title: commerce.Text{"en": "Sneakers"},
		Description: commerce.Text{"en": "d"}, Price: commerce.CNY(59900), Origin: commerce.OriginDutyPaid, Stock: 10000, Active: true}); err != nil {
		t.Fatal(err)
	}
	staffA := []string{"tg:100", "web:anna"}
	for i := 1; i <= 10; i++ {
		staffA = append(staffA, fmt.Sprintf("tg:%d", i))
	}
	e.a = e.point("SH-A", "Mo-Sa 10:00-20:00", staffA, commerce.Date{Year: 2026, Month: time.December, Day: 25})
	e.b = e.point("SH-B", "Mo-Sa 10:00-20:00", []string{"tg:200"})
	opts := commerce.PickupOptions{Store: e.s, Clock: e.clock, Secret: testSecret, Lead: 30 * time.Minute, Grace: 15 * time.Minute,
		HoldPeriod: 7 * 24 * time.Hour, ReturnPeriod: 7 * 24 * time.Hour, CodeTTL: 30 * 24 * time.Hour}
	if tune != nil {
		tune(&opts)
	}
	if e.p, err = commerce.NewPickup(opts); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *pickupEnv) point(code, hours string, staff []string, holidays ...commerce.Date) commerce.PickupPoint {
	e.t.Helper()
	w, err := commerce.ParseWeeklyHours(hours)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := e.s.UpsertPickupPoint(e.ctx, commerce.PickupPoint{Code: code, City: commerce.Text{"en": "Shanghai"},
		Name: commerce.Text{"en": code}, Address: commerce.Text{"en": "1 Test Rd"}, TimeZone: "Asia/Shanghai",
		Lat: 31.23, Lon: 121.47, Active: true, Opening: w, Holidays: holidays, SlotMinutes: 30, SlotCapacity: 4, Staff: staff})
	if err != nil {
		e.t.Fatalf("UpsertPickupPoint %s: %v", code, err)
	}
	return p
}

// confirmed places a confirmed order of buyer for point.
func (e *pickupEnv) confirmed(b commerce.Buyer, pt commerce.PickupPoint) commerce.Order {
	e.t.Helper()
	n := e.orders.Add(1)
	now := e.clock.Now()
	o, _, err := e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID, Lang: "en",
		Status: commerce.StatusPending, PickupPointID: pt.ID, ContactName: "Alice Li", Phone: "+8613800000000",
		IdempotencyKey: fmt.Sprintf("pickup-%d", n), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: 1}},
		Total: e.prod.Price})
	if err != nil {
		e.t.Fatalf("PlaceOrder: %v", err)
	}
	if o, err = e.s.SetOrderStatus(e.ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now); err != nil {
		e.t.Fatalf("confirm: %v", err)
	}
	return o
}

// ready ships and checks in orders at pt; they must all move.
func (e *pickupEnv) ready(pt commerce.PickupPoint, orders ...commerce.Order) []commerce.Order {
	e.t.Helper()
	var numbers []string
	for _, o := range orders {
		numbers = append(numbers, o.Number)
	}
	if r, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: pt.ID, Numbers: numbers}); err != nil || len(r.Moved) != len(orders) {
		e.t.Fatalf("Ship = %+v, %v", r, err)
	}
	r, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: pt.ID, Numbers: numbers})
	if err != nil || len(r.Moved) != len(orders) {
		e.t.Fatalf("MarkArrived = %+v, %v", r, err)
	}
	return r.Moved
}

// readyOrder is one ready_for_pickup order of buyer at pt.
func (e *pickupEnv) readyOrder(b commerce.Buyer, pt commerce.PickupPoint) commerce.Order {
	e.t.Helper()
	return e.ready(pt, e.confirmed(b, pt))[0]
}

func at(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, shanghai) }

func slotAt(pt commerce.PickupPoint, start time.Time) commerce.PickupSlot {
	return commerce.PickupSlot{PointID: pt.ID, Start: start}
}

// booked is how many seats of a slot are taken.
func (e *pickupEnv) booked(pt commerce.PickupPoint, start time.Time) int {
	e.t.Helper()
	u, err := e.s.SlotUsage(e.ctx, pt.ID, start, start.Add(time.Millisecond))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(u) == 0 {
		return 0
	}
	return u[0].Booked
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v; want %v", what, err, want)
	}
}

// tamper changes one character in the middle of a token.
func tamper(token string) string {
	b := []byte(token)
	if b[20] == 'A' {
		b[20] = 'B'
	} else {
		b[20] = 'A'
	}
	return string(b)
}

func (e *pickupEnv) pass(o commerce.Order) commerce.PickupPass {
	e.t.Helper()
	p, err := e.p.Pass(e.ctx, o.Buyer, o.ID)
	if err != nil {
		e.t.Fatalf("Pass: %v", err)
	}
	return p
}

// RunPickupStore runs the pickup conformance suite: slots, bookings,
// arrival, codes and redemption, holds and returns, through the
// commerce.Pickup service with an injected clock, including the
// concurrency claims (slot capacity, double redemption).
func RunPickupStore(t *testing.T, open OpenPickupStore) {
	t.Run("points", func(t *testing.T) { testPickupPoints(t, open) })
	t.Run("slot generation", func(t *testing.T) { testSlotGeneration(t, open) })
	t.Run("booking rules", func(t *testing.T) { testBookingRules(t, open) })
	t.Run("slot capacity under concurrency", func(t *testing.T) { testSlotCapacityRace(t, open) })
	t.Run("one order booked concurrently", func(t *testing.T) { testOneOrderRace(t, open) })
	t.Run("missed slot", func(t *testing.T) { testMissedSlot(t, open) })
	t.Run("arrival", func(t *testing.T) { testArrival(t, open) })
	t.Run("code collisions", func(t *testing.T) { testCodeCollisions(t, open) })
	t.Run("redemption", func(t *testing.T) { testRedemption(t, open) })
	t.Run("double redemption", func(t *testing.T) { testDoubleRedemption(t, open) })
	t.Run("wrong-code rate limit", func(t *testing.T) { testRateLimit(t, open) })
	t.Run("hold period", func(t *testing.T) { testHoldPeriod(t, open) })
	t.Run("returns", func(t *testing.T) { testReturns(t, open) })
	t.Run("events in transaction", func(t *testing.T) { testPickupEventsRollBack(t, open) })
}

func testPickupPoints(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	got, err := e.s.PickupPoint(e.ctx, e.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Opening.String() != "Mo-Sa 10:00-20:00" || got.Hours != "Mo-Sa 10:00-20:00" || got.SlotMinutes != 30 || got.SlotCapacity != 4 ||
		len(got.Holidays) != 1 || got.Holidays[0] != (commerce.Date{Year: 2026, Month: 12, Day: 25}) || len(got.Staff) != 12 ||
		!got.IsStaff("web:anna") || !slices.IsSorted(got.Staff) {
		t.Fatalf("point = %+v", got)
	}
	all, err := e.s.PickupPoints(e.ctx)
	if err != nil || len(all) != 2 || len(all[1].Staff) != 1 || all[1].Staff[0] != "tg:200" {
		t.Fatalf("PickupPoints = %+v, %v", all, err)
	}
	// Display-only Hours derive the schedule; staff lists are replaced on upsert.
	c, err := e.s.UpsertPickupPoint(e.ctx, commerce.PickupPoint{Code: "HZ", TimeZone: "Asia/Shanghai", Hours: "10:00–21:00",
		Lat: 30.27, Lon: 120.16, Active: true, Staff: []string{"tg:200", "wx:oAbc"}})
	if err != nil || c.Opening.String() != "Mo-Su 10:00-21:00" || c.Hours != "10:00–21:00" || c.SlotCapacity != commerce.DefaultSlotCapacity {
		t.Fatalf("upsert with display hours = %+v, %v", c, err)
	}
	if pts, err := e.p.StaffPoints(e.ctx, "tg:200"); err != nil || len(pts) != 2 || pts[0].Code != "SH-B" || pts[1].Code != "HZ" {
		t.Fatalf("StaffPoints(tg:200) = %+v, %v", pts, err)
	}
	c.Staff, c.Active = []string{"wx:oAbc"}, false
	if _, err := e.s.UpsertPickupPoint(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	if pts, _ := e.p.StaffPoints(e.ctx, "tg:200"); len(pts) != 1 {
		t.Fatalf("StaffPoints after staff change = %+v", pts)
	}
	if pts, _ := e.p.StaffPoints(e.ctx, "wx:oAbc"); len(pts) != 0 {
		t.Fatalf("inactive point listed for its staff: %+v", pts)
	}
	if pts, _ := e.p.StaffPoints(e.ctx, "tg:999"); len(pts) != 0 {
		t.Fatalf("StaffPoints(stranger) = %+v", pts)
	}
	for name, bad := range map[string]commerce.PickupPoint{
		"zone":  {Code: "X1", TimeZone: "Nowhere/Town"},
		"staff": {Code: "X2", TimeZone: "UTC", Staff: []string{"not an identity"}},
		"slot":  {Code: "X3", TimeZone: "UTC", SlotMinutes: 1},
	} {
		if _, err := e.s.UpsertPickupPoint(e.ctx, bad); !errors.Is(err, commerce.ErrInvalid) {
			t.Errorf("upsert bad %s: %v; want ErrInvalid", name, err)
		}
	}
	near, err := e.p.Nearest(e.ctx, 31.23, 121.47, 5)
	if err != nil || len(near) != 2 {
		t.Fatalf("Nearest = %+v, %v", near, err)
	}
}

func testSlotGeneration(t *testing.T, open OpenPickupStore) {
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

func testBookingRules(t *testing.T, open OpenPickupStore) {
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

func testSlotCapacityRace(t *testing.T, open OpenPickupStore) {
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

func testOneOrderRace(t *testing.T, open OpenPickupStore) {
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

func testMissedSlot(t *testing.T, open OpenPickupStore) {
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

func testArrival(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	o1, o2 := e.confirmed(alice, e.a), e.confirmed(alice, e.a)
	o3 := e.confirmed(alice, e.b)
	pending, _, err := e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: alice, ChatID: "alice", Lang: "en",
		Status: commerce.StatusPending, PickupPointID: e.a.ID, ContactName: "A", Phone: "+8613800000000", IdempotencyKey: "arrival-pending",
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour), Total: e.prod.Price,
		Lines: []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: 1}}})
	if err != nil {
		t.Fatal(err)
	}

	r, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: " b-1125 ",
		Numbers: []string{strings.ToLower(o1.Number), o2.Number, o3.Number, pending.Number, "ZZZZZZ", o1.Number}})
	if err != nil {
		t.Fatal(err)
	}
	wantSkips := []commerce.Skipped{{Number: o3.Number, Reason: commerce.SkipOtherPoint, Status: commerce.StatusConfirmed},
		{Number: pending.Number, Reason: commerce.SkipWrongStatus, Status: commerce.StatusPending}, {Number: "ZZZZZZ", Reason: commerce.SkipUnknown}}
	if len(r.Moved) != 2 || r.Moved[0].ID != o1.ID || r.Moved[1].Status != commerce.StatusShipped || !slices.Equal(r.Skipped, wantSkips) {
		t.Fatalf("Ship = %+v", r)
	}
	batch, err := e.s.Batch(e.ctx, "B-1125")
	if err != nil || batch.PointID != e.a.ID || !slices.Equal(batch.OrderIDs, []int64{o1.ID, o2.ID}) {
		t.Fatalf("Batch = %+v, %v", batch, err)
	}
	wantErr(t, "ship to another point's batch", func() error {
		_, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.b.ID, Batch: "B-1125", Numbers: []string{o3.Number}})
		return err
	}(), commerce.ErrWrongPoint)
	if cur, _ := e.s.Order(e.ctx, o3.ID); cur.Status != commerce.StatusConfirmed {
		t.Fatalf("a refused shipment moved an order: %s", cur.Status)
	}
	wantErr(t, "arrival of another point's batch", func() error {
		_, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.b.ID, Batch: "B-1125"})
		return err
	}(), commerce.ErrWrongPoint)
	wantErr(t, "arrival of an unknown batch", func() error {
		_, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: "NOPE"})
		return err
	}(), commerce.ErrNotFound)
	wantErr(t, "empty arrival", func() error { _, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID}); return err }(), commerce.ErrInvalid)
	wantErr(t, "bad batch code", func() error {
		_, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: "no spaces please", Numbers: []string{o1.Number}})
		return err
	}(), commerce.ErrInvalid)

	e.log.reset()
	r, err = e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Batch: "b-1125", Numbers: []string{o3.Number}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Moved) != 2 || r.Moved[0].Status != commerce.StatusReadyForPickup || len(r.Skipped) != 1 || r.Skipped[0].Reason != commerce.SkipOtherPoint {
		t.Fatalf("MarkArrived = %+v", r)
	}
	changes := e.log.named("order_status_changed")
	if len(changes) != 4 || changes[0].(commerce.OrderStatusChanged).To != commerce.StatusArrived || changes[1].(commerce.OrderStatusChanged).To != commerce.StatusReadyForPickup {
		t.Fatalf("status events = %+v", changes)
	}
	arrived := e.log.named("order_arrived")
	if len(arrived) != 2 || arrived[0].(commerce.OrderArrived).Order.ID != o1.ID || arrived[0].(commerce.OrderArrived).Order.Status != commerce.StatusReadyForPickup ||
		!arrived[0].(commerce.OrderArrived).ReadyAt.Equal(pickupStart) {
		t.Fatalf("OrderArrived events = %+v", arrived)
	}
	c1, err1 := e.s.CodeOf(e.ctx, o1.ID)
	c2, err2 := e.s.CodeOf(e.ctx, o2.ID)
	if err1 != nil || err2 != nil || !commerce.ValidPickupCode(c1.Code) || c1.Code == c2.Code || c1.PointID != e.a.ID ||
		!c1.ExpiresAt.Equal(pickupStart.Add(30*24*time.Hour)) || c1.Redeemed() {
		t.Fatalf("codes %+v %+v (%v, %v)", c1, c2, err1, err2)
	}
	wantErr(t, "code of an order not arrived", func() error { _, err := e.s.CodeOf(e.ctx, o3.ID); return err }(), commerce.ErrNotFound)
	// A repeated check-in is harmless.
	r, err = e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o1.Number}})
	if err != nil || len(r.Moved) != 0 || r.Skipped[0].Reason != commerce.SkipWrongStatus || r.Skipped[0].Status != commerce.StatusReadyForPickup {
		t.Fatalf("second MarkArrived = %+v, %v", r, err)
	}
	if again, _ := e.s.CodeOf(e.ctx, o1.ID); again.Code != c1.Code {
		t.Fatal("a repeated check-in changed the code")
	}
}

func testCodeCollisions(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	var orders []commerce.Order
	for _, pt := range []commerce.PickupPoint{e.a, e.a, e.b} {
		o := e.confirmed(alice, pt)
		if _, err := e.s.ShipOrder(e.ctx, o.ID, pt.ID, "", e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	seq := []string{"111111", "111111", "222222", "111111"}
	var i int
	next := func() string { i++; return seq[i-1] }
	arrive := func(o commerce.Order) commerce.PickupCode {
		t.Helper()
		_, c, err := e.s.ArriveOrder(e.ctx, commerce.ArrivalRecord{OrderID: o.ID, PointID: o.PickupPointID, At: e.clock.Now(),
			ExpiresAt: e.clock.Now().Add(time.Hour), NewCode: next})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := arrive(orders[0]); c.Code != "111111" {
		t.Fatalf("first code %s", c.Code)
	}
	if c := arrive(orders[1]); c.Code != "222222" || i != 3 {
		t.Fatalf("colliding code not retried: %s after %d tries", c.Code, i)
	}
	if c := arrive(orders[2]); c.Code != "111111" {
		t.Fatalf("code at another point = %s; the same digits are fine there", c.Code)
	}
	if got, err := e.s.CodeAt(e.ctx, e.a.ID, "222222"); err != nil || got.OrderID != orders[1].ID {
		t.Fatalf("CodeAt = %+v, %v", got, err)
	}
	wantErr(t, "arrive twice", func() error {
		_, _, err := e.s.ArriveOrder(e.ctx, commerce.ArrivalRecord{OrderID: orders[0].ID, PointID: e.a.ID, At: e.clock.Now(), NewCode: commerce.NewPickupCode})
		return err
	}(), commerce.ErrConflict)
	// A reissued code differs from every unredeemed code of the point, its own included.
	seq, i = []string{"111111", "222222", "333333"}, 0
	c, err := e.s.ReissueCode(e.ctx, orders[0].ID, next, e.clock.Now().Add(time.Hour), e.clock.Now())
	if err != nil || c.Code != "333333" {
		t.Fatalf("ReissueCode = %+v, %v", c, err)
	}
}

func testRedemption(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	b, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 0)))
	if err != nil {
		t.Fatal(err)
	}
	pass := e.pass(o)
	if !commerce.ValidPickupCode(pass.Code) || !strings.HasPrefix(pass.Token, commerce.TokenPrefix) || pass.OrderID != o.ID {
		t.Fatalf("pass = %+v", pass)
	}
	wantErr(t, "pass for another buyer", func() error { _, err := e.p.Pass(e.ctx, mallory, o.ID); return err }(), commerce.ErrNotFound)

	other := e.readyOrder(alice, e.b)
	otherPass := e.pass(other)
	tampered := tamper(pass.Token)
	for _, tc := range []struct {
		name, staff string
		point       int64
		input       string
		want        error
	}{
		{"not staff", "tg:999", e.a.ID, pass.Code, commerce.ErrForbidden},
		{"staff of another point", "tg:200", e.a.ID, pass.Code, commerce.ErrForbidden},
		{"unknown point", "tg:100", 424242, pass.Code, commerce.ErrForbidden},
		{"token for another point", "tg:200", e.b.ID, pass.Token, commerce.ErrWrongPoint},
		{"code of another point", "tg:200", e.b.ID, pass.Code, commerce.ErrWrongCode},
		{"tampered token", "tg:100", e.a.ID, tampered, commerce.ErrWrongCode},
		{"token of an order at another point", "tg:100", e.a.ID, otherPass.Token, commerce.ErrWrongPoint},
		{"garbage", "tg:100", e.a.ID, "hello", commerce.ErrWrongCode},
	} {
		if _, err := e.p.Redeem(e.ctx, tc.staff, tc.point, tc.input); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v; want %v", tc.name, err, tc.want)
		}
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusReadyForPickup {
		t.Fatalf("a refused redemption moved the order to %s", cur.Status)
	}

	seen, err := e.p.Inspect(e.ctx, "web:anna", e.a.ID, " "+pass.Code[:3]+" "+pass.Code[3:])
	if err != nil || seen.Order.ID != o.ID || seen.FirstName != "Alice" || len(seen.Order.Lines) != 1 || seen.Booking == nil || seen.Booking.ID != b.ID {
		t.Fatalf("Inspect = %+v, %v", seen, err)
	}
	e.clock.Set(at(25, 10, 5))
	got, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, "https://shop.example/staff?t="+pass.Token)
	if err != nil || got.Order.Status != commerce.StatusPickedUp || got.Code.RedeemedBy != "tg:100" || got.Booking == nil ||
		got.Booking.Status != commerce.BookingStatusCollected {
		t.Fatalf("Redeem = %+v, %v", got, err)
	}
	if bk, _ := e.p.Booking(e.ctx, b.ID); bk.Status != commerce.BookingStatusCollected || e.booked(e.a, at(25, 10, 0)) != 1 {
		t.Fatalf("booking after redemption = %+v", bk)
	}
	col := e.log.named("order_collected")
	if len(col) != 1 || col[0].(commerce.OrderCollected).Staff != "tg:100" || col[0].(commerce.OrderCollected).Booking == nil {
		t.Fatalf("OrderCollected events = %+v", col)
	}
	for _, in := range []string{pass.Code, pass.Token} {
		wantErr(t, "redeem again", func() error { _, err := e.p.Redeem(e.ctx, "web:anna", e.a.ID, in); return err }(), commerce.ErrAlreadyCollected)
	}
	wantErr(t, "pass after pickup", func() error { _, err := e.p.Pass(e.ctx, alice, o.ID); return err }(), commerce.ErrAlreadyCollected)

	// Collected before its booked slot: the seat is free again.
	w := e.readyOrder(alice, e.a)
	if _, err := e.p.Book(e.ctx, alice, w.ID, slotAt(e.a, at(26, 10, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(w).Code); err != nil || e.booked(e.a, at(26, 10, 0)) != 0 {
		t.Fatalf("early collection: %v; seats %d", err, e.booked(e.a, at(26, 10, 0)))
	}

	// An order handed over without its code (Shop.AdvanceOrder) is already collected.
	z := e.readyOrder(alice, e.a)
	if _, err := e.s.SetOrderStatus(e.ctx, z.ID, commerce.StatusReadyForPickup, commerce.StatusPickedUp, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "redeem an order handed over without code", func() error { _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(z).Code); return err }(), commerce.ErrAlreadyCollected)
	wantErr(t, "inspect an order handed over without code", func() error { _, err := e.p.Inspect(e.ctx, "tg:100", e.a.ID, e.pass(z).Code); return err }(), commerce.ErrAlreadyCollected)

	// Expired codes, and reissue.
	x := e.readyOrder(alice, e.a)
	xp := e.pass(x)
	e.clock.Advance(30*24*time.Hour + time.Second)
	for _, in := range []string{xp.Code, xp.Token} {
		wantErr(t, "expired", func() error { _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, in); return err }(), commerce.ErrCodeExpired)
	}
	wantErr(t, "reissue for a collected order", func() error { _, err := e.p.ReissueCode(e.ctx, o.ID); return err }(), commerce.ErrInvalid)
	np, err := e.p.ReissueCode(e.ctx, x.ID)
	if err != nil || np.Code == xp.Code || np.Token == xp.Token || !np.ExpiresAt.After(e.clock.Now()) {
		t.Fatalf("ReissueCode = %+v, %v", np, err)
	}
	if ev := e.log.named("pickup_code_reissued"); len(ev) != 1 || ev[0].(commerce.PickupCodeReissued).Order.ID != x.ID {
		t.Fatalf("PickupCodeReissued events = %+v", ev)
	}
	if got, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, np.Token); err != nil || got.Order.ID != x.ID || got.Booking != nil {
		t.Fatalf("redeem reissued = %+v, %v", got, err)
	}
	y := e.readyOrder(alice, e.a)
	yp := e.pass(y)
	if _, err := e.p.ReissueCode(e.ctx, y.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "superseded token", func() error { _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, yp.Token); return err }(), commerce.ErrWrongCode)
	wantErr(t, "superseded code", func() error { _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, yp.Code); return err }(), commerce.ErrWrongCode)
}

func testDoubleRedemption(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	code := e.pass(o).Code
	var ok, already atomic.Int64
	var wg sync.WaitGroup
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.p.Redeem(e.ctx, fmt.Sprintf("tg:%d", i), e.a.ID, code)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, commerce.ErrAlreadyCollected):
				already.Add(1)
			default:
				t.Errorf("Redeem: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || already.Load() != 9 || len(e.log.named("order_collected")) != 1 {
		t.Fatalf("redeemed %d, already collected %d, events %d; want 1, 9, 1", ok.Load(), already.Load(), len(e.log.named("order_collected")))
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusPickedUp {
		t.Fatalf("status %s", cur.Status)
	}
}

func testRateLimit(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, func(o *commerce.PickupOptions) {
		o.StaffLimit = commerce.Limit{N: 5, Per: 10 * time.Minute}
		o.PointLimit = commerce.Limit{N: 8, Per: 10 * time.Minute}
	})
	o := e.readyOrder(alice, e.a)
	pass := e.pass(o)
	wrong := "000000"
	if pass.Code == wrong {
		wrong = "000001"
	}
	for i := range 5 {
		wantErr(t, fmt.Sprintf("wrong code %d", i+1), func() error { _, err := e.p.Inspect(e.ctx, "tg:100", e.a.ID, wrong); return err }(), commerce.ErrWrongCode)
	}
	wantErr(t, "right code after 5 wrong", func() error { _, err := e.p.Inspect(e.ctx, "tg:100", e.a.ID, pass.Code); return err }(), commerce.ErrRateLimited)
	// Genuine tokens of another point and non-staff attempts are not counted.
	other := e.pass(e.readyOrder(alice, e.b))
	wantErr(t, "other point's token", func() error { _, err := e.p.Inspect(e.ctx, "web:anna", e.a.ID, other.Token); return err }(), commerce.ErrWrongPoint)
	wantErr(t, "not staff", func() error { _, err := e.p.Inspect(e.ctx, "tg:999", e.a.ID, wrong); return err }(), commerce.ErrForbidden)
	// Another staff member still works until the point's allowance (8) is used up.
	if _, err := e.p.Inspect(e.ctx, "web:anna", e.a.ID, pass.Code); err != nil {
		t.Fatalf("other staff: %v", err)
	}
	for i := range 3 {
		wantErr(t, fmt.Sprintf("anna wrong %d", i+1), func() error { _, err := e.p.Inspect(e.ctx, "web:anna", e.a.ID, tamper(pass.Token)); return err }(), commerce.ErrWrongCode)
	}
	wantErr(t, "point limit", func() error { _, err := e.p.Redeem(e.ctx, "tg:1", e.a.ID, pass.Code); return err }(), commerce.ErrRateLimited)
	// Point B is unaffected.
	if _, err := e.p.Inspect(e.ctx, "tg:200", e.b.ID, other.Code); err != nil {
		t.Fatalf("point B: %v", err)
	}
	e.clock.Advance(10*time.Minute + time.Second)
	if got, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, pass.Code); err != nil || got.Order.ID != o.ID {
		t.Fatalf("after the window: %+v, %v", got, err)
	}
	if res, err := e.p.Sweep(e.ctx); err != nil || res.Pruned != 16 { // 8 attempts, each logged per staff and per point
		t.Fatalf("Sweep = %+v, %v; want 16 pruned", res, err)
	}
}

func testHoldPeriod(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a)
	collected := e.readyOrder(alice, e.a)
	e.clock.Advance(time.Hour)
	late := e.readyOrder(alice, e.a)
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(collected).Code); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(pickupStart.Add(7*24*time.Hour - time.Minute))
	if got, err := e.p.AlertOverdueHolds(e.ctx); err != nil || len(got) != 0 {
		t.Fatalf("early = %+v, %v", got, err)
	}
	e.clock.Set(pickupStart.Add(7 * 24 * time.Hour))
	got, err := e.p.AlertOverdueHolds(e.ctx)
	if err != nil || len(got) != 1 || got[0].ID != o.ID {
		t.Fatalf("AlertOverdueHolds = %+v, %v", got, err)
	}
	if ev := e.log.named("hold_expired"); len(ev) != 1 || !ev[0].(commerce.HoldExpired).ReadyAt.Equal(pickupStart) {
		t.Fatalf("HoldExpired events = %+v", ev)
	}
	if again, _ := e.p.AlertOverdueHolds(e.ctx); len(again) != 0 {
		t.Fatalf("alerted twice: %+v", again)
	}
	e.clock.Advance(2 * time.Hour)
	if res, err := e.p.Sweep(e.ctx); err != nil || res.Overdue != 1 {
		t.Fatalf("Sweep = %+v, %v; want the late order", res, err)
	}
	if ev := e.log.named("hold_expired"); len(ev) != 2 || ev[1].(commerce.HoldExpired).Order.ID != late.ID {
		t.Fatalf("HoldExpired events = %+v", ev)
	}
}

func testReturns(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	collect := func(pt commerce.PickupPoint, staff string) commerce.Order {
		t.Helper()
		o := e.readyOrder(alice, pt)
		got, err := e.p.Redeem(e.ctx, staff, pt.ID, e.pass(o).Code)
		if err != nil {
			t.Fatal(err)
		}
		return got.Order
	}
	o := collect(e.a, "tg:100")
	notCollected := e.readyOrder(alice, e.a)
	req := commerce.ReturnRequest{OrderID: o.ID, Kind: commerce.ReturnRefund, Reason: "wrong_size", Note: " too small "}
	wantErr(t, "someone else's order", func() error { _, err := e.p.StartReturn(e.ctx, mallory, req); return err }(), commerce.ErrNotFound)
	for name, bad := range map[string]commerce.ReturnRequest{
		"kind":          {OrderID: o.ID, Kind: "refund-please", Reason: "other"},
		"reason":        {OrderID: o.ID, Kind: commerce.ReturnRefund, Reason: "because"},
		"not collected": {OrderID: notCollected.ID, Kind: commerce.ReturnRefund, Reason: "other"},
	} {
		wantErr(t, "bad "+name, func() error { _, err := e.p.StartReturn(e.ctx, alice, bad); return err }(), commerce.ErrInvalid)
	}
	deadline, err := e.p.ReturnDeadline(e.ctx, alice, o.ID)
	if err != nil || !deadline.Equal(pickupStart.Add(7*24*time.Hour)) {
		t.Fatalf("ReturnDeadline = %v, %v", deadline, err)
	}
	r, err := e.p.StartReturn(e.ctx, alice, req)
	if err != nil || r.Status != commerce.ReturnRequested || r.PointID != e.a.ID || r.Note != "too small" || r.OrderNumber != o.Number {
		t.Fatalf("StartReturn = %+v, %v", r, err)
	}
	if again, err := e.p.StartReturn(e.ctx, alice, req); err != nil || again.ID != r.ID {
		t.Fatalf("StartReturn twice = %+v, %v", again, err)
	}
	if ev := e.log.named("return_changed"); len(ev) != 1 || ev[0].(commerce.ReturnChanged).From != "" || ev[0].(commerce.ReturnChanged).TimeZone != "Asia/Shanghai" {
		t.Fatalf("ReturnChanged events = %+v", ev)
	}
	// Drop-off booking shares the slots and their capacity with pickups.
	wantErr(t, "drop-off at another point", func() error { _, err := e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.b, at(26, 10, 0))); return err }(), commerce.ErrInvalid)
	wantErr(t, "past drop-off", func() error { _, err := e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.a, at(24, 10, 0))); return err }(), commerce.ErrInvalid)
	wantErr(t, "drop-off for someone else", func() error { _, err := e.p.BookDropoff(e.ctx, mallory, r.ID, slotAt(e.a, at(26, 10, 0))); return err }(), commerce.ErrNotFound)
	r, err = e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.a, at(26, 10, 0)))
	if err != nil || r.Status != commerce.ReturnDropoffBooked || !r.SlotStart.Equal(at(26, 10, 0)) || e.booked(e.a, at(26, 10, 0)) != 1 {
		t.Fatalf("BookDropoff = %+v, %v", r, err)
	}
	r, err = e.p.BookDropoff(e.ctx, alice, r.ID, slotAt(e.a, at(26, 11, 0)))
	if err != nil || e.booked(e.a, at(26, 10, 0)) != 0 || e.booked(e.a, at(26, 11, 0)) != 1 {
		t.Fatalf("move drop-off = %+v, %v", r, err)
	}
	if list, err := e.p.OpenReturns(e.ctx, "web:anna", e.a.ID); err != nil || len(list) != 1 || list[0].ID != r.ID {
		t.Fatalf("OpenReturns = %+v, %v", list, err)
	}
	wantErr(t, "open returns for another point's staff", func() error { _, err := e.p.OpenReturns(e.ctx, "tg:200", e.a.ID); return err }(), commerce.ErrForbidden)
	wantErr(t, "accept by staff of another point", func() error { _, err := e.p.AcceptReturn(e.ctx, "tg:200", e.a.ID, r.ID, ""); return err }(), commerce.ErrForbidden)
	wantErr(t, "accept at another point", func() error { _, err := e.p.AcceptReturn(e.ctx, "tg:200", e.b.ID, r.ID, ""); return err }(), commerce.ErrWrongPoint)

	e.clock.Set(at(26, 11, 10))
	e.log.reset()
	r, err = e.p.AcceptReturn(e.ctx, "tg:100", e.a.ID, r.ID, "unworn, tags on")
	if err != nil || r.Status != commerce.ReturnAccepted || r.DecidedBy != "tg:100" || r.DecisionNote != "unworn, tags on" {
		t.Fatalf("AcceptReturn = %+v, %v", r, err)
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusReturned {
		t.Fatalf("order after accepted return is %s", cur.Status)
	}
	if ev := e.log.named("return_changed"); len(ev) != 1 || ev[0].(commerce.ReturnChanged).From != commerce.ReturnDropoffBooked ||
		ev[0].(commerce.ReturnChanged).Order.Status != commerce.StatusReturned || len(e.log.named("order_status_changed")) != 1 {
		t.Fatalf("events = %+v", e.log.events)
	}
	wantErr(t, "decide twice", func() error { _, err := e.p.RejectReturn(e.ctx, "tg:100", e.a.ID, r.ID, ""); return err }(), commerce.ErrInvalidTransition)
	wantErr(t, "return a returned order", func() error { _, err := e.p.StartReturn(e.ctx, alice, req); return err }(), commerce.ErrInvalid)

	// An exchange leaves the order picked up; a cancelled request frees its seat.
	x := collect(e.a, "tg:100")
	ex, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: x.ID, Kind: commerce.ReturnExchange, Reason: "defective"})
	if err != nil {
		t.Fatal(err)
	}
	if ex, err = e.p.BookDropoff(e.ctx, alice, ex.ID, slotAt(e.a, at(27, 10, 0))); err != nil {
		t.Fatal(err)
	}
	if ex, err = e.p.CancelReturn(e.ctx, alice, ex.ID); err != nil || ex.Status != commerce.ReturnCancelled || e.booked(e.a, at(27, 10, 0)) != 0 {
		t.Fatalf("CancelReturn = %+v, %v; seats %d", ex, err, e.booked(e.a, at(27, 10, 0)))
	}
	if again, err := e.p.CancelReturn(e.ctx, alice, ex.ID); err != nil || again.Status != commerce.ReturnCancelled {
		t.Fatalf("cancel twice = %+v, %v", again, err)
	}
	ex2, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: x.ID, Kind: commerce.ReturnExchange, Reason: "defective"})
	if err != nil || ex2.ID == ex.ID {
		t.Fatalf("new request after a cancelled one = %+v, %v", ex2, err)
	}
	if ex2, err = e.p.AcceptReturn(e.ctx, "web:anna", e.a.ID, ex2.ID, ""); err != nil || ex2.Status != commerce.ReturnAccepted {
		t.Fatalf("accept walk-in exchange = %+v, %v", ex2, err)
	}
	if cur, _ := e.s.Order(e.ctx, x.ID); cur.Status != commerce.StatusPickedUp {
		t.Fatalf("exchange moved the order to %s", cur.Status)
	}
	if list, err := e.p.Returns(e.ctx, alice, x.ID); err != nil || len(list) != 2 || list[0].ID != ex2.ID {
		t.Fatalf("Returns = %+v, %v", list, err)
	}

	// The return period.
	y := collect(e.a, "tg:100")
	e.clock.Advance(7*24*time.Hour - time.Second)
	if _, err := e.p.ReturnDeadline(e.ctx, alice, y.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	wantErr(t, "after the return period", func() error {
		_, err := e.p.StartReturn(e.ctx, alice, commerce.ReturnRequest{OrderID: y.ID, Kind: commerce.ReturnRepair, Reason: "defective"})
		return err
	}(), commerce.ErrReturnWindowClosed)
}

func testPickupEventsRollBack(t *testing.T, open OpenPickupStore) {
	e := newPickupEnv(t, open, nil)
	o := e.confirmed(alice, e.a)
	if _, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	e.log.fail = "order_arrived"
	if r, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err == nil {
		t.Fatalf("MarkArrived succeeded although its event hook failed: %+v", r)
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusShipped {
		t.Fatalf("failed hook left the order %s", cur.Status)
	}
	if _, err := e.s.CodeOf(e.ctx, o.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("failed hook left a code: %v", err)
	}
	e.log.fail = ""
	if _, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	e.log.fail = "slot_booked"
	if _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 0))); err == nil {
		t.Fatal("Book succeeded although its event hook failed")
	}
	if e.booked(e.a, at(25, 10, 0)) != 0 {
		t.Fatal("failed hook kept the seat")
	}
	if _, err := e.s.ActiveBooking(e.ctx, o.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("failed hook kept the booking: %v", err)
	}
	e.log.fail = "order_collected"
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code); err == nil {
		t.Fatal("Redeem succeeded although its event hook failed")
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusReadyForPickup {
		t.Fatalf("failed hook left the order %s", cur.Status)
	}
	e.log.fail = ""
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code); err != nil {
		t.Fatalf("redeem after the hook recovered: %v", err)
	}
}
