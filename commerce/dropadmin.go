package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrDropCancelled: the seller called the drop off; nothing is sold (nothing changed).
var ErrDropCancelled = errors.New("drop cancelled")

// ErrDropStarted: the change is allowed only before the drop's start (nothing changed).
var ErrDropStarted = errors.New("drop already started")

// DropEdit is a seller's change of a drop; nil fields stay as they are.
// Before the start every field may change (the drop has sold nothing, so
// any valid number of units goes); after it only Units, and only up.
type DropEdit struct {
	StartsAt       *time.Time
	Price          *Money
	Units          *int
	PerBuyerLimit  *int
	ReservationTTL *time.Duration
}

// Empty reports whether e changes nothing.
func (e DropEdit) Empty() bool {
	return e.StartsAt == nil && e.Price == nil && e.Units == nil && e.PerBuyerLimit == nil && e.ReservationTTL == nil
}

// Apply returns d with e's fields set (Left follows Units).
func (e DropEdit) Apply(d Drop) Drop {
	if e.StartsAt != nil {
		d.StartsAt = *e.StartsAt
	}
	if e.Price != nil {
		d.Price = *e.Price
	}
	if e.Units != nil {
		d.Left += *e.Units - d.Units
		d.Units = *e.Units
	}
	if e.PerBuyerLimit != nil {
		d.PerBuyerLimit = *e.PerBuyerLimit
	}
	if e.ReservationTTL != nil {
		d.ReservationTTL = *e.ReservationTTL
	}
	return d
}

// DropAdminStore is the part of DropStore behind a seller's changes.
type DropAdminStore interface {
	// EditDrop applies e to a drop that has not started at now and is not
	// cancelled, in one transaction holding the drop's row, and returns the
	// drop before and after; the units left follow the units. A moved start
	// emits DropRescheduled. Errors (nothing changed): ErrNotFound,
	// ErrDropStarted, ErrDropCancelled, ErrInvalid (the result fails
	// Validate or its units are fewer than those taken).
	EditDrop(ctx context.Context, id int64, e DropEdit, now time.Time) (before, after Drop, err error)
	// AddDropUnits raises a drop's units and units left by n together, in
	// one conditional statement, and emits DropUnitsFreed for the waitlist
	// (with Gate set: the gate's counter rises by n in the job). Errors:
	// ErrNotFound, ErrDropCancelled, ErrInvalid (n < 1 or past MaxDropUnits).
	AddDropUnits(ctx context.Context, id int64, n int) (Drop, error)
	// CancelDrop marks a drop cancelled at now, once, in one transaction
	// holding the drop's row: from its commit Reserve refuses with
	// ErrDropCancelled, and the live reservations are released (their
	// units go back to the drop; the buyers' counts fall). Orders already
	// placed stay. cancelled is false when it was cancelled before.
	// ErrNotFound if absent.
	CancelDrop(ctx context.Context, id int64, now time.Time) (d Drop, cancelled bool, err error)
	// DropByKey returns the drop created with the idempotency key. ErrNotFound if none.
	DropByKey(ctx context.Context, key string) (Drop, error)
}

// DropRescheduled: a drop's start moved; a start job is due at the new start.
type DropRescheduled struct{ Drop Drop }

// EventName implements Event.
func (DropRescheduled) EventName() string { return "drop_rescheduled" }

// MaxDropKeyLen bounds an idempotency key of CreateKeyed.
const MaxDropKeyLen = 100

// CreateKeyed is Create made idempotent on key: a drop created before with
// the same key is returned (created=false) instead of a second one. An
// empty key is Create.
func (s *DropService) CreateKeyed(ctx context.Context, d Drop, key string) (Drop, bool, error) {
	if len(key) > MaxDropKeyLen {
		return d, false, fmt.Errorf("drop key longer than %d bytes: %w", MaxDropKeyLen, ErrInvalid)
	}
	if key != "" {
		if old, err := s.store.DropByKey(ctx, key); err == nil {
			return old, false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return d, false, err
		}
	}
	d.Key = key
	created, err := s.Create(ctx, d)
	if key != "" && errors.Is(err, ErrConflict) {
		// A concurrent call with the key won the unique index.
		if old, kerr := s.store.DropByKey(ctx, key); kerr == nil {
			return old, false, nil
		}
	}
	return created, err == nil, err
}

// Edit changes a drop. Before its start any field may change (the gate's
// counter is reset to the new units: a drop not started has admitted no
// one); after it, only Units may rise, see AddUnits. Errors as
// DropAdminStore.EditDrop; ErrDropStarted for other changes after the start.
func (s *DropService) Edit(ctx context.Context, id int64, e DropEdit) (Drop, error) {
	if e.Empty() {
		return Drop{}, fmt.Errorf("drop edit: nothing to change: %w", ErrInvalid)
	}
	now := s.clock.Now()
	if e.StartsAt != nil && e.StartsAt.Before(now.Add(-time.Minute)) {
		return Drop{}, fmt.Errorf("drop edit: start %s has passed: %w", e.StartsAt.Format(time.RFC3339), ErrInvalid)
	}
	before, after, err := s.store.EditDrop(ctx, id, e, now)
	if errors.Is(err, ErrDropStarted) && e.Units != nil && e.StartsAt == nil && e.Price == nil &&
		e.PerBuyerLimit == nil && e.ReservationTTL == nil {
		d, derr := s.store.Drop(ctx, id)
		if derr != nil {
			return d, derr
		}
		if *e.Units <= d.Units {
			return d, fmt.Errorf("drop %s started: units may only rise above %d: %w", d.Code, d.Units, ErrDropStarted)
		}
		return s.AddUnits(ctx, id, *e.Units-d.Units)
	}
	if err != nil {
		return after, err
	}
	s.drops.Delete(id)
	if s.gate != nil && after.Units != before.Units {
		if gerr := s.gate.Reset(ctx, after.Code, after.Left); gerr != nil {
			s.log.Warn("drop gate reset failed", "drop", after.Code, "err", gerr)
		}
	}
	return after, nil
}

// AddUnits puts n more units on sale in a running (or not yet started)
// drop; the waitlist is offered them and the gate's counter rises by n
// through the DropUnitsFreed job, which survives a crash right after the
// commit.
func (s *DropService) AddUnits(ctx context.Context, id int64, n int) (Drop, error) {
	return s.store.AddDropUnits(ctx, id, n)
}

// Cancel calls a drop off at once (see DropAdminStore.CancelDrop). The
// gate is left alone: emptying it would answer "sold out", not "cancelled".
// Every replica's next Reserve reaches the store, which refuses, and from
// then on refuses from its fresh copy of the drop before the gate.
func (s *DropService) Cancel(ctx context.Context, id int64) (Drop, bool, error) {
	d, cancelled, err := s.store.CancelDrop(ctx, id, s.clock.Now())
	if err != nil {
		return d, false, err
	}
	s.drops.Delete(id)
	return d, cancelled, nil
}
