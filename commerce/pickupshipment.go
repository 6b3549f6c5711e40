package commerce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Shipment names orders travelling to one pickup point.
type Shipment struct {
	PointID int64
	// Numbers are order numbers (any case; spaces ignored).
	Numbers []string
	// Batch is a seller-chosen batch code (1–32 of A–Z 0–9 - _, any case).
	// Ship records the shipped orders under it; MarkArrived checks in every
	// order of the batch besides Numbers.
	Batch string
}

// SkipReason says why an order of a shipment was not moved.
type SkipReason string

const (
	SkipUnknown     SkipReason = "unknown_order" // no order with that number
	SkipOtherPoint  SkipReason = "other_point"   // the order is for another pickup point
	SkipWrongStatus SkipReason = "wrong_status"  // not confirmed (Ship) / not shipped (MarkArrived); see Status
)

// Skipped is an order a shipment left alone.
type Skipped struct {
	Number string
	Reason SkipReason
	Status OrderStatus // the order's status, unless unknown
}

// MoveReport is the outcome of Ship or MarkArrived, in input order.
type MoveReport struct {
	Moved   []Order
	Skipped []Skipped
}

// maxShipment caps the orders of one Ship or MarkArrived call.
const maxShipment = 1000

// NormalizeBatchCode upper-cases and checks a batch code. ErrInvalid if bad.
func NormalizeBatchCode(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" || len(s) > 32 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return "", fmt.Errorf("batch code %q: %w", s, ErrInvalid)
	}
	return s, nil
}

func normalizeNumbers(in []string) []string {
	var out []string
	for _, n := range in {
		n = NormalizeOrderNumber(n)
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Ship moves confirmed orders of a point to shipped (seller use), recording
// them under s.Batch when given. Orders that are unknown, for another point
// or not confirmed are skipped and reported. ErrNotFound for an unknown
// point; ErrWrongPoint if the batch exists for another point.
func (p *Pickup) Ship(ctx context.Context, s Shipment) (MoveReport, error) {
	if _, err := p.store.PickupPoint(ctx, s.PointID); err != nil {
		return MoveReport{}, err
	}
	batch := ""
	if s.Batch != "" {
		var err error
		if batch, err = NormalizeBatchCode(s.Batch); err != nil {
			return MoveReport{}, err
		}
	}
	if batch != "" {
		b, err := p.store.Batch(ctx, batch)
		if err == nil && b.PointID != s.PointID {
			return MoveReport{}, fmt.Errorf("batch %s is for point %d: %w", batch, b.PointID, ErrWrongPoint)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return MoveReport{}, err
		}
	}
	numbers := normalizeNumbers(s.Numbers)
	if len(numbers) == 0 || len(numbers) > maxShipment {
		return MoveReport{}, fmt.Errorf("ship %d orders: %w", len(numbers), ErrInvalid)
	}
	return p.move(ctx, s.PointID, numbers, OrderStatus.ReadyToShip, func(o Order) (Order, error) {
		return p.store.ShipOrder(ctx, o.ID, s.PointID, batch, p.clock.Now())
	})
}

// MarkArrived checks in orders at their pickup point: each shipped order of
// the point (by number, or every order of s.Batch) moves to arrived and on
// to ready_for_pickup in one transaction, gets its pickup code, and emits
// OrderArrived. Unknown orders, orders for another point and orders not
// shipped (already arrived included) are skipped and reported, so a repeated
// check-in is harmless. ErrNotFound for an unknown point or batch;
// ErrWrongPoint if the batch is for another point.
func (p *Pickup) MarkArrived(ctx context.Context, s Shipment) (MoveReport, error) {
	if _, err := p.store.PickupPoint(ctx, s.PointID); err != nil {
		return MoveReport{}, err
	}
	numbers := normalizeNumbers(s.Numbers)
	if s.Batch != "" {
		code, err := NormalizeBatchCode(s.Batch)
		if err != nil {
			return MoveReport{}, err
		}
		b, err := p.store.Batch(ctx, code)
		if err != nil {
			return MoveReport{}, err
		}
		if b.PointID != s.PointID {
			return MoveReport{}, fmt.Errorf("batch %s is for point %d: %w", code, b.PointID, ErrWrongPoint)
		}
		for _, id := range b.OrderIDs {
			o, err := p.store.Order(ctx, id)
			if err != nil {
				return MoveReport{}, err
			}
			if !slices.Contains(numbers, o.Number) {
				numbers = append(numbers, o.Number)
			}
		}
	}
	if len(numbers) == 0 || len(numbers) > maxShipment {
		return MoveReport{}, fmt.Errorf("check in %d orders: %w", len(numbers), ErrInvalid)
	}
	return p.move(ctx, s.PointID, numbers, func(s OrderStatus) bool { return s == StatusShipped }, func(o Order) (Order, error) {
		now := p.clock.Now()
		moved, _, err := p.store.ArriveOrder(ctx, ArrivalRecord{OrderID: o.ID, PointID: s.PointID, At: now,
			ExpiresAt: now.Add(p.codeTTL).Truncate(time.Second), NewCode: NewPickupCode})
		return moved, err
	})
}

// move applies step to every order of numbers that is at pointID in status
// from, reporting the rest.
func (p *Pickup) move(ctx context.Context, pointID int64, numbers []string, from func(OrderStatus) bool, step func(Order) (Order, error)) (MoveReport, error) {
	var r MoveReport
	for _, n := range numbers {
		o, err := p.store.OrderByNumber(ctx, n)
		switch {
		case errors.Is(err, ErrNotFound):
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipUnknown})
			continue
		case err != nil:
			return r, err
		case o.PickupPointID != pointID:
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipOtherPoint, Status: o.Status})
			continue
		case !from(o.Status):
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipWrongStatus, Status: o.Status})
			continue
		}
		moved, err := step(o)
		if errors.Is(err, ErrConflict) { // moved by someone else meanwhile
			cur, rerr := p.store.Order(ctx, o.ID)
			if rerr != nil {
				return r, rerr
			}
			r.Skipped = append(r.Skipped, Skipped{Number: n, Reason: SkipWrongStatus, Status: cur.Status})
			continue
		}
		if err != nil {
			return r, err
		}
		r.Moved = append(r.Moved, moved)
	}
	return r, nil
}
