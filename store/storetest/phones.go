package storetest

import (
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/internal/phone"
)

// runPhones runs the topic of phone numbers stored before they were kept
// in E.164: the one-time normalization and the per-phone drop counts.
func runPhones(t *testing.T, open OpenShop) {
	runAll(t, open, []behaviour[OpenShop]{
		{"NormalizeStoredPhones", testNormalizeStoredPhones},
	})
}

// testNormalizeStoredPhones: two spellings of one number held the drop's
// limit twice over; after NormalizePhones they are one number, counted
// once, and its drop limit holds.
func testNormalizeStoredPhones(t *testing.T, open OpenShop) {
	t.Parallel()
	e := newPersonEnv(t, open)
	cn, err := phone.New("CN")
	if err != nil {
		t.Fatal(err)
	}
	d := e.create(t, 10, 1)
	spellings := []string{"13711110001", "+8613711110001", "008613711110001"}
	var orders []commerce.Order
	for i, p := range spellings {
		b := webBuyer(i)
		r, err := e.s.Reserve(e.ctx, d.ID, b, 1, "old-"+p, e.clock.Now(), commerce.PersonLimits{})
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		o, _, err := e.s.OrderDropReservation(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID,
			Lang: "en", Status: commerce.StatusConfirmed, PickupPointID: e.point.ID, ContactName: "Li", Phone: p,
			IdempotencyKey: "old-order-" + p, CreatedAt: now, UpdatedAt: now, ExpiresAt: now}, r.ID, now, commerce.PersonLimits{})
		if err != nil {
			t.Fatalf("drop order on %q (stored as typed, as before E.164): %v", p, err)
		}
		orders = append(orders, o)
	}
	odd := e.mustPlace(tgBuyer(1), "12345", 1) // not a number the plan knows: left alone
	if _, err := e.s.SetOrderStatus(e.ctx, orders[2].ID, commerce.StatusConfirmed, commerce.StatusCancelled, e.clock.Now()); err != nil {
		t.Fatal(err)
	}

	changed, err := e.s.NormalizePhones(e.ctx, "CN", cn.Normalize)
	if err != nil || changed != 2 {
		t.Fatalf("NormalizePhones = %d, %v; want 2 spellings changed", changed, err)
	}
	for _, o := range orders {
		got, err := e.s.Order(e.ctx, o.ID)
		if err != nil || got.Phone != "+8613711110001" {
			t.Errorf("order %s phone = %q, %v", o.Number, got.Phone, err)
		}
	}
	if got, _ := e.s.Order(e.ctx, odd.ID); got.Phone != "12345" {
		t.Errorf("an unparsable number changed to %q", got.Phone)
	}
	var rows, taken int
	if err := e.s.DB().QueryRowContext(e.ctx, `SELECT COUNT(*), COALESCE(SUM(taken), 0) FROM drop_phones WHERE drop_id = $1`, d.ID).
		Scan(&rows, &taken); err != nil || rows != 1 || taken != 2 {
		t.Fatalf("drop_phones = %d rows, %d taken, %v; want one number holding the 2 uncancelled units", rows, taken, err)
	}
	// The number is at (past) the limit now: a new order on it is refused.
	b := webBuyer(9)
	r, err := e.s.Reserve(e.ctx, d.ID, b, 1, "new", e.clock.Now(), commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	_, _, err = e.s.OrderDropReservation(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: b, ChatID: b.UserID,
		Lang: "en", Status: commerce.StatusConfirmed, PickupPointID: e.point.ID, ContactName: "Li", Phone: "+8613711110001",
		IdempotencyKey: "new-order", CreatedAt: now, UpdatedAt: now, ExpiresAt: now}, r.ID, now, commerce.PersonLimits{})
	wantErr(t, "the number's limit after normalizing", err, commerce.ErrDropLimit)

	if changed, err := e.s.NormalizePhones(e.ctx, "CN", cn.Normalize); err != nil || changed != 0 {
		t.Errorf("second run = %d, %v; want nothing to do", changed, err)
	}
	e.clock.Advance(time.Second)
	ru, _ := phone.New("RU")
	if changed, err := e.s.NormalizePhones(e.ctx, "RU", ru.Normalize); err != nil || changed != 0 {
		t.Errorf("run in another region = %d, %v; want E.164 numbers unchanged", changed, err)
	}
}
