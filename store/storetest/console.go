package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"shopbot/commerce"
)

// runConsole runs the topic of the seller console's reads: orders filtered
// by status, period and search, newest first and paged; a day's figures.
func runConsole(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"orders by status, period, search and page", testConsoleOrders},
		{"a day's figures", testDayFigures},
	})
}

// consoleOrder places a confirmed order like pickupEnv.confirmed, with its
// own contact.
func (e *pickupEnv) consoleOrder(name, phone string, qty int) commerce.Order {
	e.t.Helper()
	n := e.orders.Add(1)
	now := e.clock.Now()
	total := commerce.Money{Amount: e.prod.Price.Amount * int64(qty), Currency: e.prod.Price.Currency}
	o, _, err := e.s.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: alice, ChatID: alice.UserID, Lang: "en",
		Status: commerce.StatusPending, PickupPointID: e.a.ID, ContactName: name, Phone: phone,
		IdempotencyKey: fmt.Sprintf("console-%d", n), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: e.prod.ID, SKU: e.prod.SKU, Title: e.prod.Title, UnitPrice: e.prod.Price, Qty: qty}},
		Total: total}, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatalf("PlaceOrder: %v", err)
	}
	if o, err = e.s.SetOrderStatus(e.ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now); err != nil {
		e.t.Fatalf("confirm: %v", err)
	}
	return o
}

func numbers(orders []commerce.Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.Number
	}
	return out
}

func testConsoleOrders(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	first := e.consoleOrder("王小明", "+8613812345678", 2)
	e.clock.Advance(time.Hour)
	second := e.consoleOrder("Ivan_Petrov", "+79161112233", 1)
	e.clock.Advance(time.Hour)
	third := e.consoleOrder("Alice 100%", "+8613800009999", 1)
	e.ready(e.a, third)
	cases := []struct {
		name string
		q    commerce.ConsoleOrderQuery
		want []commerce.Order
	}{
		{"all, newest first", commerce.ConsoleOrderQuery{}, []commerce.Order{third, second, first}},
		{"by status", commerce.ConsoleOrderQuery{Statuses: []commerce.OrderStatus{commerce.StatusConfirmed}}, []commerce.Order{second, first}},
		{"two statuses", commerce.ConsoleOrderQuery{Statuses: []commerce.OrderStatus{commerce.StatusReadyForPickup, commerce.StatusShipped}}, []commerce.Order{third}},
		{"from", commerce.ConsoleOrderQuery{From: first.CreatedAt.Add(time.Minute)}, []commerce.Order{third, second}},
		{"to (excluded)", commerce.ConsoleOrderQuery{To: second.CreatedAt}, []commerce.Order{first}},
		{"number prefix, any case", commerce.ConsoleOrderQuery{Search: " " + second.Number[:4] + " "}, []commerce.Order{second}},
		{"phone tail", commerce.ConsoleOrderQuery{Search: "5678"}, []commerce.Order{first}},
		{"Chinese name", commerce.ConsoleOrderQuery{Search: "小明"}, []commerce.Order{first}},
		{"name, any case", commerce.ConsoleOrderQuery{Search: "ivan"}, []commerce.Order{second}},
		{"underscore is a character", commerce.ConsoleOrderQuery{Search: "n_P"}, []commerce.Order{second}},
		{"percent is a character", commerce.ConsoleOrderQuery{Search: "0%"}, []commerce.Order{third}},
		{"nothing", commerce.ConsoleOrderQuery{Search: "nobody"}, nil},
		{"page", commerce.ConsoleOrderQuery{BeforeID: third.ID, Limit: 1}, []commerce.Order{second}},
	}
	for _, c := range cases {
		got, err := e.s.ConsoleOrders(e.ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(numbers(got), numbers(c.want)) {
			t.Errorf("%s: %v; want %v", c.name, numbers(got), numbers(c.want))
		}
	}
	got, err := e.s.ConsoleOrders(e.ctx, commerce.ConsoleOrderQuery{Search: first.Number})
	if err != nil || len(got) != 1 || len(got[0].Lines) != 1 || got[0].Lines[0].Qty != 2 || got[0].Lines[0].SKU != e.prod.SKU ||
		got[0].ContactName != "王小明" || !got[0].CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("an order with its lines = %+v, %v", got, err)
	}
}

func testDayFigures(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	day := e.clock.Now().Truncate(24 * time.Hour)
	from, to := day, day.Add(24*time.Hour)
	empty, err := e.s.DayFigures(e.ctx, from, to)
	if err != nil || empty.NewOrders != 0 || len(empty.Revenue) != 0 || empty.ToShip != 0 {
		t.Fatalf("DayFigures of an empty shop = %+v, %v", empty, err)
	}
	a := e.consoleOrder("A", "+8613800000001", 2)
	e.consoleOrder("B", "+8613800000002", 1)
	c := e.consoleOrder("C", "+8613800000003", 1)
	if _, err := e.s.SellerCancelOrder(e.ctx, commerce.Cancellation{OrderID: c.ID, From: commerce.StatusConfirmed, Reason: "x", By: "cli", At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	e.ready(e.a, a)
	start := e.clock.Now().Add(3 * time.Hour).Truncate(30 * time.Minute)
	slot := commerce.PickupSlot{PointID: e.a.ID, Start: start, End: start.Add(30 * time.Minute), Capacity: 4}
	if _, err := e.s.BookSlot(e.ctx, a.ID, slot, e.clock.Now()); err != nil {
		t.Fatalf("BookSlot: %v", err)
	}
	f, err := e.s.DayFigures(e.ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := commerce.DayFigures{NewOrders: 3, Revenue: []commerce.Money{{Amount: 3 * e.prod.Price.Amount, Currency: "CNY"}},
		ToShip: 1, AwaitingPickup: 1, PickupsDue: 1}
	if fmt.Sprint(f) != fmt.Sprint(want) {
		t.Fatalf("DayFigures = %+v; want %+v", f, want)
	}
	if next, err := e.s.DayFigures(e.ctx, to, to.Add(24*time.Hour)); err != nil || next.NewOrders != 0 || next.PickupsDue != 0 ||
		next.ToShip != 1 || len(next.Revenue) != 0 {
		t.Fatalf("DayFigures of the next day = %+v, %v", next, err)
	}
}
