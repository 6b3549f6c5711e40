package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
)

// The waitlist behaviours of the drop flow topic (runDropFlows): joining a
// sold-out drop's waitlist, offers of freed units, and rejoining after an
// offer lapsed.

// joinAtOnce has f join d's waitlist from n devices at once.
func joinAtOnce(t *testing.T, e *dropFlowEnv, d commerce.Drop, f commerce.DropFollower, n int) ([]commerce.DropWaiter, []bool) {
	t.Helper()
	var wg sync.WaitGroup
	entries := make([]commerce.DropWaiter, n)
	created := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			w, c, err := e.svc.JoinWaitlist(context.Background(), d.ID, f)
			if err != nil {
				t.Errorf("JoinWaitlist: %v", err)
			}
			entries[i], created[i] = w, c
		})
	}
	wg.Wait()
	return entries, created
}

// testFlowWaitlistJoin: no waitlist while units are left; a waiter joins
// once however often they tap; nothing is offered while sold out.
func testFlowWaitlistJoin(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 1, 1)
	if _, _, err := e.svc.JoinWaitlist(ctx, d.ID, commerce.DropFollower{Buyer: webBuyer(9)}); !errors.Is(err, commerce.ErrInvalid) {
		t.Fatalf("JoinWaitlist with units left err = %v; want ErrInvalid", err)
	}
	e.reserve(t, d, webBuyer(1), 1, "k1")
	waiters := joinWaitlist(t, e, d)
	again, joined := joinAtOnce(t, e, d, commerce.DropFollower{Buyer: webBuyer(2), ChatID: "c2"}, 4)
	for _, w := range again {
		if w.ID != waiters[0].ID {
			t.Errorf("JoinWaitlist again = %+v; want the first entry", w)
		}
	}
	if n := countTrue(joined); n != 0 {
		t.Fatalf("joining again created %d entries", n)
	}
	if st, _ := e.svc.Stats(ctx, d.ID); st.Waitlisted != 3 {
		t.Fatalf("waitlisted = %d; want 3", st.Waitlisted)
	}
	if n, err := e.svc.OfferWaitlist(ctx, d.ID); err != nil || n != 0 {
		t.Fatalf("OfferWaitlist while sold out = %d, %v", n, err)
	}
}

// joinWaitlist puts buyers 2, 3 and 4 on the waitlist of a sold-out drop,
// in that order.
func joinWaitlist(t *testing.T, e *dropFlowEnv, d commerce.Drop) []commerce.DropWaiter {
	t.Helper()
	var waiters []commerce.DropWaiter
	for i := 2; i <= 4; i++ {
		w, created, err := e.svc.JoinWaitlist(context.Background(), d.ID, commerce.DropFollower{Buyer: webBuyer(i), ChatID: fmt.Sprint("c", i), Lang: "en"})
		if err != nil || !created || w.Status != commerce.DropWaiting {
			t.Fatalf("JoinWaitlist %d = %+v, %v, %v", i, w, created, err)
		}
		waiters = append(waiters, w)
	}
	return waiters
}

// testFlowWaitlistOfferOnExpiry: an expired reservation's unit is offered
// to the first waiter, once however many offer it at once; a lapsed offer
// goes to the next waiter.
func testFlowWaitlistOfferOnExpiry(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 1, 1)
	first := e.reserve(t, d, webBuyer(1), 1, "k1")
	waiters := joinWaitlist(t, e, d)
	e.clock.Advance(10 * time.Minute)
	e.log.reset()
	if ok, err := e.svc.Expire(ctx, first.ID); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	freed := e.log.named("drop_units_freed")
	if len(freed) != 1 {
		t.Fatalf("expiry events %+v; want one DropUnitsFreed", freed)
	}
	// Concurrent offers (the job and the safety net) reserve once.
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Go(func() {
			n, err := e.svc.UnitsFreed(ctx, freed[0].(commerce.DropUnitsFreed))
			if err != nil {
				t.Errorf("UnitsFreed: %v", err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if total := counts[0] + counts[1] + counts[2] + counts[3]; total != 1 {
		t.Fatalf("offers made %v; want 1 in all", counts)
	}
	offers := e.log.named("drop_offer_made")
	if len(offers) != 1 {
		t.Fatalf("offer events %+v; want 1", offers)
	}
	offer := offers[0].(commerce.DropOfferMade)
	if offer.Waiter.ID != waiters[0].ID || offer.Waiter.ChatID != "c2" || offer.Reservation.Buyer != webBuyer(2) {
		t.Fatalf("offer %+v; want the first waiter", offer)
	}
	r, err := e.svc.Active(ctx, d.ID, webBuyer(2))
	if err != nil || r.ID != offer.Reservation.ID || r.Qty != 1 {
		t.Fatalf("Active of the offered buyer = %+v, %v", r, err)
	}
	if w, _ := e.svc.WaitlistEntry(ctx, d.ID, webBuyer(3)); w.Status != commerce.DropWaiting {
		t.Fatalf("second waiter %+v; want still waiting", w)
	}
	if left := e.left(t, d.ID); left != 0 {
		t.Fatalf("left = %d; want 0", left)
	}
	// The offer lapses too: the next waiter gets it.
	e.clock.Advance(10 * time.Minute)
	if _, err := e.svc.Expire(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.OfferWaitlist(ctx, d.ID); err != nil || n != 1 {
		t.Fatalf("second offer = %d, %v", n, err)
	}
	if _, err := e.svc.Active(ctx, d.ID, webBuyer(3)); err != nil {
		t.Fatalf("second waiter holds no unit: %v", err)
	}
}

func testFlowWaitlistRejoinAfterLapse(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newDropFlowEnv(t, open)
	ctx := context.Background()
	d := e.create(t, 1, 1)
	first := e.reserve(t, d, webBuyer(1), 1, "k1")
	join := func(i int) (commerce.DropWaiter, bool) {
		t.Helper()
		w, created, err := e.svc.JoinWaitlist(ctx, d.ID, commerce.DropFollower{Buyer: webBuyer(i), ChatID: fmt.Sprint("c", i), Lang: "en"})
		if err != nil {
			t.Fatalf("JoinWaitlist %d: %v", i, err)
		}
		return w, created
	}
	w2, _ := join(2)
	e.clock.Advance(10 * time.Minute)
	if _, err := e.svc.Expire(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.OfferWaitlist(ctx, d.ID); err != nil || n != 1 {
		t.Fatalf("offer = %d, %v", n, err)
	}
	offer, err := e.svc.Active(ctx, d.ID, webBuyer(2))
	if err != nil {
		t.Fatalf("offered buyer holds nothing: %v", err)
	}
	w3, _ := join(3)
	// While the offer is live, joining again changes nothing.
	if again, created := join(2); created || again.ID != w2.ID || again.Status != commerce.DropOffered {
		t.Fatalf("join with a live offer = %+v, %v; want the offered entry", again, created)
	}
	// The offer lapses unused (before the expiry job ran): buyer 2 may
	// queue again, behind buyer 3, once however often they tap.
	e.clock.Advance(10 * time.Minute)
	entries, created := joinAtOnce(t, e, d, commerce.DropFollower{Buyer: webBuyer(2), ChatID: "c2", Lang: "en"}, 4)
	if n := countTrue(created); n != 1 {
		t.Fatalf("rejoining created %d entries; want 1", n)
	}
	for _, w := range entries {
		if w.ID != entries[0].ID || w.Status != commerce.DropWaiting || w.ID <= w3.ID {
			t.Fatalf("rejoined entries %+v; want one waiting entry behind %d", entries, w3.ID)
		}
	}
	if st, _ := e.svc.Stats(ctx, d.ID); st.Waitlisted != 2 {
		t.Fatalf("waitlisted = %d; want 2", st.Waitlisted)
	}
	if _, err := e.svc.Expire(ctx, offer.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.OfferWaitlist(ctx, d.ID); err != nil || n != 1 {
		t.Fatalf("offer after the lapse = %d, %v", n, err)
	}
	r3, err := e.svc.Active(ctx, d.ID, webBuyer(3))
	if err != nil {
		t.Fatalf("buyer 3, ahead in the queue, holds nothing: %v", err)
	}
	// Buyer 3 gives the unit back: buyer 2's new place gets a new offer,
	// not a replay of the lapsed one.
	if ok, err := e.svc.Release(ctx, r3.ID, webBuyer(3)); err != nil || !ok {
		t.Fatalf("Release = %v, %v", ok, err)
	}
	if n, err := e.svc.OfferWaitlist(ctx, d.ID); err != nil || n != 1 {
		t.Fatalf("offer to the rejoined buyer = %d, %v", n, err)
	}
	if r, err := e.svc.Active(ctx, d.ID, webBuyer(2)); err != nil || r.ID == offer.ID {
		t.Fatalf("rejoined buyer's offer = %+v, %v; want a new reservation", r, err)
	}
}
