package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

// SlotUsage implements commerce.SlotStore.
func (s *Store) SlotUsage(ctx context.Context, pointID int64, from, to time.Time) ([]commerce.PickupSlot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT start_at, end_at, capacity, booked FROM pickup_slots
		WHERE point_id = $1 AND start_at >= $2 AND start_at < $3 ORDER BY start_at`, pointID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("slot usage: %w", err)
	}
	defer rows.Close()
	var out []commerce.PickupSlot
	for rows.Next() {
		sl := commerce.PickupSlot{PointID: pointID}
		var start, end int64
		if err := rows.Scan(&start, &end, &sl.Capacity, &sl.Booked); err != nil {
			return nil, fmt.Errorf("slot usage: %w", err)
		}
		sl.Start, sl.End = fromMS(start), fromMS(end)
		out = append(out, sl)
	}
	return out, rows.Err()
}

// takeSeat creates the slot row if missing (capacity and end follow the
// point's current settings) and takes one seat with one conditional update.
// ErrSlotFull if none is left.
func (s *Store) takeSeat(ctx context.Context, tx *sql.Tx, sl commerce.PickupSlot) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO pickup_slots (point_id, start_at, end_at, capacity, booked)
		VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (point_id, start_at) DO UPDATE SET capacity = excluded.capacity, end_at = excluded.end_at
		WHERE pickup_slots.capacity <> excluded.capacity OR pickup_slots.end_at <> excluded.end_at`,
		sl.PointID, ms(sl.Start), ms(sl.End), sl.Capacity); err != nil {
		return fmt.Errorf("slot %d@%s: %w", sl.PointID, sl.Start.Format(time.RFC3339), s.mapErr(err))
	}
	res, err := tx.ExecContext(ctx, `UPDATE pickup_slots SET booked = booked + 1
		WHERE point_id = $1 AND start_at = $2 AND booked < capacity`, sl.PointID, ms(sl.Start))
	if err != nil {
		return fmt.Errorf("slot %d@%s: %w", sl.PointID, sl.Start.Format(time.RFC3339), s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("slot %d@%s: %w", sl.PointID, sl.Start.Format(time.RFC3339), commerce.ErrSlotFull)
	}
	return nil
}

// freeSeat gives one seat of a slot back.
func (s *Store) freeSeat(ctx context.Context, tx *sql.Tx, pointID int64, start time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE pickup_slots SET booked = booked - 1
		WHERE point_id = $1 AND start_at = $2 AND booked > 0`, pointID, ms(start)); err != nil {
		return fmt.Errorf("free slot %d@%s: %w", pointID, start.Format(time.RFC3339), err)
	}
	return nil
}

// moveSeat takes a seat in sl and, when the booking had one (oldStart not
// zero), frees the old seat — touching the two slot rows in start order, so
// two buyers swapping slots never deadlock.
func (s *Store) moveSeat(ctx context.Context, tx *sql.Tx, oldStart time.Time, sl commerce.PickupSlot) error {
	if oldStart.IsZero() {
		return s.takeSeat(ctx, tx, sl)
	}
	if oldStart.Before(sl.Start) {
		if err := s.freeSeat(ctx, tx, sl.PointID, oldStart); err != nil {
			return err
		}
		return s.takeSeat(ctx, tx, sl)
	}
	if err := s.takeSeat(ctx, tx, sl); err != nil {
		return err
	}
	return s.freeSeat(ctx, tx, sl.PointID, oldStart)
}

const bookingCols = `id, order_id, point_id, slot_start, slot_end, status, created_at, updated_at`

func scanBooking(sc interface{ Scan(...any) error }) (commerce.Booking, error) {
	var b commerce.Booking
	var start, end, created, updated int64
	err := sc.Scan(&b.ID, &b.OrderID, &b.PointID, &start, &end, &b.Status, &created, &updated)
	b.Start, b.End, b.CreatedAt, b.UpdatedAt = fromMS(start), fromMS(end), fromMS(created), fromMS(updated)
	return b, err
}

// lockOrder takes the order's row lock (a no-op conditional update) if it is
// ready_for_pickup at pointID, serializing bookings of one order with each
// other and with its redemption. ErrConflict otherwise; ErrNotFound if absent.
func (s *Store) lockOrder(ctx context.Context, tx *sql.Tx, orderID, pointID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET updated_at = updated_at
		WHERE id = $1 AND status = $2 AND pickup_point_id = $3`, orderID, string(commerce.StatusReadyForPickup), pointID)
	if err != nil {
		return fmt.Errorf("order %d: %w", orderID, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return nil
	}
	var status string
	var point int64
	if err := tx.QueryRowContext(ctx, `SELECT status, pickup_point_id FROM orders WHERE id = $1`, orderID).Scan(&status, &point); err != nil {
		return fmt.Errorf("order %d: %w", orderID, s.mapErr(err))
	}
	return fmt.Errorf("order %d is %s at point %d, not ready at point %d: %w", orderID, status, point, pointID, commerce.ErrConflict)
}

// BookSlot implements commerce.SlotStore.
func (s *Store) BookSlot(ctx context.Context, orderID int64, sl commerce.PickupSlot, at time.Time) (commerce.Booking, error) {
	var b commerce.Booking
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockOrder(ctx, tx, orderID, sl.PointID); err != nil {
			return err
		}
		old, err := scanBooking(tx.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM pickup_bookings
			WHERE order_id = $1 AND status = $2`, orderID, string(commerce.BookingStatusActive)))
		var previous *commerce.Booking
		switch {
		case err == nil && old.PointID == sl.PointID && old.Start.Equal(sl.Start):
			b = old // a double tap: nothing to do
			return nil
		case err == nil:
			res, err := tx.ExecContext(ctx, `UPDATE pickup_bookings SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
				string(commerce.BookingStatusRescheduled), ms(at), old.ID, string(commerce.BookingStatusActive))
			if err != nil {
				return fmt.Errorf("reschedule booking %d: %w", old.ID, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("booking %d changed meanwhile: %w", old.ID, commerce.ErrConflict)
			}
			old.Status, old.UpdatedAt = commerce.BookingStatusRescheduled, fromMS(ms(at))
			previous = &old
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("active booking of order %d: %w", orderID, err)
		}
		oldStart := time.Time{}
		if previous != nil {
			oldStart = previous.Start
		}
		if err := s.moveSeat(ctx, tx, oldStart, sl); err != nil {
			return err
		}
		b = commerce.Booking{OrderID: orderID, PointID: sl.PointID, Start: fromMS(ms(sl.Start)), End: fromMS(ms(sl.End)),
			Status: commerce.BookingStatusActive, CreatedAt: fromMS(ms(at)), UpdatedAt: fromMS(ms(at))}
		if err := tx.QueryRowContext(ctx, `INSERT INTO pickup_bookings (order_id, point_id, slot_start, slot_end, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, orderID, sl.PointID, ms(sl.Start), ms(sl.End),
			string(commerce.BookingStatusActive), ms(at)).Scan(&b.ID); err != nil {
			return fmt.Errorf("insert booking: %w", s.mapErr(err))
		}
		o, err := s.orderWhere(ctx, tx, `id = $1`, orderID)
		if err != nil {
			return err
		}
		tz, err := s.pointZone(ctx, tx, sl.PointID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, commerce.SlotBooked{Order: o, Booking: b, Previous: previous, TimeZone: tz})
	})
	return b, err
}

// endBooking moves the active booking selected by where (its placeholders
// start at $4) to status with one conditional update, frees its seat and
// emits the event made by ev. sql.ErrNoRows (unwrapped) when no active
// booking matches.
func (s *Store) endBooking(ctx context.Context, tx *sql.Tx, status commerce.BookingStatus, at time.Time,
	ev func(commerce.Order, commerce.Booking) commerce.Event, where string, args ...any) (commerce.Booking, error) {
	b, err := scanBooking(tx.QueryRowContext(ctx, `UPDATE pickup_bookings SET status = $1, updated_at = $2
		WHERE status = $3 AND `+where+` RETURNING `+bookingCols,
		append([]any{string(status), ms(at), string(commerce.BookingStatusActive)}, args...)...))
	if err != nil {
		return b, err
	}
	if err := s.freeSeat(ctx, tx, b.PointID, b.Start); err != nil {
		return b, err
	}
	o, err := s.orderWhere(ctx, tx, `id = $1`, b.OrderID)
	if err != nil {
		return b, err
	}
	return b, s.emit(ctx, tx, ev(o, b))
}

// CancelBooking implements commerce.SlotStore.
func (s *Store) CancelBooking(ctx context.Context, orderID int64, at time.Time) (commerce.Booking, error) {
	var b commerce.Booking
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = s.endBooking(ctx, tx, commerce.BookingStatusCancelled, at,
			func(o commerce.Order, b commerce.Booking) commerce.Event {
				return commerce.BookingCancelled{Order: o, Booking: b}
			},
			`order_id = $4`, orderID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("order %d has no active booking: %w", orderID, commerce.ErrNotFound)
		}
		return err
	})
	return b, err
}

// ActiveBooking implements commerce.SlotStore.
func (s *Store) ActiveBooking(ctx context.Context, orderID int64) (commerce.Booking, error) {
	b, err := scanBooking(s.db.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM pickup_bookings WHERE order_id = $1 AND status = $2`,
		orderID, string(commerce.BookingStatusActive)))
	if err != nil {
		return b, fmt.Errorf("active booking of order %d: %w", orderID, s.mapErr(err))
	}
	return b, nil
}

// Booking implements commerce.SlotStore.
func (s *Store) Booking(ctx context.Context, id int64) (commerce.Booking, error) {
	b, err := scanBooking(s.db.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM pickup_bookings WHERE id = $1`, id))
	if err != nil {
		return b, fmt.Errorf("booking %d: %w", id, s.mapErr(err))
	}
	return b, nil
}

// MissedBookings implements commerce.SlotStore.
func (s *Store) MissedBookings(ctx context.Context, endedBy time.Time, limit int) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM pickup_bookings WHERE status = $1 AND slot_end <= $2
		ORDER BY slot_end, id LIMIT $3`, string(commerce.BookingStatusActive), ms(endedBy), limit)
	if err != nil {
		return nil, fmt.Errorf("missed bookings: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("missed bookings: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ReleaseMissedBooking implements commerce.SlotStore.
func (s *Store) ReleaseMissedBooking(ctx context.Context, id int64, endedBy, at time.Time) (commerce.Booking, error) {
	var b commerce.Booking
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = s.endBooking(ctx, tx, commerce.BookingStatusMissed, at,
			func(o commerce.Order, b commerce.Booking) commerce.Event {
				return commerce.BookingMissed{Order: o, Booking: b}
			},
			`id = $4 AND slot_end <= $5`, id, ms(endedBy))
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := scanBooking(tx.QueryRowContext(ctx, `SELECT `+bookingCols+` FROM pickup_bookings WHERE id = $1`, id)); err != nil {
				return fmt.Errorf("booking %d: %w", id, s.mapErr(err))
			}
			return fmt.Errorf("booking %d is not active or not yet over: %w", id, commerce.ErrConflict)
		}
		return err
	})
	return b, err
}
