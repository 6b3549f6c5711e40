package storetest

import (
	"context"
	"errors"
	"testing"

	"shopbot/commerce"
)

// runEvents checks that a store hands domain events to its hook inside the
// transaction: a failing hook undoes the change that emitted the event.
func runEvents(t *testing.T, open OpenShop) {
	ctx := context.Background()
	var events []commerce.Event
	fail := false
	s := open(t, func(e commerce.Event) error {
		if fail {
			return errors.New("queue down")
		}
		events = append(events, e)
		return nil
	})
	f := newFixture(t, s, 5)

	fail = true
	if _, _, err := s.PlaceOrder(ctx, f.order("ev-1", "u1", 2), commerce.PersonLimits{}); err == nil {
		t.Fatal("PlaceOrder succeeded although its event hook failed")
	}
	if f.stock(t, 0) != 5 {
		t.Fatalf("failed hook left stock at %d; want 5", f.stock(t, 0))
	}
	if _, err := s.OrderByKey(ctx, "ev-1"); !errors.Is(err, commerce.ErrNotFound) {
		t.Fatalf("order of a failed hook was stored: %v", err)
	}

	fail = false
	o, _, err := s.PlaceOrder(ctx, f.order("ev-2", "u1", 2), commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("events after PlaceOrder = %d; want 1", len(events))
	}
	if placed, ok := events[0].(commerce.OrderPlaced); !ok || placed.Order.ID != o.ID {
		t.Fatalf("event = %#v; want OrderPlaced for %d", events[0], o.ID)
	}

	fail = true
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusPending, commerce.StatusCancelled, f.now); err == nil {
		t.Fatal("SetOrderStatus succeeded although its event hook failed")
	}
	if got, _ := s.Order(ctx, o.ID); got.Status != commerce.StatusPending || f.stock(t, 0) != 3 {
		t.Fatalf("failed hook: status %s stock %d; want pending, 3", got.Status, f.stock(t, 0))
	}
	fail = false
	if _, err := s.SetOrderStatus(ctx, o.ID, commerce.StatusPending, commerce.StatusCancelled, f.now); err != nil {
		t.Fatal(err)
	}
	ch, ok := events[len(events)-1].(commerce.OrderStatusChanged)
	if !ok || ch.From != commerce.StatusPending || ch.To != commerce.StatusCancelled || ch.Order.Status != commerce.StatusCancelled {
		t.Fatalf("last event = %#v; want OrderStatusChanged pending → cancelled", events[len(events)-1])
	}
}
