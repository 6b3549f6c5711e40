package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shopbot/commerce"
)

// FindOrders implements commerce.OrderDeskStore.
func (s *Store) FindOrders(ctx context.Context, q commerce.OrderQuery) ([]commerce.Order, int, error) {
	var where []string
	var args queryArgs
	arg := args.add
	if len(q.Statuses) > 0 {
		where = append(where, "o.status IN ("+args.statuses(q.Statuses)+")")
	}
	if !q.CreatedFrom.IsZero() {
		where = append(where, "o.created_at >= "+arg(ms(q.CreatedFrom)))
	}
	if !q.ReadyBefore.IsZero() {
		where = append(where, "EXISTS (SELECT 1 FROM pickup_codes AS c WHERE c.order_id = o.id AND c.ready_at < "+arg(ms(q.ReadyBefore))+")")
	}
	if !q.ReadyFrom.IsZero() {
		where = append(where, "EXISTS (SELECT 1 FROM pickup_codes AS c WHERE c.order_id = o.id AND c.ready_at >= "+arg(ms(q.ReadyFrom))+")")
	}
	if q.OpenReturn {
		where = append(where, "EXISTS (SELECT 1 FROM order_returns AS r WHERE r.order_id = o.id AND r.status IN ('requested', 'dropoff_booked'))")
	}
	var search []string
	if q.Number != "" {
		search = append(search, "o.number = "+arg(q.Number))
	}
	if q.PhoneTail != "" {
		search = append(search, "o.phone LIKE "+arg("%"+escapeLike(q.PhoneTail))+" ESCAPE '\\'")
	}
	if len(search) > 0 {
		where = append(where, "("+strings.Join(search, " OR ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders AS o`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", s.mapErr(err))
	}
	if q.Limit <= 0 || total == 0 {
		return nil, total, nil
	}
	list := fmt.Sprintf(` ORDER BY o.created_at DESC, o.id DESC LIMIT %d OFFSET %d`, q.Limit, max(q.Offset, 0))
	orders, err := s.ordersWithLines(ctx, "find orders", `SELECT `+orderCols+` FROM orders AS o`+cond+list, args...)
	if err != nil {
		return nil, 0, err
	}
	return orders, total, nil
}

// escapeLike escapes the wildcards of a LIKE pattern.
func escapeLike(v string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
}

const noteCols = `id, order_id, body, created_by, created_at`

func scanNote(sc rowScanner) (commerce.OrderNote, error) {
	var n commerce.OrderNote
	var at int64
	err := sc.Scan(&n.ID, &n.OrderID, &n.Body, &n.By, &at)
	n.At = fromMS(at)
	return n, err
}

// AddOrderNote implements commerce.OrderDeskStore.
func (s *Store) AddOrderNote(ctx context.Context, n commerce.OrderNote) (commerce.OrderNote, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := s.orderWhere(ctx, tx, `id = $1`, n.OrderID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO order_notes (order_id, body, created_by, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, n.OrderID, n.Body, n.By, ms(n.At)).Scan(&n.ID); err != nil {
			return fmt.Errorf("add note to order %d: %w", n.OrderID, s.mapErr(err))
		}
		return s.emit(ctx, tx, commerce.OrderNoteAdded{Order: o, Note: n})
	})
	return n, err
}

// OrderNotes implements commerce.OrderDeskStore.
func (s *Store) OrderNotes(ctx context.Context, orderID int64) ([]commerce.OrderNote, error) {
	return queryList(ctx, s.db, "order notes", scanNote, `SELECT `+noteCols+` FROM order_notes WHERE order_id = $1 ORDER BY id`, orderID)
}

// OrderNote implements commerce.OrderDeskStore.
func (s *Store) OrderNote(ctx context.Context, id int64) (commerce.OrderNote, error) {
	n, err := scanNote(s.db.QueryRowContext(ctx, `SELECT `+noteCols+` FROM order_notes WHERE id = $1`, id))
	if err != nil {
		return n, fmt.Errorf("order note %d: %w", id, s.mapErr(err))
	}
	return n, nil
}

// RecordPayment implements commerce.PaymentStore.
func (s *Store) RecordPayment(ctx context.Context, orderID int64, p commerce.Payment) (commerce.Order, bool, error) {
	var o commerce.Order
	recorded := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET paid_at = $1, payment = $2, paid_amount = $3, paid_by = $4, updated_at = $1
			WHERE id = $5 AND paid_at = 0 AND status NOT IN ('cancelled', 'returned', 'awaiting_payment')`,
			ms(p.At), string(p.Method), p.Amount.Amount, p.By, orderID)
		if err != nil {
			return fmt.Errorf("record payment of order %d: %w", orderID, s.mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		recorded = n == 1
		if o, err = s.orderWhere(ctx, tx, `id = $1`, orderID); err != nil {
			return err
		}
		if !recorded && !o.Paid.IsPaid() {
			// Cancelled, returned, or awaiting an online payment (its
			// provider decides; Payments closes it before anything else).
			return fmt.Errorf("record payment of order %d, %s: %w", orderID, o.Status, commerce.ErrInvalidTransition)
		}
		if recorded {
			return s.emit(ctx, tx, commerce.OrderPaid{Order: o}) // the buyer's receipt
		}
		return nil
	})
	return o, recorded, err
}
