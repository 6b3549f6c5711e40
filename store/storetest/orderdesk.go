package storetest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// runOrderDesk runs the topic of the seller's order desk: the batched
// new-order notices (claimed per job, at most one send a minute per
// seller, whatever the concurrency).
func runOrderDesk(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"new-order notices: the first at once, the minute's others together", testNoticeBatching},
		{"new-order notices: a retried job resends only its own claim", testNoticeRetry},
		{"new-order notices: concurrent jobs claim each order once", testNoticeConcurrent},
		{"find orders by status, time, readiness, number and phone digits", testFindOrders},
		{"a note to the buyer is kept and emits its event; a failed event keeps nothing", testOrderNotes},
		{"payment at pickup: recorded once; no hand-over without it", testPaymentAtPickup},
		{"payment at pickup: concurrent records, exactly one wins", testPaymentConcurrent},
	})
}

const noticeWindow = time.Minute

func (e *pickupEnv) step(seller string, order commerce.Order, job int64) commerce.NoticeStep {
	e.t.Helper()
	st, err := e.s.NoticeStep(e.ctx, seller, order.ID, job, noticeWindow, e.clock.Now())
	if err != nil {
		e.t.Fatalf("NoticeStep(%s, %d, job %d): %v", seller, order.ID, job, err)
	}
	return st
}

func (e *pickupEnv) sent(seller string, job int64) {
	e.t.Helper()
	if err := e.s.NoticeSent(e.ctx, seller, job, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

func wantStep(t *testing.T, what string, got commerce.NoticeStep, send []int64, wait time.Time) {
	t.Helper()
	if !slices.Equal(got.Send, send) || !got.WaitUntil.Equal(wait) {
		t.Fatalf("%s: step = %+v; want send %v, wait until %v", what, got, send, wait)
	}
}

func testNoticeBatching(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	const seller, other = "tg:900", "wx:o-seller"
	o1, o2, o3 := e.confirmed(alice, e.a), e.confirmed(alice, e.a), e.confirmed(alice, e.a)
	start := e.clock.Now()
	wantStep(t, "the first order", e.step(seller, o1, 1), []int64{o1.ID}, time.Time{})
	e.sent(seller, 1)
	// Another seller has a window of their own.
	wantStep(t, "the first order to another seller", e.step(other, o1, 2), []int64{o1.ID}, time.Time{})
	e.clock.Advance(10 * time.Second)
	wantStep(t, "a second order within the minute", e.step(seller, o2, 3), nil, start.Add(noticeWindow))
	e.clock.Advance(20 * time.Second)
	wantStep(t, "a third order within the minute", e.step(seller, o3, 4), nil, start.Add(noticeWindow))
	// Asked again early, it still waits.
	wantStep(t, "the second order, early", e.step(seller, o2, 3), nil, start.Add(noticeWindow))
	e.clock.Set(start.Add(noticeWindow))
	// The minute is over: the first job to ask sends both.
	wantStep(t, "the third order's job at the minute's end", e.step(seller, o3, 4), []int64{o2.ID, o3.ID}, time.Time{})
	e.sent(seller, 4)
	wantStep(t, "the second order's job after that", e.step(seller, o2, 3), nil, time.Time{})
	wantStep(t, "the first order again", e.step(seller, o1, 1), nil, time.Time{})
	// A quiet minute later a new order goes out at once again.
	e.clock.Advance(noticeWindow)
	o4 := e.confirmed(alice, e.a)
	wantStep(t, "an order after a quiet minute", e.step(seller, o4, 5), []int64{o4.ID}, time.Time{})
}

func testNoticeRetry(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	const seller = "tg:901"
	o1, o2 := e.confirmed(alice, e.a), e.confirmed(alice, e.a)
	wantStep(t, "the first order", e.step(seller, o1, 7), []int64{o1.ID}, time.Time{})
	// The send failed and the job runs again: the same claim, even after
	// the minute, and with another order waiting.
	e.clock.Advance(5 * time.Second)
	wantStep(t, "the second order", e.step(seller, o2, 8), nil, e.clock.Now().Add(noticeWindow-5*time.Second))
	e.clock.Advance(2 * noticeWindow)
	wantStep(t, "the retry", e.step(seller, o1, 7), []int64{o1.ID}, time.Time{})
	e.sent(seller, 7)
	wantStep(t, "the retry after the send", e.step(seller, o1, 7), nil, time.Time{})
	wantStep(t, "the second order's job", e.step(seller, o2, 8), []int64{o2.ID}, time.Time{})
	e.sent(seller, 8)
	wantStep(t, "the second order's job again", e.step(seller, o2, 8), nil, time.Time{})
}

func testNoticeConcurrent(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	const seller, n = "tg:902", 12
	orders := make([]commerce.Order, n)
	for i := range orders {
		orders[i] = e.confirmed(alice, e.a)
	}
	var mu sync.Mutex
	claimed := map[int64]int64{} // order → job
	round := func() {
		var wg sync.WaitGroup
		for i, o := range orders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				job := int64(100 + i)
				st, err := e.s.NoticeStep(e.ctx, seller, o.ID, job, noticeWindow, e.clock.Now())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, id := range st.Send {
					if prev, ok := claimed[id]; ok && prev != job {
						t.Errorf("order %d claimed by jobs %d and %d", id, prev, job)
					}
					claimed[id] = job
				}
			}()
		}
		wg.Wait()
	}
	round() // one job sends its order at once, the others wait
	if len(claimed) != 1 {
		t.Fatalf("%d orders sent at once; want 1", len(claimed))
	}
	for _, job := range claimed {
		e.sent(seller, job)
	}
	e.clock.Advance(noticeWindow)
	round() // one job sends all the others together
	jobs := map[int64]bool{}
	for _, job := range claimed {
		jobs[job] = true
	}
	if len(claimed) != n || len(jobs) != 2 {
		t.Fatalf("claimed %v; want all %d orders by two jobs", claimed, n)
	}
}

func (e *pickupEnv) find(q commerce.OrderQuery) ([]int64, int) {
	e.t.Helper()
	list, total, err := e.s.FindOrders(e.ctx, q)
	if err != nil {
		e.t.Fatalf("FindOrders(%+v): %v", q, err)
	}
	var ids []int64
	for _, o := range list {
		if len(o.Lines) == 0 {
			e.t.Fatalf("order %d found without its lines", o.ID)
		}
		ids = append(ids, o.ID)
	}
	return ids, total
}

func testFindOrders(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o1 := e.confirmed(alice, e.a)
	e.clock.Advance(time.Hour)
	o2 := e.confirmed(mallory, e.a)
	e.clock.Advance(time.Hour)
	o3 := e.confirmed(alice, e.b)
	ready := e.ready(e.a, o1)[0]
	confirmed := []commerce.OrderStatus{commerce.StatusConfirmed}
	for _, tc := range []struct {
		name  string
		q     commerce.OrderQuery
		want  []int64
		total int
	}{
		{"everything, newest first", commerce.OrderQuery{Limit: 10}, []int64{o3.ID, o2.ID, ready.ID}, 3},
		{"a page", commerce.OrderQuery{Limit: 1, Offset: 1}, []int64{o2.ID}, 3},
		{"count only", commerce.OrderQuery{Statuses: confirmed}, nil, 2},
		{"by status", commerce.OrderQuery{Statuses: confirmed, Limit: 10}, []int64{o3.ID, o2.ID}, 2},
		{"created since", commerce.OrderQuery{CreatedFrom: o2.CreatedAt, Limit: 10}, []int64{o3.ID, o2.ID}, 2},
		{"ready before", commerce.OrderQuery{ReadyBefore: e.clock.Now().Add(time.Second), Limit: 10}, []int64{ready.ID}, 1},
		{"ready from", commerce.OrderQuery{ReadyFrom: e.clock.Now().Add(time.Second), Limit: 10}, nil, 0},
		{"by number", commerce.OrderQuery{Number: o2.Number, Limit: 10}, []int64{o2.ID}, 1},
		{"by phone digits", commerce.OrderQuery{PhoneTail: "0000", Statuses: confirmed, Limit: 10}, []int64{o3.ID, o2.ID}, 2},
		{"a wildcard is a character", commerce.OrderQuery{PhoneTail: "%", Limit: 10}, nil, 0},
		{"number or digits", commerce.OrderQuery{Number: o2.Number, PhoneTail: "9999", Limit: 10}, []int64{o2.ID}, 1},
		{"an open return", commerce.OrderQuery{OpenReturn: true, Limit: 10}, nil, 0},
	} {
		if ids, total := e.find(tc.q); !slices.Equal(ids, tc.want) || total != tc.total {
			t.Errorf("%s: found %v of %d; want %v of %d", tc.name, ids, total, tc.want, tc.total)
		}
	}
}

func testOrderNotes(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.confirmed(alice, e.a)
	e.log.reset()
	n, err := e.s.AddOrderNote(e.ctx, commerce.OrderNote{OrderID: o.ID, Body: "Delayed a day", By: "tg:9", At: e.clock.Now()})
	if err != nil || n.ID == 0 {
		t.Fatalf("AddOrderNote = %+v, %v", n, err)
	}
	events := e.log.all()
	if len(events) != 1 {
		t.Fatalf("events %v", events)
	}
	if ev, ok := events[0].(commerce.OrderNoteAdded); !ok || ev.Note.ID != n.ID || ev.Order.ID != o.ID || ev.Order.ChatID != o.ChatID {
		t.Fatalf("event %+v", events[0])
	}
	if got, err := e.s.OrderNote(e.ctx, n.ID); err != nil || got.Body != "Delayed a day" || got.By != "tg:9" || !got.At.Equal(n.At) {
		t.Fatalf("OrderNote = %+v, %v", got, err)
	}
	e.log.failOn("order_note_added")
	if _, err := e.s.AddOrderNote(e.ctx, commerce.OrderNote{OrderID: o.ID, Body: "lost", By: "cli", At: e.clock.Now()}); err == nil {
		t.Fatal("a note whose event failed was added")
	}
	e.log.failOn("")
	if notes, err := e.s.OrderNotes(e.ctx, o.ID); err != nil || len(notes) != 1 || notes[0].ID != n.ID {
		t.Fatalf("OrderNotes = %+v, %v", notes, err)
	}
	_, err = e.s.AddOrderNote(e.ctx, commerce.OrderNote{OrderID: 1 << 40, Body: "x", By: "cli", At: e.clock.Now()})
	wantErr(t, "a note to an unknown order", err, commerce.ErrNotFound)
	_, err = e.s.OrderNote(e.ctx, 1<<40)
	wantErr(t, "an unknown note", err, commerce.ErrNotFound)
}

// pay records a cash payment of the order's total.
func (e *pickupEnv) pay(o commerce.Order) commerce.Order {
	e.t.Helper()
	paid, _, err := e.s.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: o.Total, By: "tg:100"})
	if err != nil {
		e.t.Fatalf("RecordPayment: %v", err)
	}
	return paid
}

func testPaymentAtPickup(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.confirmed(alice, e.a)
	if _, err := e.p.Ship(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.MarkArrived(e.ctx, commerce.Shipment{PointID: e.a.ID, Numbers: []string{o.Number}}); err != nil {
		t.Fatal(err)
	}
	code := e.pass(o).Code
	// Unpaid: the store refuses the hand-over, by code or by status.
	_, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, code)
	wantErr(t, "redeem unpaid", err, commerce.ErrPaymentRequired)
	_, err = e.s.SetOrderStatus(e.ctx, o.ID, commerce.StatusReadyForPickup, commerce.StatusPickedUp, e.clock.Now())
	wantErr(t, "picked up unpaid", err, commerce.ErrPaymentRequired)
	_, err = e.p.HandOverBy(e.ctx, commerce.Clerk{Staff: "tg:100"}, e.a.ID, code, nil)
	wantErr(t, "hand over without the payment", err, commerce.ErrPaymentRequired)
	_, err = e.p.HandOverBy(e.ctx, commerce.Clerk{Staff: "tg:100"}, e.a.ID, code, &commerce.Payment{Method: "iou", Amount: o.Total})
	wantErr(t, "hand over with a bad method", err, commerce.ErrInvalid)
	if cur, _ := e.s.Order(e.ctx, o.ID); cur.Status != commerce.StatusReadyForPickup || cur.Paid.IsPaid() {
		t.Fatalf("a refused hand-over changed the order: %+v", cur)
	}
	// With the payment: recorded, then handed over.
	e.clock.Advance(time.Minute)
	col, err := e.p.HandOverBy(e.ctx, commerce.Clerk{Staff: "tg:100"}, e.a.ID, code, &commerce.Payment{Method: commerce.PayCard, Amount: commerce.CNY(50000)})
	if err != nil || col.Order.Status != commerce.StatusPickedUp {
		t.Fatalf("HandOverBy = %+v, %v", col.Order, err)
	}
	cur, err := e.s.Order(e.ctx, o.ID)
	want := commerce.Payment{At: e.clock.Now().UTC().Truncate(time.Millisecond), Method: commerce.PayCard, Amount: commerce.CNY(50000), By: "tg:100"}
	if err != nil || cur.Paid != want {
		t.Fatalf("payment %+v, %v; want %+v", cur.Paid, err, want)
	}
	// Paid already: nothing recorded again.
	again, recorded, err := e.s.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: commerce.CNY(1), By: "cli"})
	if err != nil || recorded || again.Paid != want {
		t.Fatalf("RecordPayment again = %+v, %v, %v", again.Paid, recorded, err)
	}
	// Cancelled: no payment; unknown: not found.
	c := e.confirmed(alice, e.a)
	if _, err := e.s.SetOrderStatus(e.ctx, c.ID, commerce.StatusConfirmed, commerce.StatusCancelled, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.s.RecordPayment(e.ctx, c.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: c.Total, By: "cli"})
	wantErr(t, "pay a cancelled order", err, commerce.ErrInvalidTransition)
	_, _, err = e.s.RecordPayment(e.ctx, 1<<40, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: c.Total, By: "cli"})
	wantErr(t, "pay an unknown order", err, commerce.ErrNotFound)
	// The desk records a payment before the counter (a transfer).
	d := commerce.NewOrderDesk(commerce.OrderDeskOptions{Store: e.s, Pickup: e.p, Clock: e.clock})
	p := e.confirmed(alice, e.a)
	paid, recorded, err := d.RecordPayment(e.ctx, strings.ToLower(p.Number), commerce.PayTransfer, commerce.Money{Amount: p.Total.Amount}, "cli")
	if err != nil || !recorded || paid.Paid.Method != commerce.PayTransfer || paid.Paid.Amount != p.Total {
		t.Fatalf("desk RecordPayment = %+v, %v, %v", paid.Paid, recorded, err)
	}
	_, _, err = d.RecordPayment(e.ctx, p.Number, commerce.PayCash, commerce.Money{Amount: 1, Currency: "RUB"}, "cli")
	wantErr(t, "pay in another currency", err, commerce.ErrCurrencyMismatch)
	_, _, err = d.RecordPayment(e.ctx, p.Number, commerce.PayCash, commerce.Money{}, "cli")
	wantErr(t, "pay nothing", err, commerce.ErrInvalid)
}

func testPaymentConcurrent(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.confirmed(alice, e.a)
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, recorded, err := e.s.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash,
				Amount: commerce.CNY(int64(100 + i)), By: "tg:100"})
			if err != nil {
				t.Error(err)
				return
			}
			if recorded {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d payments recorded; want 1", won)
	}
}
