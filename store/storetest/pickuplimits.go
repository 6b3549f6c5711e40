package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/commerce"
)

// The wrong-code limits of pickup redemption: per staff session (or chat
// identity) and per client address, claimed before a code is looked at;
// QR passes and right codes take nothing; a flood at a point tells the
// sellers once per window.

// lookupCounter counts the codes the Pickup service looked up at a point:
// the guesses it evaluated.
type lookupCounter struct {
	ShopStore
	n atomic.Int64
}

func (c *lookupCounter) CodeAt(ctx context.Context, pointID int64, code string) (commerce.PickupCode, error) {
	c.n.Add(1)
	return c.ShopStore.CodeAt(ctx, pointID, code)
}

// wrongCode is a 6-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func clerk(session, addr string) commerce.Clerk {
	return commerce.Clerk{Staff: "web:anna", Session: session, Addr: addr}
}

// testRateLimit: a chat identity's wrong codes, one after another.
func testRateLimit(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil) // the default: 5 wrong codes per 10 minutes
	o := e.readyOrder(alice, e.a)
	pass := e.pass(o)
	wrong := wrongCode(pass.Code)
	inspect := func(staff string, pt commerce.PickupPoint, in string) error {
		_, err := e.p.Inspect(e.ctx, staff, pt.ID, in)
		return err
	}
	for i, in := range []string{wrong, "12345", "hello", tamper(pass.Token), wrong} {
		wantErr(t, fmt.Sprintf("wrong code %d", i+1), inspect("tg:100", e.a, in), commerce.ErrWrongCode)
	}
	wantErr(t, "right code after 5 wrong", inspect("tg:100", e.a, pass.Code), commerce.ErrRateLimited)
	wantErr(t, "forged token after 5 wrong", inspect("tg:100", e.a, tamper(pass.Token)), commerce.ErrRateLimited)
	// A QR pass proves itself: never limited.
	if _, err := e.p.Inspect(e.ctx, "tg:100", e.a.ID, pass.Token); err != nil {
		t.Fatalf("QR pass after 5 wrong codes: %v", err)
	}
	other := e.pass(e.readyOrder(alice, e.b))
	wantErr(t, "another point's pass", inspect("tg:100", e.a, other.Token), commerce.ErrWrongPoint)
	wantErr(t, "not staff", inspect("tg:999", e.a, wrong), commerce.ErrForbidden)
	// Another staff member at the same point is not locked out.
	if _, err := e.p.Inspect(e.ctx, "tg:1", e.a.ID, pass.Code); err != nil {
		t.Fatalf("another staff member's right code: %v", err)
	}
	wantErr(t, "another staff member's wrong code", inspect("tg:1", e.a, wrong), commerce.ErrWrongCode)
	e.clock.Advance(10*time.Minute + time.Second)
	if got, err := e.p.Redeem(e.ctx, "tg:100", e.a.ID, pass.Code); err != nil || got.Order.ID != o.ID {
		t.Fatalf("after the window: %+v, %v", got, err)
	}
	// tg:100 opened a new window for its right code; tg:1's and the point's are over.
	if res, err := e.p.Sweep(e.ctx); err != nil || res.Pruned != 2 {
		t.Fatalf("Sweep = %+v, %v; want 2 windows pruned", res, err)
	}
}

// testConcurrentGuesses: 100 simultaneous wrong codes are evaluated exactly
// as many times as the allowance they share has room for; the others are
// refused without being looked at.
func testConcurrentGuesses(t *testing.T, open OpenShop) {
	for _, tc := range []struct {
		name  string
		clerk func(i int) commerce.Clerk
		want  int64
	}{
		{"one chat identity", func(int) commerce.Clerk { return commerce.Clerk{Staff: "tg:100"} }, 5},
		{"one session, one address", func(int) commerce.Clerk { return clerk("s1", "203.0.113.7") }, 5},
		{"one session, many addresses", func(i int) commerce.Clerk { return clerk("s1", fmt.Sprintf("198.51.100.%d", i)) }, 5},
		{"many sessions, one address", func(i int) commerce.Clerk { return clerk(fmt.Sprintf("s%d", i), "192.0.2.1") }, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPickupEnv(t, open, nil)
			lc := &lookupCounter{ShopStore: e.s}
			p, err := commerce.NewPickup(commerce.PickupOptions{Store: lc, Clock: e.clock, Secret: testSecret})
			if err != nil {
				t.Fatal(err)
			}
			wrong := wrongCode(e.pass(e.readyOrder(alice, e.a)).Code)
			var limited, wrongs atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 100 {
				wg.Go(func() {
					<-start
					_, err := p.InspectBy(e.ctx, tc.clerk(i), e.a.ID, wrong)
					switch {
					case errors.Is(err, commerce.ErrRateLimited):
						limited.Add(1)
					case errors.Is(err, commerce.ErrWrongCode):
						wrongs.Add(1)
					default:
						t.Errorf("InspectBy: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			t.Logf("100 simultaneous wrong codes: %d evaluated, %d refused as rate-limited", lc.n.Load(), limited.Load())
			if lc.n.Load() != tc.want || wrongs.Load() != tc.want || limited.Load() != 100-tc.want {
				t.Fatalf("evaluated %d, wrong %d, rate-limited %d; want %d, %d, %d",
					lc.n.Load(), wrongs.Load(), limited.Load(), tc.want, tc.want, 100-tc.want)
			}
		})
	}
}

// testLimitPerSession: one session's wrong codes lock that session (and,
// past the address allowance, that address), never another session's right
// code nor anyone's QR pass.
func testLimitPerSession(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil) // 5 per session, 20 per address
	o := e.readyOrder(alice, e.a)
	pass := e.pass(o)
	wrong := wrongCode(pass.Code)
	inspect := func(c commerce.Clerk, in string) error {
		_, err := e.p.InspectBy(e.ctx, c, e.a.ID, in)
		return err
	}
	s1 := clerk("s1", "203.0.113.7")
	for i := range 5 {
		wantErr(t, fmt.Sprintf("s1 wrong %d", i+1), inspect(s1, wrong), commerce.ErrWrongCode)
	}
	wantErr(t, "s1 after 5 wrong", inspect(s1, wrong), commerce.ErrRateLimited)
	wantErr(t, "s1's own right code", inspect(s1, pass.Code), commerce.ErrRateLimited)
	if err := inspect(s1, pass.Token); err != nil {
		t.Fatalf("s1's QR pass: %v", err)
	}
	s2 := clerk("s2", "198.51.100.9")
	if err := inspect(s2, pass.Code); err != nil {
		t.Fatalf("another session's right code: %v", err)
	}
	// The same person signed in twice counts twice: the session is what is limited.
	if err := inspect(clerk("s3", "198.51.100.10"), pass.Code); err != nil {
		t.Fatalf("the same person's other session: %v", err)
	}
	// Sessions sharing s1's address: 15 more wrong codes fill its 20.
	for i := range 3 {
		for j := range 5 {
			wantErr(t, fmt.Sprintf("same address, session %d, wrong %d", i, j), inspect(clerk(fmt.Sprintf("n%d", i), "203.0.113.7"), wrong), commerce.ErrWrongCode)
		}
	}
	wantErr(t, "a fresh session at the full address", inspect(clerk("n9", "203.0.113.7"), pass.Code), commerce.ErrRateLimited)
	if err := inspect(clerk("n9", "203.0.113.7"), pass.Token); err != nil {
		t.Fatalf("QR pass at the full address: %v", err)
	}
	got, err := e.p.RedeemBy(e.ctx, s2, e.a.ID, pass.Code)
	if err != nil || got.Code.RedeemedBy != "web:anna" || got.Order.ID != o.ID {
		t.Fatalf("RedeemBy = %+v, %v", got, err)
	}
}

// testRightCodesFree: codes the point issued take nothing from the
// allowance, handed over or not.
func testRightCodesFree(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil)
	s := clerk("s1", "203.0.113.7")
	var codes []string
	for range 8 {
		o := e.readyOrder(alice, e.a)
		code := e.pass(o).Code
		codes = append(codes, code)
		if _, err := e.p.InspectBy(e.ctx, s, e.a.ID, code); err != nil {
			t.Fatalf("inspect: %v", err)
		}
		if _, err := e.p.RedeemBy(e.ctx, s, e.a.ID, code); err != nil {
			t.Fatalf("redeem: %v", err)
		}
	}
	for _, code := range codes { // collected: a code the point issued, no guess
		wantErr(t, "collected code", func() error { _, err := e.p.InspectBy(e.ctx, s, e.a.ID, code); return err }(), commerce.ErrAlreadyCollected)
	}
	wrong := "000000"
	for contains(codes, wrong) {
		wrong = fmt.Sprintf("%06d", len(wrong)+1)
	}
	for i := range 5 {
		wantErr(t, fmt.Sprintf("wrong %d", i+1), func() error { _, err := e.p.InspectBy(e.ctx, s, e.a.ID, wrong); return err }(), commerce.ErrWrongCode)
	}
	wantErr(t, "sixth wrong", func() error { _, err := e.p.InspectBy(e.ctx, s, e.a.ID, wrong); return err }(), commerce.ErrRateLimited)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// testFloodAlert: wrong codes from many sessions at one point tell the
// sellers once per window, and refuse nobody.
func testFloodAlert(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, func(o *commerce.PickupOptions) { o.FloodAlert = commerce.Limit{N: 8, Per: 10 * time.Minute} })
	pass := e.pass(e.readyOrder(alice, e.a))
	wrong := wrongCode(pass.Code)
	guess := func(i int, pt commerce.PickupPoint, staff string) {
		t.Helper()
		c := commerce.Clerk{Staff: staff, Session: fmt.Sprintf("s%d", i), Addr: fmt.Sprintf("198.51.100.%d", i)}
		wantErr(t, fmt.Sprintf("guess %d", i), func() error { _, err := e.p.InspectBy(e.ctx, c, pt.ID, wrong); return err }(), commerce.ErrWrongCode)
	}
	for i := range 7 {
		guess(i, e.a, "web:anna")
	}
	guess(0, e.b, "tg:200") // another point counts apart
	if ev := e.log.named("staff_code_flood"); len(ev) != 0 {
		t.Fatalf("flood events below the level: %+v", ev)
	}
	for i := 7; i < 20; i++ {
		guess(i, e.a, "web:anna")
	}
	ev := e.log.named("staff_code_flood")
	if len(ev) != 1 {
		t.Fatalf("%d flood events; want 1", len(ev))
	}
	if f := ev[0].(commerce.StaffCodeFlood); f.PointID != e.a.ID || f.Wrong != 8 || !f.Since.Equal(pickupStart) || f.Per != 10*time.Minute {
		t.Fatalf("flood event %+v", f)
	}
	// Nobody is refused for it: a fresh session's right code, anyone's QR pass.
	if _, err := e.p.InspectBy(e.ctx, clerk("fresh", "192.0.2.50"), e.a.ID, pass.Code); err != nil {
		t.Fatalf("right code during a flood: %v", err)
	}
	if _, err := e.p.InspectBy(e.ctx, clerk("s0", "198.51.100.0"), e.a.ID, pass.Token); err != nil {
		t.Fatalf("QR pass during a flood: %v", err)
	}
	if _, err := e.p.Inspect(e.ctx, "tg:1", e.a.ID, pass.Code); err != nil {
		t.Fatalf("chat staff during a flood: %v", err)
	}
	// The next window alerts again.
	e.clock.Advance(10 * time.Minute)
	for i := 20; i < 28; i++ {
		guess(i, e.a, "web:anna")
	}
	if ev := e.log.named("staff_code_flood"); len(ev) != 2 || !ev[1].(commerce.StaffCodeFlood).Since.Equal(pickupStart.Add(10*time.Minute)) {
		t.Fatalf("flood events after the window: %+v", ev)
	}
}

// testFloodAlertRace: 100 simultaneous wrong codes from 50 sessions and
// addresses alert once.
func testFloodAlertRace(t *testing.T, open OpenShop) {
	e := newPickupEnv(t, open, nil) // alert at 20 per 10 minutes
	wrong := wrongCode(e.pass(e.readyOrder(alice, e.a)).Code)
	var wg sync.WaitGroup
	var wrongs atomic.Int64
	start := make(chan struct{})
	for i := range 100 {
		wg.Go(func() {
			<-start
			c := clerk(fmt.Sprintf("s%d", i/2), fmt.Sprintf("198.51.100.%d", i/2))
			_, err := e.p.InspectBy(e.ctx, c, e.a.ID, wrong)
			if !errors.Is(err, commerce.ErrWrongCode) {
				t.Errorf("InspectBy: %v", err)
			}
			wrongs.Add(1)
		})
	}
	close(start)
	wg.Wait()
	if ev := e.log.named("staff_code_flood"); len(ev) != 1 || wrongs.Load() != 100 {
		t.Fatalf("%d wrong codes made %d flood events; want 100 and 1", wrongs.Load(), len(ev))
	}
}
