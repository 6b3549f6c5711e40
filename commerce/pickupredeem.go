package commerce

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

func staffScope(identity string) string { return "staff:" + identity }
func pointScope(id int64) string        { return "point:" + strconv.FormatInt(id, 10) }

// checkLimits fails with ErrRateLimited while the staff member or the
// point has used up its wrong-code allowance.
func (p *Pickup) checkLimits(ctx context.Context, staff string, pointID int64, now time.Time) error {
	for _, c := range []struct {
		scope string
		lim   Limit
	}{{staffScope(staff), p.staffLimit}, {pointScope(pointID), p.pointLimit}} {
		n, err := p.store.CountFailures(ctx, c.scope, now.Add(-c.lim.Per))
		if err != nil {
			return err
		}
		if n >= c.lim.N {
			return fmt.Errorf("%d wrong codes in %v for %s: %w", n, c.lim.Per, c.scope, ErrRateLimited)
		}
	}
	return nil
}

// wrong records a wrong-code attempt and returns cause.
func (p *Pickup) wrong(ctx context.Context, staff string, pointID int64, now time.Time, cause error) error {
	if err := p.store.RecordFailure(ctx, now, staffScope(staff), pointScope(pointID)); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// verify finds the code staff entered at their point, enforcing staff
// membership and the wrong-code limits.
func (p *Pickup) verify(ctx context.Context, staff string, pointID int64, input string) (PickupCode, error) {
	if _, err := p.staffPoint(ctx, staff, pointID); err != nil {
		return PickupCode{}, err
	}
	now := p.clock.Now()
	if err := p.checkLimits(ctx, staff, pointID, now); err != nil {
		return PickupCode{}, err
	}
	in, err := ParseRedeemInput(input)
	if err != nil {
		return PickupCode{}, p.wrong(ctx, staff, pointID, now, err)
	}
	var c PickupCode
	if in.Token != "" {
		claims, err := VerifyPickupToken(p.secret, in.Token, now)
		switch {
		case errors.Is(err, ErrCodeExpired):
			return PickupCode{}, err // genuine: not a guess
		case err != nil:
			return PickupCode{}, p.wrong(ctx, staff, pointID, now, err)
		case claims.PointID != pointID:
			return PickupCode{}, fmt.Errorf("token for point %d at point %d: %w", claims.PointID, pointID, ErrWrongPoint)
		}
		c, err = p.store.CodeOf(ctx, claims.OrderID)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return PickupCode{}, p.wrong(ctx, staff, pointID, now, fmt.Errorf("token of order %d: %w", claims.OrderID, ErrWrongCode))
			}
			return PickupCode{}, err
		}
		if c.Code != claims.Code || c.PointID != pointID || !c.ExpiresAt.Equal(claims.Expires) {
			return PickupCode{}, fmt.Errorf("token of order %d was superseded by a reissued code: %w", claims.OrderID, ErrWrongCode)
		}
	} else {
		c, err = p.store.CodeAt(ctx, pointID, in.Code)
		if errors.Is(err, ErrNotFound) {
			return PickupCode{}, p.wrong(ctx, staff, pointID, now, fmt.Errorf("code at point %d: %w", pointID, ErrWrongCode))
		}
		if err != nil {
			return PickupCode{}, err
		}
	}
	if c.Redeemed() {
		return c, fmt.Errorf("order %d collected %s: %w", c.OrderID, c.RedeemedAt.Format(time.RFC3339), ErrAlreadyCollected)
	}
	if !now.Before(c.ExpiresAt) {
		return c, fmt.Errorf("code of order %d expired %s: %w", c.OrderID, c.ExpiresAt.Format(time.RFC3339), ErrCodeExpired)
	}
	return c, nil
}

func collection(o Order, c PickupCode, bk *Booking) Collection {
	return Collection{Order: o, FirstName: FirstName(o.ContactName), Code: c, Booking: bk}
}

// Inspect shows staff the order a code (or scanned token) collects, without
// handing it over: the first step of redemption. Errors as Redeem.
func (p *Pickup) Inspect(ctx context.Context, staff string, pointID int64, input string) (Collection, error) {
	c, err := p.verify(ctx, staff, pointID, input)
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
// code or scan the QR token; the order becomes picked_up exactly once.
// Errors: ErrForbidden (not staff of the point), ErrRateLimited (too many
// wrong codes lately, checked before the code), ErrWrongCode (wrong,
// unknown or tampered code — counted against the limits), ErrWrongPoint (a
// genuine token of another point), ErrCodeExpired, ErrAlreadyCollected (of
// two staff redeeming at once, one succeeds and the other gets this).
func (p *Pickup) Redeem(ctx context.Context, staff string, pointID int64, input string) (Collection, error) {
	c, err := p.verify(ctx, staff, pointID, input)
	if err != nil {
		return Collection{}, err
	}
	now := p.clock.Now()
	o, bk, err := p.store.RedeemPickup(ctx, c.OrderID, pointID, c.Code, staff, now)
	if err != nil {
		return Collection{}, err
	}
	c.RedeemedAt, c.RedeemedBy = now, staff
	return collection(o, c, bk), nil
}

// AlertOverdueHolds emits HoldExpired, once per order, for every order
// still waiting at its point a hold period after it arrived, and returns
// them. Run it periodically.
func (p *Pickup) AlertOverdueHolds(ctx context.Context) ([]Order, error) {
	now := p.clock.Now()
	return p.store.OverdueHolds(ctx, now.Add(-p.hold), now, 200)
}
