package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/testenv"
)

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
	s      ShopStore
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

func newPickupEnv(t *testing.T, open OpenShop, tune func(*commerce.PickupOptions)) *pickupEnv {
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
		Total: e.prod.Price}, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatalf("PlaceOrder: %v", err)
	}
	if o, err = e.s.SetOrderStatus(e.ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now); err != nil {
		e.t.Fatalf("confirm: %v", err)
	}
	return o
}

// ready ships and checks in orders at pt; they must all move. They are
// paid first, so they can be handed over (the order desk's topic tests
// the hand-over of unpaid orders).
func (e *pickupEnv) ready(pt commerce.PickupPoint, orders ...commerce.Order) []commerce.Order {
	e.t.Helper()
	var numbers []string
	for _, o := range orders {
		numbers = append(numbers, o.Number)
		e.pay(o)
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

// runPickup runs the pickup topic: slots, bookings, arrival, codes and
// redemption, holds and returns, through the commerce.Pickup service with an
// injected clock, including the concurrency claims (slot capacity, double
// redemption). Each behaviour opens its own store.
func runPickup(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"points", testPickupPoints},
		{"slot generation", testSlotGeneration},
		{"booking rules", testBookingRules},
		{"book, reschedule and cancel", testBookReschedule},
		{"slot capacity under concurrency", testSlotCapacityRace},
		{"one order booked concurrently", testOneOrderRace},
		{"missed slot", testMissedSlot},
		{"arrival", testShipping},
		{"arrival check-in", testArrival},
		{"code collisions", testCodeCollisions},
		{"redemption", testRedemption},
		{"redemption before the slot", testEarlyRedemption},
		{"handed over without code", testHandedOverWithoutCode},
		{"expired code and reissue", testReissue},
		{"double redemption", testDoubleRedemption},
		{"wrong-code limit", testRateLimit},
		{"wrong-code limit under concurrency", testConcurrentGuesses},
		{"wrong-code limit per session and address", testLimitPerSession},
		{"right codes take nothing", testRightCodesFree},
		{"flood alert", testFloodAlert},
		{"flood alert under concurrency", testFloodAlertRace},
		{"hold period", testHoldPeriod},
		{"returns", testReturnRequest},
		{"return drop-off and acceptance", testReturnAccepted},
		{"exchange and cancelled return", testExchange},
		{"return period", testReturnPeriod},
		{"events in transaction", testPickupEventsRollBack},
	})
}

func testPickupPoints(t *testing.T, open OpenShop) {
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

func testPickupEventsRollBack(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.pay(e.confirmed(alice, e.a))
	if _, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	e.log.failOn("order_arrived")
	if r, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err == nil {
		t.Fatalf("MarkArrived succeeded although its event hook failed: %+v", r)
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusShipped {
		t.Fatalf("failed hook left the order %s", cur.Status)
	}
	if _, err := e.s.CodeOf(e.ctx, o.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("failed hook left a code: %v", err)
	}
	e.log.failOn("")
	if _, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	e.log.failOn("slot_booked")
	if _, err := e.p.Book(e.ctx, alice, o.ID, slotAt(e.a, at(25, 10, 0))); err == nil {
		t.Fatal("Book succeeded although its event hook failed")
	}
	if e.booked(e.a, at(25, 10, 0)) != 0 {
		t.Fatal("failed hook kept the seat")
	}
	if _, err := e.s.ActiveBooking(e.ctx, o.ID); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("failed hook kept the booking: %v", err)
	}
	e.log.failOn("order_collected")
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code); err == nil {
		t.Fatal("Redeem succeeded although its event hook failed")
	}
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusReadyForPickup {
		t.Fatalf("failed hook left the order %s", cur.Status)
	}
	e.log.failOn("")
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code); err != nil {
		t.Fatalf("redeem after the hook recovered: %v", err)
	}
}
