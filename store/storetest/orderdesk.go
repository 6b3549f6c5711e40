package storetest

import (
	"slices"
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
