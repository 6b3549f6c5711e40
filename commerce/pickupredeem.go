package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func (p *Pickup) pass(c PickupCode) PickupPass {
	return PickupPass{PickupCode: c, Token: SignPickupToken(p.secret, PickupClaims{
		OrderID: c.OrderID, PointID: c.PointID, Code: c.Code, Expires: c.ExpiresAt})}
}

// Pass returns the buyer's pickup code and QR token for an order.
// ErrNotFound if the order is not the buyer's or not yet ready for pickup;
// ErrAlreadyCollected once it was picked up.
func (p *Pickup) Pass(ctx context.Context, b Buyer, orderID int64) (PickupPass, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return PickupPass{}, err
	}
	c, err := p.store.CodeOf(ctx, orderID)
	if err != nil {
		return PickupPass{}, err
	}
	if c.Redeemed() {
		return PickupPass{}, fmt.Errorf("order %d: %w", orderID, ErrAlreadyCollected)
	}
	return p.pass(c), nil
}

// ReissueCode gives a ready_for_pickup order a new code and token (the old
// ones stop working), valid for the code TTL from now, and emits
// PickupCodeReissued (seller or staff use: a lost or leaked code, or an
// expired one). ErrInvalid if the order is not ready for pickup.
func (p *Pickup) ReissueCode(ctx context.Context, orderID int64) (PickupPass, error) {
	o, err := p.store.Order(ctx, orderID)
	if err != nil {
		return PickupPass{}, err
	}
	if o.Status != StatusReadyForPickup {
		return PickupPass{}, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrInvalid)
	}
	now := p.clock.Now()
	c, err := p.store.ReissueCode(ctx, orderID, NewPickupCode, now.Add(p.codeTTL).Truncate(time.Second), now)
	if err != nil {
		return PickupPass{}, err
	}
	return p.pass(c), nil
}

// Collection is what staff see before and after handing an order over.
type Collection struct {
	Order     Order // with its lines
	FirstName string
	Code      PickupCode
	Booking   *Booking // the active booking; nil for a walk-in
}

// Clerk is who checks a pickup code at a counter, and what their wrong
// codes count against.
type Clerk struct {
	// Staff is the staff identity ("tg:42", "web:staff-jingan"): it must be
	// staff of the point, and is recorded as who handed the order over.
	Staff string
	// Session names the sign-in the request comes from: on the staff page a
	// non-secret handle of its server-side session. Wrong codes count
	// against it (PickupOptions.StaffLimit); when it is empty — the chat,
	// where the identity is the sign-in — they count against Staff.
	Session string
	// Addr is the client's address (the staff page; empty on the chat).
	// Wrong codes count against it too (PickupOptions.AddrLimit).
	Addr string
}

// scopeLimit is one allowance a guess is taken from.
type scopeLimit struct {
	scope, what string
	lim         Limit
}

func (p *Pickup) allowances(c Clerk) []scopeLimit {
	first := scopeLimit{"staff:" + c.Staff, "staff member", p.staffLimit}
	if c.Session != "" {
		first = scopeLimit{"session:" + c.Session, "session", p.staffLimit}
	}
	out := []scopeLimit{first}
	if c.Addr != "" {
		out = append(out, scopeLimit{"addr:" + c.Addr, "address", p.addrLimit})
	}
	return out
}

// takeAttempts claims one attempt from each of the clerk's allowances
// before a guess is looked at, each with one conditional statement: of
// simultaneous guesses exactly as many pass as there is room. ErrRateLimited
// (nothing taken) when an allowance is used up.
func (p *Pickup) takeAttempts(ctx context.Context, c Clerk, now time.Time) ([]Attempt, error) {
	var taken []Attempt
	for _, al := range p.allowances(c) {
		a, ok, err := p.store.TakeAttempt(ctx, al.scope, al.lim.N, al.lim.Per, now)
		if err == nil && ok {
			taken = append(taken, a)
			continue
		}
		p.returnAttempts(ctx, taken)
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%d wrong codes in %v from this %s: %w", al.lim.N, al.lim.Per, al.what, ErrRateLimited)
	}
	return taken, nil
}

// returnAttempts gives back attempts taken for what was no guess. A failure
// leaves them counted: a later refusal, never one more guess.
func (p *Pickup) returnAttempts(ctx context.Context, taken []Attempt) {
	for _, a := range taken {
		_ = p.store.ReturnAttempt(ctx, a)
	}
}

// wrong counts a wrong code at the point (the flood alert) and returns cause.
func (p *Pickup) wrong(ctx context.Context, pointID int64, now time.Time, cause error) error {
	if _, err := p.store.CountWrongCode(ctx, pointID, p.floodAlert, now); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// usable fails for a code already redeemed or expired.
func usable(c PickupCode, now time.Time) (PickupCode, error) {
	if c.Redeemed() {
		return c, fmt.Errorf("order %d collected %s: %w", c.OrderID, c.RedeemedAt.Format(time.RFC3339), ErrAlreadyCollected)
	}
	if !now.Before(c.ExpiresAt) {
		return c, fmt.Errorf("code of order %d expired %s: %w", c.OrderID, c.ExpiresAt.Format(time.RFC3339), ErrCodeExpired)
	}
	return c, nil
}

// verify finds the code staff entered at their point, enforcing staff
// membership and the wrong-code limits.
//
// A token we signed (a QR pass) proves the buyer's pass: nothing can be
// guessed with it, so it is checked without taking from any allowance and
// is never refused for wrong codes, the clerk's or anyone's. Everything
// else — a typed code, a forged or damaged token — is a guess: one attempt
// is taken from each of the clerk's allowances before the code is looked
// up, and given back when the point did issue the code.
func (p *Pickup) verify(ctx context.Context, clerk Clerk, pointID int64, input string) (PickupCode, error) {
	if _, err := p.staffPoint(ctx, clerk.Staff, pointID); err != nil {
		return PickupCode{}, err
	}
	now := p.clock.Now()
	in, err := ParseRedeemInput(input)
	if err == nil && in.Token != "" {
		claims, terr := VerifyPickupToken(p.secret, in.Token, now)
		if terr == nil || errors.Is(terr, ErrCodeExpired) {
			return p.passCode(ctx, pointID, claims, terr, now)
		}
		err = terr
	}
	taken, terr := p.takeAttempts(ctx, clerk, now)
	if terr != nil {
		return PickupCode{}, terr
	}
	var c PickupCode
	if err == nil {
		if c, err = p.store.CodeAt(ctx, pointID, in.Code); errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("code at point %d: %w", pointID, ErrWrongCode)
		}
	}
	if errors.Is(err, ErrWrongCode) {
		return PickupCode{}, p.wrong(ctx, pointID, now, err)
	}
	p.returnAttempts(ctx, taken) // a code the point issued, or our own failure: no guess
	if err != nil {
		return PickupCode{}, err
	}
	return usable(c, now)
}

// passCode is the code a genuine token (signature checked, expired when
// expired is not nil) stands for at pointID.
func (p *Pickup) passCode(ctx context.Context, pointID int64, claims PickupClaims, expired error, now time.Time) (PickupCode, error) {
	if expired != nil {
		return PickupCode{}, expired
	}
	if claims.PointID != pointID {
		return PickupCode{}, fmt.Errorf("token for point %d at point %d: %w", claims.PointID, pointID, ErrWrongPoint)
	}
	c, err := p.store.CodeOf(ctx, claims.OrderID)
	if errors.Is(err, ErrNotFound) {
		return PickupCode{}, fmt.Errorf("token of order %d, which has no code: %w", claims.OrderID, ErrWrongCode)
	}
	if err != nil {
		return PickupCode{}, err
	}
	if c.Code != claims.Code || c.PointID != pointID || !c.ExpiresAt.Equal(claims.Expires) {
		return PickupCode{}, fmt.Errorf("token of order %d was superseded by a reissued code: %w", claims.OrderID, ErrWrongCode)
	}
	return usable(c, now)
}

func collection(o Order, c PickupCode, bk *Booking) Collection {
	return Collection{Order: o, FirstName: FirstName(o.ContactName), Code: c, Booking: bk}
}

// Inspect shows staff the order a code (or scanned token) collects, without
// handing it over: the first step of redemption. It is InspectBy for a chat
// identity, whose wrong codes count against the identity. Errors as Redeem.
func (p *Pickup) Inspect(ctx context.Context, staff string, pointID int64, input string) (Collection, error) {
	return p.InspectBy(ctx, Clerk{Staff: staff}, pointID, input)
}

// InspectBy is Inspect for a clerk whose wrong codes count against their
// session and address (the staff page).
func (p *Pickup) InspectBy(ctx context.Context, clerk Clerk, pointID int64, input string) (Collection, error) {
	c, err := p.verify(ctx, clerk, pointID, input)
	if err != nil {
		return Collection{}, err
	}
	o, err := p.store.Order(ctx, c.OrderID)
	if err != nil {
		return Collection{}, err
	}
	if o.Status != StatusReadyForPickup {
		return Collection{}, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrAlreadyCollected)
	}
	var bk *Booking
	if b, err := p.store.ActiveBooking(ctx, o.ID); err == nil {
		bk = &b
	} else if !errors.Is(err, ErrNotFound) {
		return Collection{}, err
	}
	return collection(o, c, bk), nil
}

// Redeem hands an order over: staff of the point enter the buyer's 6-digit
// code or scan the QR token; the order becomes picked_up exactly once. It is
// RedeemBy for a chat identity, whose wrong codes count against the
// identity.
//
// Errors: ErrForbidden (not staff of the point), ErrRateLimited (the
// clerk's wrong-code allowance is used up; checked, and the attempt taken,
// before a typed code is looked at; a genuine QR token is never limited),
// ErrWrongCode (wrong, unknown or tampered code — counted against the
// clerk and towards the point's flood alert), ErrWrongPoint (a genuine
// token of another point), ErrCodeExpired, ErrAlreadyCollected (of two
// staff redeeming at once, one succeeds and the other gets this).
func (p *Pickup) Redeem(ctx context.Context, staff string, pointID int64, input string) (Collection, error) {
	return p.RedeemBy(ctx, Clerk{Staff: staff}, pointID, input)
}

// RedeemBy is Redeem for a clerk whose wrong codes count against their
// session and address (the staff page).
func (p *Pickup) RedeemBy(ctx context.Context, clerk Clerk, pointID int64, input string) (Collection, error) {
	c, err := p.verify(ctx, clerk, pointID, input)
	if err != nil {
		return Collection{}, err
	}
	now := p.clock.Now()
	o, bk, err := p.store.RedeemPickup(ctx, c.OrderID, pointID, c.Code, clerk.Staff, now)
	if err != nil {
		return Collection{}, err
	}
	c.RedeemedAt, c.RedeemedBy = now, clerk.Staff
	return collection(o, c, bk), nil
}

// AlertOverdueHolds emits HoldExpired, once per order, for every order
// still waiting at its point a hold period after it arrived, and returns
// them. Run it periodically.
func (p *Pickup) AlertOverdueHolds(ctx context.Context) ([]Order, error) {
	now := p.clock.Now()
	return p.store.OverdueHolds(ctx, now.Add(-p.hold), now, 200)
}
