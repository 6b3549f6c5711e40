package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
)

func testRedemption(t *testing.T, open OpenShop) {
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
}

// testEarlyRedemption: an order collected before its booked slot frees
// the seat.
func testEarlyRedemption(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	w := e.readyOrder(alice, e.a)
	if _, err := e.p.Book(e.ctx, alice, w.ID, slotAt(e.a, at(26, 10, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(w).Code); err != nil || e.booked(e.a, at(26, 10, 0)) != 0 {
		t.Fatalf("early collection: %v; seats %d", err, e.booked(e.a, at(26, 10, 0)))
	}
}

// testHandedOverWithoutCode: an order handed over without its code
// (Shop.AdvanceOrder) is already collected.
func testHandedOverWithoutCode(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	z := e.readyOrder(alice, e.a)
	if _, err := e.s.SetOrderStatus(e.ctx, z.ID, commerce.StatusReadyForPickup, commerce.StatusPickedUp, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "redeem an order handed over without code", func() error { _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(z).Code); return err }(), commerce.ErrAlreadyCollected)
	wantErr(t, "inspect an order handed over without code", func() error { _, err := e.p.Inspect(e.ctx, "tg:100", e.a.ID, e.pass(z).Code); return err }(), commerce.ErrAlreadyCollected)
}

// testReissue: expired codes, a reissued code, and the codes it supersedes.
func testReissue(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	o := e.readyOrder(alice, e.a) // collected: no reissue for it
	if _, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, e.pass(o).Code); err != nil {
		t.Fatal(err)
	}
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

func testDoubleRedemption(t *testing.T, open OpenShop) {
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

func testHoldPeriod(t *testing.T, open OpenShop) {
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
