package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"shopbot/commerce"
)

var _ commerce.PickupServiceStore = (*Store)(nil)

// jsonCol scans a JSON column (TEXT in SQLite, JSONB in Postgres) into v.
type jsonCol struct{ v any }

func (j jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), j.v)
	case []byte:
		return json.Unmarshal(v, j.v)
	case nil:
		return nil
	}
	return fmt.Errorf("json column of type %T", src)
}

// inList returns "$1,$2,…" and the arguments for ids.
func inList(ids []int64) (string, []any) {
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "$%d", i+1)
		args[i] = id
	}
	return b.String(), args
}

// loadStaff fills the staff lists of points with one query.
func (s *Store) loadStaff(ctx context.Context, q querier, pts []commerce.PickupPoint) error {
	if len(pts) == 0 {
		return nil
	}
	byID := make(map[int64]*commerce.PickupPoint, len(pts))
	ids := make([]int64, len(pts))
	for i := range pts {
		byID[pts[i].ID] = &pts[i]
		ids[i] = pts[i].ID
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx, `SELECT point_id, staff FROM pickup_staff WHERE point_id IN (`+in+`) ORDER BY point_id, staff`, args...)
	if err != nil {
		return fmt.Errorf("pickup staff: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var staff string
		if err := rows.Scan(&id, &staff); err != nil {
			return fmt.Errorf("pickup staff: %w", err)
		}
		if p := byID[id]; p != nil {
			p.Staff = append(p.Staff, staff)
		}
	}
	return rows.Err()
}

// StaffPoints implements commerce.CollectionStore.
func (s *Store) StaffPoints(ctx context.Context, identity string) ([]commerce.PickupPoint, error) {
	return s.pointsWhere(ctx, s.db, `active AND id IN (SELECT point_id FROM pickup_staff WHERE staff = $1)`, identity)
}

// pointZone reads a point's time zone inside tx (for events).
func (s *Store) pointZone(ctx context.Context, q querier, pointID int64) (string, error) {
	var tz string
	if err := q.QueryRowContext(ctx, `SELECT tz FROM pickup_points WHERE id = $1`, pointID).Scan(&tz); err != nil {
		return "", fmt.Errorf("pickup point %d: %w", pointID, s.mapErr(err))
	}
	return tz, nil
}

// OrderByNumber implements commerce.CollectionStore.
func (s *Store) OrderByNumber(ctx context.Context, number string) (commerce.Order, error) {
	return s.orderWhere(ctx, s.db, `number = $1`, number)
}

// ---- shipping and batches ----

// ShipOrder implements commerce.CollectionStore.
func (s *Store) ShipOrder(ctx context.Context, orderID, pointID int64, batch string, at time.Time) (commerce.Order, error) {
	var o commerce.Order
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&cur); err != nil {
			return fmt.Errorf("order %d: %w", orderID, s.mapErr(err))
		}
		from := commerce.OrderStatus(cur) // confirmed or paid; the update below checks it did not move
		if !from.ReadyToShip() {
			from = commerce.StatusConfirmed // setStatusTx answers ErrConflict
		}
		var err error
		if o, err = s.setStatusTx(ctx, tx, orderID, pointID, from, commerce.StatusShipped, at); err != nil {
			return err
		}
		if batch == "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO shipment_batches (code, point_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (code) DO NOTHING`, batch, pointID, ms(at)); err != nil {
			return fmt.Errorf("batch %s: %w", batch, s.mapErr(err))
		}
		var id, point int64
		if err := tx.QueryRowContext(ctx, `SELECT id, point_id FROM shipment_batches WHERE code = $1`, batch).Scan(&id, &point); err != nil {
			return fmt.Errorf("batch %s: %w", batch, s.mapErr(err))
		}
		if point != pointID {
			return fmt.Errorf("batch %s is for point %d: %w", batch, point, commerce.ErrWrongPoint)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO shipment_batch_orders (batch_id, order_id) VALUES ($1, $2)
			ON CONFLICT (batch_id, order_id) DO NOTHING`, id, orderID); err != nil {
			return fmt.Errorf("batch %s: %w", batch, s.mapErr(err))
		}
		return nil
	})
	return o, err
}

// Batch implements commerce.CollectionStore.
func (s *Store) Batch(ctx context.Context, code string) (commerce.Batch, error) {
	b := commerce.Batch{Code: code}
	var id, created int64
	if err := s.db.QueryRowContext(ctx, `SELECT id, point_id, created_at FROM shipment_batches WHERE code = $1`, code).
		Scan(&id, &b.PointID, &created); err != nil {
		return b, fmt.Errorf("batch %s: %w", code, s.mapErr(err))
	}
	b.CreatedAt = fromMS(created)
	rows, err := s.db.QueryContext(ctx, `SELECT order_id FROM shipment_batch_orders WHERE batch_id = $1 ORDER BY id`, id)
	if err != nil {
		return b, fmt.Errorf("batch %s: %w", code, err)
	}
	defer rows.Close()
	for rows.Next() {
		var oid int64
		if err := rows.Scan(&oid); err != nil {
			return b, fmt.Errorf("batch %s: %w", code, err)
		}
		b.OrderIDs = append(b.OrderIDs, oid)
	}
	return b, rows.Err()
}

// ---- arrival and pickup codes ----

const codeCols = `order_id, point_id, code, ready_at, expires_at, redeemed_at, redeemed_by`

func scanCode(sc interface{ Scan(...any) error }) (commerce.PickupCode, error) {
	var c commerce.PickupCode
	var ready, expires, redeemed int64
	err := sc.Scan(&c.OrderID, &c.PointID, &c.Code, &ready, &expires, &redeemed, &c.RedeemedBy)
	c.ReadyAt, c.ExpiresAt, c.RedeemedAt = fromMS(ready), fromMS(expires), fromMS(redeemed)
	return c, err
}

// maxCodeTries bounds the search for a code not in use at a point.
const maxCodeTries = 25

// ArriveOrder implements commerce.CollectionStore. The code is inserted
// with ON CONFLICT DO NOTHING, so a collision with another unredeemed code of
// the point (the partial unique index) just tries the next code without
// aborting the transaction.
func (s *Store) ArriveOrder(ctx context.Context, a commerce.ArrivalRecord) (commerce.Order, commerce.PickupCode, error) {
	if a.NewCode == nil || a.At.IsZero() {
		return commerce.Order{}, commerce.PickupCode{}, fmt.Errorf("arrive order %d: code generator and time required: %w", a.OrderID, commerce.ErrInvalid)
	}
	var o commerce.Order
	c := commerce.PickupCode{OrderID: a.OrderID, PointID: a.PointID, ReadyAt: fromMS(ms(a.At)), ExpiresAt: fromMS(ms(a.ExpiresAt))}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.setStatusTx(ctx, tx, a.OrderID, a.PointID, commerce.StatusShipped, commerce.StatusArrived, a.At); err != nil {
			return err
		}
		var err error
		if o, err = s.setStatusTx(ctx, tx, a.OrderID, a.PointID, commerce.StatusArrived, commerce.StatusReadyForPickup, a.At); err != nil {
			return err
		}
		for try := 0; ; try++ {
			if try == maxCodeTries {
				return fmt.Errorf("order %d: no free pickup code at point %d after %d tries: %w", a.OrderID, a.PointID, try, commerce.ErrConflict)
			}
			c.Code = a.NewCode()
			if !commerce.ValidPickupCode(c.Code) {
				return fmt.Errorf("pickup code %q: %w", c.Code, commerce.ErrInvalid)
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO pickup_codes (order_id, point_id, code, ready_at, expires_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, a.OrderID, a.PointID, c.Code, ms(a.At), ms(a.ExpiresAt))
			if err != nil {
				return fmt.Errorf("order %d pickup code: %w", a.OrderID, s.mapErr(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				break
			}
		}
		return s.emit(ctx, tx, commerce.OrderArrived{Order: o, ReadyAt: c.ReadyAt})
	})
	if err != nil {
		return commerce.Order{}, commerce.PickupCode{}, err
	}
	return o, c, nil
}

// CodeOf implements commerce.CollectionStore.
func (s *Store) CodeOf(ctx context.Context, orderID int64) (commerce.PickupCode, error) {
	c, err := scanCode(s.db.QueryRowContext(ctx, `SELECT `+codeCols+` FROM pickup_codes WHERE order_id = $1`, orderID))
	if err != nil {
		return c, fmt.Errorf("pickup code of order %d: %w", orderID, s.mapErr(err))
	}
	return c, nil
}

// CodeAt implements commerce.CollectionStore.
func (s *Store) CodeAt(ctx context.Context, pointID int64, code string) (commerce.PickupCode, error) {
	c, err := scanCode(s.db.QueryRowContext(ctx, `SELECT `+codeCols+` FROM pickup_codes WHERE point_id = $1 AND code = $2
		ORDER BY CASE WHEN redeemed_at = 0 THEN 0 ELSE 1 END, redeemed_at DESC LIMIT 1`, pointID, code))
	if err != nil {
		return c, fmt.Errorf("pickup code at point %d: %w", pointID, s.mapErr(err))
	}
	return c, nil
}

// ReissueCode implements commerce.CollectionStore. The new code must differ
// from every unredeemed code of the point, the old one included.
func (s *Store) ReissueCode(ctx context.Context, orderID int64, newCode func() string, expires, at time.Time) (commerce.PickupCode, error) {
	var c commerce.PickupCode
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = scanCode(tx.QueryRowContext(ctx, `SELECT `+codeCols+` FROM pickup_codes WHERE order_id = $1`, orderID)); err != nil {
			return fmt.Errorf("pickup code of order %d: %w", orderID, s.mapErr(err))
		}
		if c.Redeemed() {
			return fmt.Errorf("order %d was collected: %w", orderID, commerce.ErrConflict)
		}
		for try := 0; ; try++ {
			if try == maxCodeTries {
				return fmt.Errorf("order %d: no free pickup code after %d tries: %w", orderID, try, commerce.ErrConflict)
			}
			code := newCode()
			if !commerce.ValidPickupCode(code) {
				return fmt.Errorf("pickup code %q: %w", code, commerce.ErrInvalid)
			}
			res, err := tx.ExecContext(ctx, `UPDATE pickup_codes SET code = $1, expires_at = $2
				WHERE order_id = $3 AND redeemed_at = 0 AND NOT EXISTS (
					SELECT 1 FROM pickup_codes AS other WHERE other.point_id = $4 AND other.code = $1 AND other.redeemed_at = 0)`,
				code, ms(expires), orderID, c.PointID)
			if err != nil {
				return fmt.Errorf("reissue code of order %d: %w", orderID, s.mapErr(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				c.Code, c.ExpiresAt = code, fromMS(ms(expires))
				break
			}
		}
		o, err := s.orderWhere(ctx, tx, `id = $1`, orderID)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, commerce.PickupCodeReissued{Order: o, ExpiresAt: c.ExpiresAt})
	})
	return c, err
}

// RedeemPickup implements commerce.CollectionStore. The conditional update
// of the code row (redeemed_at = 0) decides between concurrent redemptions:
// on Postgres the losers wait for the winner's row lock, then find the code
// redeemed; on SQLite transactions run one at a time.
func (s *Store) RedeemPickup(ctx context.Context, orderID, pointID int64, code, staff string, at time.Time) (commerce.Order, *commerce.Booking, error) {
	if at.IsZero() || staff == "" {
		return commerce.Order{}, nil, fmt.Errorf("redeem order %d: time and staff required: %w", orderID, commerce.ErrInvalid)
	}
	var o commerce.Order
	var booking *commerce.Booking
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var paid int64
		if err := tx.QueryRowContext(ctx, `SELECT paid_at FROM orders WHERE id = $1`, orderID).Scan(&paid); err != nil {
			return fmt.Errorf("redeem order %d: %w", orderID, s.mapErr(err))
		}
		if paid == 0 {
			return fmt.Errorf("redeem order %d: %w", orderID, commerce.ErrPaymentRequired)
		}
		res, err := tx.ExecContext(ctx, `UPDATE pickup_codes SET redeemed_at = $1, redeemed_by = $2
			WHERE order_id = $3 AND point_id = $4 AND code = $5 AND redeemed_at = 0`, ms(at), staff, orderID, pointID, code)
		if err != nil {
			return fmt.Errorf("redeem order %d: %w", orderID, s.mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			cur, err := scanCode(tx.QueryRowContext(ctx, `SELECT `+codeCols+` FROM pickup_codes WHERE order_id = $1`, orderID))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("order %d has no pickup code: %w", orderID, commerce.ErrWrongCode)
			case err != nil:
				return fmt.Errorf("redeem order %d: %w", orderID, err)
			case cur.Redeemed() && cur.Code == code && cur.PointID == pointID:
				return fmt.Errorf("order %d collected by %s: %w", orderID, cur.RedeemedBy, commerce.ErrAlreadyCollected)
			}
			return fmt.Errorf("redeem order %d: %w", orderID, commerce.ErrWrongCode)
		}
		o, err = s.setStatusTx(ctx, tx, orderID, pointID, commerce.StatusReadyForPickup, commerce.StatusPickedUp, at)
		if errors.Is(err, commerce.ErrConflict) { // handed over without its code (Shop.AdvanceOrder)
			return fmt.Errorf("%w: %w", commerce.ErrAlreadyCollected, err)
		}
		if err != nil {
			return err
		}
		b, err := scanBooking(tx.QueryRowContext(ctx, `UPDATE pickup_bookings SET status = $1, updated_at = $2
			WHERE order_id = $3 AND status = $4 RETURNING `+bookingCols,
			string(commerce.BookingStatusCollected), ms(at), orderID, string(commerce.BookingStatusActive)))
		switch {
		case err == nil:
			booking = &b
			if b.Start.After(at) { // collected before the booked slot: its seat is free again
				if err := s.freeSeat(ctx, tx, b.PointID, b.Start); err != nil {
					return err
				}
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("redeem order %d booking: %w", orderID, err)
		}
		return s.emit(ctx, tx, commerce.OrderCollected{Order: o, PointID: pointID, Staff: staff, Booking: booking})
	})
	if err != nil {
		return commerce.Order{}, nil, err
	}
	return o, booking, nil
}

// ---- hold period ----

// OverdueHolds implements commerce.CollectionStore.
func (s *Store) OverdueHolds(ctx context.Context, readyBy, at time.Time, limit int) ([]commerce.Order, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.order_id FROM pickup_codes AS c JOIN orders AS o ON o.id = c.order_id
		WHERE c.redeemed_at = 0 AND c.hold_alerted_at = 0 AND c.ready_at <= $1 AND o.status = $2
		ORDER BY c.ready_at, c.order_id LIMIT $3`, ms(readyBy), string(commerce.StatusReadyForPickup), limit)
	if err != nil {
		return nil, fmt.Errorf("overdue holds: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("overdue holds: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overdue holds: %w", err)
	}
	var out []commerce.Order
	for _, id := range ids {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var ready int64
			err := tx.QueryRowContext(ctx, `UPDATE pickup_codes SET hold_alerted_at = $1
				WHERE order_id = $2 AND hold_alerted_at = 0 AND redeemed_at = 0 RETURNING ready_at`, ms(at), id).Scan(&ready)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // collected or alerted meanwhile
			}
			if err != nil {
				return fmt.Errorf("overdue hold of order %d: %w", id, err)
			}
			o, err := s.orderWhere(ctx, tx, `id = $1`, id)
			if err != nil {
				return err
			}
			if err := s.emit(ctx, tx, commerce.HoldExpired{Order: o, ReadyAt: fromMS(ready)}); err != nil {
				return err
			}
			out = append(out, o)
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
