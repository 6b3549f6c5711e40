package commerce

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ReturnRequest is what the buyer chose when starting a return.
type ReturnRequest struct {
	OrderID int64
	Kind    ReturnKind
	Reason  string // one of ReturnReasons
	Note    string
}

// ReturnDeadline is the end of the buyer's return period for a picked-up
// order. ErrNotFound if the order is not the buyer's; ErrInvalid if it was
// not picked up (or was already returned).
func (p *Pickup) ReturnDeadline(ctx context.Context, b Buyer, orderID int64) (time.Time, error) {
	o, err := p.ownOrder(ctx, b, orderID)
	if err != nil {
		return time.Time{}, err
	}
	if o.Status != StatusPickedUp {
		return time.Time{}, fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrInvalid)
	}
	at, err := p.store.PickedUpAt(ctx, orderID)
	if err != nil {
		return time.Time{}, err
	}
	return at.Add(p.returnPeriod), nil
}

// StartReturn opens a return, exchange or repair request for the buyer's
// picked-up order within the return period, to be handled at the order's
// pickup point, and emits ReturnChanged. If the order already has an open
// request that one is returned unchanged. ErrReturnWindowClosed after the
// period; ErrInvalid for an unknown kind or reason, or an order not picked up.
func (p *Pickup) StartReturn(ctx context.Context, b Buyer, req ReturnRequest) (Return, error) {
	deadline, err := p.ReturnDeadline(ctx, b, req.OrderID)
	if err != nil {
		return Return{}, err
	}
	now := p.clock.Now()
	if !now.Before(deadline) {
		return Return{}, fmt.Errorf("order %d: return period ended %s: %w", req.OrderID, deadline.Format(time.RFC3339), ErrReturnWindowClosed)
	}
	o, err := p.store.Order(ctx, req.OrderID)
	if err != nil {
		return Return{}, err
	}
	r := Return{OrderID: o.ID, PointID: o.PickupPointID, Kind: req.Kind, Reason: req.Reason,
		Note: strings.TrimSpace(req.Note), Status: ReturnRequested, CreatedAt: now, UpdatedAt: now}
	if err := r.Validate(); err != nil {
		return Return{}, err
	}
	saved, _, err := p.store.CreateReturn(ctx, r)
	return saved, err
}

// Returns lists the buyer's returns of an order, newest first.
func (p *Pickup) Returns(ctx context.Context, b Buyer, orderID int64) ([]Return, error) {
	if _, err := p.ownOrder(ctx, b, orderID); err != nil {
		return nil, err
	}
	return p.store.OrderReturns(ctx, orderID)
}

// ownReturn returns the buyer's return; ErrNotFound for anyone else's.
func (p *Pickup) ownReturn(ctx context.Context, b Buyer, id int64) (Return, error) {
	r, err := p.store.Return(ctx, id)
	if err != nil {
		return Return{}, err
	}
	if _, err := p.ownOrder(ctx, b, r.OrderID); err != nil {
		return Return{}, fmt.Errorf("return %d: %w", id, err)
	}
	return r, nil
}

// BookDropoff books (or moves) the drop-off of the buyer's open return into
// a slot at the return's point — the same slots and seats as pickups, with
// the same rules (ErrInvalid, ErrSlotFull) — and emits ReturnChanged.
// Slots come from NextSlots(r.PointID).
func (p *Pickup) BookDropoff(ctx context.Context, b Buyer, returnID int64, slot PickupSlot) (Return, error) {
	r, err := p.ownReturn(ctx, b, returnID)
	if err != nil {
		return Return{}, err
	}
	if !r.Status.Open() {
		return Return{}, fmt.Errorf("return %d is %s: %w", r.ID, r.Status, ErrInvalid)
	}
	pt, err := p.store.PickupPoint(ctx, r.PointID)
	if err != nil {
		return Return{}, err
	}
	now := p.clock.Now()
	s, err := p.checkSlot(pt, slot, now)
	if err != nil {
		return Return{}, err
	}
	return p.store.BookDropoff(ctx, r.ID, s, now)
}

// CancelReturn withdraws the buyer's open return, freeing its drop-off
// seat. Cancelling a cancelled return is harmless; a decided one gives
// ErrInvalidTransition.
func (p *Pickup) CancelReturn(ctx context.Context, b Buyer, returnID int64) (Return, error) {
	r, err := p.ownReturn(ctx, b, returnID)
	if err != nil {
		return Return{}, err
	}
	if r.Status == ReturnCancelled {
		return r, nil
	}
	return p.store.SetReturnStatus(ctx, returnID, ReturnCancelled, "", "", p.clock.Now())
}

// OpenReturns lists the open returns expected at a point, for its staff.
func (p *Pickup) OpenReturns(ctx context.Context, staff string, pointID int64) ([]Return, error) {
	if _, err := p.staffPoint(ctx, staff, pointID); err != nil {
		return nil, err
	}
	return p.store.OpenReturnsAt(ctx, pointID)
}

// AcceptReturn records that staff of the return's point took the goods back
// (a "return" also moves the order to returned). ErrForbidden for anyone
// but the point's staff; ErrWrongPoint for a return at another point;
// ErrInvalidTransition if it was already decided or cancelled.
func (p *Pickup) AcceptReturn(ctx context.Context, staff string, pointID, returnID int64, note string) (Return, error) {
	return p.decide(ctx, staff, pointID, returnID, ReturnAccepted, note)
}

// RejectReturn records that staff refused the return at the counter;
// errors as AcceptReturn.
func (p *Pickup) RejectReturn(ctx context.Context, staff string, pointID, returnID int64, note string) (Return, error) {
	return p.decide(ctx, staff, pointID, returnID, ReturnRejected, note)
}

func (p *Pickup) decide(ctx context.Context, staff string, pointID, returnID int64, to ReturnStatus, note string) (Return, error) {
	if _, err := p.staffPoint(ctx, staff, pointID); err != nil {
		return Return{}, err
	}
	r, err := p.store.Return(ctx, returnID)
	if err != nil {
		return Return{}, err
	}
	if r.PointID != pointID {
		return Return{}, fmt.Errorf("return %d is handled at point %d: %w", r.ID, r.PointID, ErrWrongPoint)
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 500 {
		return Return{}, fmt.Errorf("decision note: %w", ErrInvalid)
	}
	saved, err := p.store.SetReturnStatus(ctx, returnID, to, staff, note, p.clock.Now())
	if err != nil || to != ReturnAccepted {
		return saved, err
	}
	if _, _, err := p.RefundReturn(ctx, saved.ID, staff); err != nil {
		return saved, fmt.Errorf("return %d accepted, its refund not recorded: %w", saved.ID, err)
	}
	return saved, nil
}
