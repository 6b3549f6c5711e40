package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

const returnCols = `r.id, r.order_id, o.number, r.point_id, r.kind, r.reason, r.note, r.status, r.slot_start, r.slot_end,
	r.decided_by, r.decision_note, r.created_at, r.updated_at`

const returnFrom = ` FROM order_returns AS r JOIN orders AS o ON o.id = r.order_id `

// openReturn is the SQL condition of an open return.
var openReturn = `r.status IN ('` + string(commerce.ReturnRequested) + `', '` + string(commerce.ReturnDropoffBooked) + `')`

func scanReturn(sc interface{ Scan(...any) error }) (commerce.Return, error) {
	var r commerce.Return
	var start, end, created, updated int64
	err := sc.Scan(&r.ID, &r.OrderID, &r.OrderNumber, &r.PointID, &r.Kind, &r.Reason, &r.Note, &r.Status, &start, &end,
		&r.DecidedBy, &r.DecisionNote, &created, &updated)
	r.SlotStart, r.SlotEnd, r.CreatedAt, r.UpdatedAt = fromMS(start), fromMS(end), fromMS(created), fromMS(updated)
	return r, err
}

func (s *Store) returnWhere(ctx context.Context, q querier, where string, args ...any) (commerce.Return, error) {
	r, err := scanReturn(q.QueryRowContext(ctx, `SELECT `+returnCols+returnFrom+`WHERE `+where, args...))
	if err != nil {
		return r, fmt.Errorf("return: %w", s.mapErr(err))
	}
	return r, nil
}

func (s *Store) returnsWhere(ctx context.Context, where string, args ...any) ([]commerce.Return, error) {
	return queryList(ctx, s.db, "returns", scanReturn, `SELECT `+returnCols+returnFrom+`WHERE `+where, args...)
}

// emitReturn loads the return and its order inside tx and emits ReturnChanged.
func (s *Store) emitReturn(ctx context.Context, tx *sql.Tx, id int64, from commerce.ReturnStatus) (commerce.Return, error) {
	r, err := s.returnWhere(ctx, tx, `r.id = $1`, id)
	if err != nil {
		return r, err
	}
	o, err := s.orderWhere(ctx, tx, `id = $1`, r.OrderID)
	if err != nil {
		return r, err
	}
	tz, err := s.pointZone(ctx, tx, r.PointID)
	if err != nil {
		return r, err
	}
	return r, s.emit(ctx, tx, commerce.ReturnChanged{Return: r, Order: o, From: from, TimeZone: tz})
}

// CreateReturn implements commerce.ReturnStore. The partial unique index on
// open returns makes a concurrent second request find the first.
func (s *Store) CreateReturn(ctx context.Context, r commerce.Return) (commerce.Return, bool, error) {
	var saved commerce.Return
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO order_returns (order_id, point_id, kind, reason, note, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING RETURNING id`,
			r.OrderID, r.PointID, string(r.Kind), r.Reason, r.Note, string(commerce.ReturnRequested), ms(r.CreatedAt)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			saved, err = s.returnWhere(ctx, tx, `r.order_id = $1 AND `+openReturn, r.OrderID)
			return err
		}
		if err != nil {
			return fmt.Errorf("insert return: %w", s.mapErr(err))
		}
		created = true
		saved, err = s.emitReturn(ctx, tx, id, "")
		return err
	})
	return saved, created, err
}

// Return implements commerce.ReturnStore.
func (s *Store) Return(ctx context.Context, id int64) (commerce.Return, error) {
	return s.returnWhere(ctx, s.db, `r.id = $1`, id)
}

// OrderReturns implements commerce.ReturnStore.
func (s *Store) OrderReturns(ctx context.Context, orderID int64) ([]commerce.Return, error) {
	return s.returnsWhere(ctx, `r.order_id = $1 ORDER BY r.id DESC`, orderID)
}

// OpenReturnsAt implements commerce.ReturnStore.
func (s *Store) OpenReturnsAt(ctx context.Context, pointID int64) ([]commerce.Return, error) {
	return s.returnsWhere(ctx, `r.point_id = $1 AND `+openReturn+`
		ORDER BY CASE WHEN r.slot_start = 0 THEN 1 ELSE 0 END, r.slot_start, r.id`, pointID)
}

// BookDropoff implements commerce.ReturnStore. The conditional update of
// the return row comes first, so concurrent bookings of one return queue on
// its row lock and the later one gets ErrConflict.
func (s *Store) BookDropoff(ctx context.Context, returnID int64, sl commerce.PickupSlot, at time.Time) (commerce.Return, error) {
	var saved commerce.Return
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.returnWhere(ctx, tx, `r.id = $1`, returnID)
		if err != nil {
			return err
		}
		switch {
		case !cur.Status.Open() || cur.PointID != sl.PointID:
			return fmt.Errorf("return %d is %s at point %d: %w", cur.ID, cur.Status, cur.PointID, commerce.ErrConflict)
		case cur.Status == commerce.ReturnDropoffBooked && cur.SlotStart.Equal(sl.Start):
			saved = cur
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE order_returns SET status = $1, slot_start = $2, slot_end = $3, updated_at = $4
			WHERE id = $5 AND status = $6 AND slot_start = $7`, string(commerce.ReturnDropoffBooked), ms(sl.Start), ms(sl.End),
			ms(at), returnID, string(cur.Status), ms(cur.SlotStart))
		if err != nil {
			return fmt.Errorf("book drop-off of return %d: %w", returnID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("return %d changed meanwhile: %w", returnID, commerce.ErrConflict)
		}
		if err := s.moveSeat(ctx, tx, cur.SlotStart, sl); err != nil {
			return err
		}
		saved, err = s.emitReturn(ctx, tx, returnID, cur.Status)
		return err
	})
	return saved, err
}

// SetReturnStatus implements commerce.ReturnStore. A drop-off seat is freed
// when the return is cancelled, or decided before its slot began.
func (s *Store) SetReturnStatus(ctx context.Context, id int64, to commerce.ReturnStatus, staff, note string, at time.Time) (commerce.Return, error) {
	if to == commerce.ReturnDropoffBooked {
		return commerce.Return{}, fmt.Errorf("return %d: book a drop-off with BookDropoff: %w", id, commerce.ErrInvalid)
	}
	var saved commerce.Return
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := s.returnWhere(ctx, tx, `r.id = $1`, id)
		if err != nil {
			return err
		}
		if !cur.Status.CanBecome(to) {
			return fmt.Errorf("return %d %s → %s: %w", id, cur.Status, to, commerce.ErrInvalidTransition)
		}
		res, err := tx.ExecContext(ctx, `UPDATE order_returns SET status = $1, decided_by = $2, decision_note = $3, updated_at = $4
			WHERE id = $5 AND status = $6`, string(to), staff, note, ms(at), id, string(cur.Status))
		if err != nil {
			return fmt.Errorf("return %d %s → %s: %w", id, cur.Status, to, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("return %d changed meanwhile: %w", id, commerce.ErrConflict)
		}
		if !cur.SlotStart.IsZero() && (to == commerce.ReturnCancelled || cur.SlotStart.After(at)) {
			if err := s.freeSeat(ctx, tx, cur.PointID, cur.SlotStart); err != nil {
				return err
			}
		}
		if to == commerce.ReturnAccepted && cur.Kind == commerce.ReturnRefund {
			if _, err := s.setStatusTx(ctx, tx, cur.OrderID, 0, commerce.StatusPickedUp, commerce.StatusReturned, at); err != nil {
				return err
			}
		}
		saved, err = s.emitReturn(ctx, tx, id, cur.Status)
		return err
	})
	return saved, err
}

// PickedUpAt implements commerce.ReturnStore.
func (s *Store) PickedUpAt(ctx context.Context, orderID int64) (time.Time, error) {
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(at) FROM order_events WHERE order_id = $1 AND to_status = $2`,
		orderID, string(commerce.StatusPickedUp)).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("picked up at: %w", err)
	}
	if !at.Valid {
		return time.Time{}, fmt.Errorf("order %d was never picked up: %w", orderID, commerce.ErrNotFound)
	}
	return fromMS(at.Int64), nil
}
