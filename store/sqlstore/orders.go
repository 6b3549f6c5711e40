package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"shopbot/commerce"
)

const orderCols = `id, number, channel, user_id, chat_id, lang, status, total_amount, currency,
	pickup_point_id, contact_name, phone, idem_key, created_at, updated_at, expires_at, cancel_reason, cancelled_by,
	paid_at, payment, paid_amount, paid_by`

func scanOrder(sc interface{ Scan(...any) error }) (commerce.Order, error) {
	var o commerce.Order
	var created, updated, expires, paid int64
	err := sc.Scan(&o.ID, &o.Number, &o.Buyer.Channel, &o.Buyer.UserID, &o.ChatID, &o.Lang, &o.Status,
		&o.Total.Amount, &o.Total.Currency, &o.PickupPointID, &o.ContactName, &o.Phone, &o.IdempotencyKey,
		&created, &updated, &expires, &o.CancelReason, &o.CancelledBy,
		&paid, &o.Paid.Method, &o.Paid.Amount.Amount, &o.Paid.By)
	o.CreatedAt, o.UpdatedAt, o.ExpiresAt = fromMS(created), fromMS(updated), fromMS(expires)
	if paid != 0 {
		o.Paid.At, o.Paid.Amount.Currency = fromMS(paid), o.Total.Currency
	} else {
		o.Paid = commerce.Payment{}
	}
	return o, err
}

// PlaceOrder implements commerce.OrderStore: with limits, the buyer's
// person and phone are locked and their open orders counted first (a retry
// of a placed order finds it there, before the limit it fills); then stock
// is taken line by line with a conditional UPDATE in product-id order (so
// two orders never deadlock), the order and its lines are inserted, and
// OnOrderPlaced schedules the expiry — all in one transaction.
func (s *Store) PlaceOrder(ctx context.Context, o commerce.Order, lim commerce.PersonLimits) (commerce.Order, bool, error) {
	if o.IdempotencyKey == "" || len(o.Lines) == 0 {
		return o, false, fmt.Errorf("place order: key and lines required: %w", commerce.ErrInvalid)
	}
	lines := append([]commerce.OrderLine(nil), o.Lines...)
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].ProductID < lines[j].ProductID })
	units := 0
	for _, l := range lines {
		units += l.Qty
	}
	var existing *commerce.Order
	err := s.inPersonTx(ctx, func(tx *sql.Tx) error {
		existing = nil
		now := ms(o.UpdatedAt)
		if anyLimit(lim) {
			if prev, err := s.orderWhere(ctx, tx, `idem_key = $1`, o.IdempotencyKey); err == nil {
				existing = &prev // a retry: its order fills the limit it passed
				return nil
			} else if !errors.Is(err, commerce.ErrNotFound) {
				return err
			}
			if _, err := s.checkOrderLimits(ctx, tx, o.Buyer.Identity(), o.Phone, units, o.CreatedAt, lim); err != nil {
				return err
			}
		}
		for _, l := range lines {
			res, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock - $1, updated_at = $2
				WHERE id = $3 AND active AND stock >= $1`, l.Qty, now, l.ProductID)
			if err != nil {
				return fmt.Errorf("reserve product %d: %w", l.ProductID, s.mapErr(err))
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("reserve product %d: %w", l.ProductID, err)
			} else if n == 0 {
				return fmt.Errorf("reserve %d of product %d: %w", l.Qty, l.ProductID, commerce.ErrSoldOut)
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO orders (number, channel, user_id, chat_id, lang, status,
				total_amount, currency, pickup_point_id, contact_name, phone, idem_key, created_at, updated_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			o.Number, o.Buyer.Channel, o.Buyer.UserID, o.ChatID, o.Lang, string(o.Status),
			o.Total.Amount, o.Total.Currency, o.PickupPointID, o.ContactName, o.Phone, o.IdempotencyKey,
			ms(o.CreatedAt), now, ms(o.ExpiresAt)).Scan(&o.ID)
		if err != nil {
			return fmt.Errorf("insert order: %w", s.mapErr(err))
		}
		for i, l := range o.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, line_no, product_id, sku, title, unit_amount, qty)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, o.ID, i+1, l.ProductID, l.SKU, textJSON(l.Title), l.UnitPrice.Amount, l.Qty); err != nil {
				return fmt.Errorf("insert order line: %w", s.mapErr(err))
			}
		}
		return s.emit(ctx, tx, commerce.OrderPlaced{Order: o})
	})
	if errors.Is(err, commerce.ErrConflict) {
		// Either the idempotency key (a concurrent retry won) or the number collided.
		if existing, kerr := s.OrderByKey(ctx, o.IdempotencyKey); kerr == nil {
			return existing, false, nil
		}
		return o, false, err
	}
	if err != nil {
		return o, false, err
	}
	if existing != nil {
		return *existing, false, nil
	}
	placed, err := s.Order(ctx, o.ID)
	return placed, true, err
}

// Order implements commerce.OrderStore.
func (s *Store) Order(ctx context.Context, id int64) (commerce.Order, error) {
	return s.orderWhere(ctx, s.db, `id = $1`, id)
}

// OrderByKey implements commerce.OrderStore.
func (s *Store) OrderByKey(ctx context.Context, key string) (commerce.Order, error) {
	return s.orderWhere(ctx, s.db, `idem_key = $1`, key)
}

func (s *Store) orderWhere(ctx context.Context, q querier, where string, arg any) (commerce.Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE `+where, arg))
	if err != nil {
		return o, fmt.Errorf("order %v: %w", arg, s.mapErr(err))
	}
	if err := s.loadLines(ctx, q, []*commerce.Order{&o}); err != nil {
		return o, err
	}
	return o, nil
}

// loadLines fills the lines of the given orders with one query.
func (s *Store) loadLines(ctx context.Context, q querier, orders []*commerce.Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*commerce.Order, len(orders))
	args := make([]any, 0, len(orders))
	in := make([]byte, 0, 4*len(orders))
	for i, o := range orders {
		byID[o.ID] = o
		args = append(args, o.ID)
		if i > 0 {
			in = append(in, ',')
		}
		in = fmt.Appendf(in, "$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT order_id, product_id, sku, title, unit_amount, qty
		FROM order_lines WHERE order_id IN (`+string(in)+`) ORDER BY order_id, line_no`, args...)
	if err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l commerce.OrderLine
		if err := rows.Scan(&id, &l.ProductID, &l.SKU, jsonText{&l.Title}, &l.UnitPrice.Amount, &l.Qty); err != nil {
			return fmt.Errorf("order lines: %w", err)
		}
		if o := byID[id]; o != nil {
			l.UnitPrice.Currency = o.Total.Currency
			o.Lines = append(o.Lines, l)
		}
	}
	return rows.Err()
}

// ordersWithLines runs a query of orders (orderCols) and loads the lines
// of each; what names the list in errors.
func (s *Store) ordersWithLines(ctx context.Context, what, query string, args ...any) ([]commerce.Order, error) {
	orders, err := queryList(ctx, s.db, what, scanOrder, query, args...)
	if err != nil {
		return nil, err
	}
	ptrs := make([]*commerce.Order, len(orders))
	for i := range orders {
		ptrs[i] = &orders[i]
	}
	if err := s.loadLines(ctx, s.db, ptrs); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return orders, nil
}

// OrdersByBuyer implements commerce.OrderStore: the orders of every
// identity of b's person.
func (s *Store) OrdersByBuyer(ctx context.Context, b commerce.Buyer, limit int) ([]commerce.Order, error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return nil, err
	}
	who, args := orderOwners(2, p.ids, "")
	return s.ordersWithLines(ctx, "orders of "+b.Key(), `SELECT `+orderCols+` FROM orders AS o
		WHERE `+who+` ORDER BY id DESC LIMIT $1`, append([]any{limit}, args...)...)
}

// SetOrderStatus implements commerce.OrderStore.
func (s *Store) SetOrderStatus(ctx context.Context, id int64, from, to commerce.OrderStatus, at time.Time) (commerce.Order, error) {
	if from == commerce.StatusAwaitingPayment || to == commerce.StatusAwaitingPayment || to == commerce.StatusPaid {
		// Closed at the provider first, or paid by its word: the payment flow's.
		return commerce.Order{}, fmt.Errorf("order %d %s→%s: %w", id, from, to, commerce.ErrInvalidTransition)
	}
	var o commerce.Order
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if o, err = s.setStatusTx(ctx, tx, id, 0, from, to, at); err != nil {
			return err
		}
		if from.HoldsStock() && to == commerce.StatusCancelled {
			return s.restockTx(ctx, tx, id, at)
		}
		return nil
	})
	return o, err
}

// restockTx returns a cancelled order's units: to its drop for a drop
// order, else to its products' stock.
func (s *Store) restockTx(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	// A drop order's units came from its drop: they go back there.
	if isDrop, err := s.returnDropUnits(ctx, tx, id); err != nil || isDrop {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock + l.qty, updated_at = $1
		FROM (SELECT product_id, SUM(qty) AS qty FROM order_lines WHERE order_id = $2 GROUP BY product_id) AS l
		WHERE products.id = l.product_id`, ms(at), id); err != nil {
		return fmt.Errorf("order %d restock: %w", id, err)
	}
	ids, err := orderProductIDs(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.restockedTx(ctx, tx, ids...)
}

// SellerCancelOrder implements commerce.OrderStore: the reason is written
// first, then the status moves with the one conditional update of
// setStatusTx (which fails, rolling the reason back, if another change won).
func (s *Store) SellerCancelOrder(ctx context.Context, c commerce.Cancellation) (commerce.Order, error) {
	overdue := c.Overdue && c.From == commerce.StatusReadyForPickup
	if !c.From.SellerCancellable() && !overdue {
		return commerce.Order{}, fmt.Errorf("order %d: cancel from %s: %w", c.OrderID, c.From, commerce.ErrInvalidTransition)
	}
	var o commerce.Order
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET cancel_reason = $1, cancelled_by = $2 WHERE id = $3 AND status = $4`,
			c.Reason, c.By, c.OrderID, string(c.From)); err != nil {
			return fmt.Errorf("order %d cancel reason: %w", c.OrderID, s.mapErr(err))
		}
		var err error
		if o, err = s.setStatusTx(ctx, tx, c.OrderID, 0, c.From, commerce.StatusCancelled, c.At); err != nil {
			return err
		}
		if c.From.HoldsStock() || overdue {
			if err := s.restockTx(ctx, tx, c.OrderID, c.At); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, commerce.SellerCancelledOrder{Order: o})
	})
	return o, err
}

// setStatusTx moves an order from → to inside tx with one conditional
// update, optionally only if it is for pointID (pointID > 0), logs the
// change in order_events and emits OrderStatusChanged. ErrConflict if the
// order is not in from (or not for that point); ErrNotFound if absent.
func (s *Store) setStatusTx(ctx context.Context, tx *sql.Tx, id, pointID int64, from, to commerce.OrderStatus, at time.Time) (commerce.Order, error) {
	q := `UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`
	args := []any{string(to), ms(at), id, string(from)}
	if pointID > 0 {
		q += ` AND pickup_point_id = $5`
		args = append(args, pointID)
	}
	if to == commerce.StatusPickedUp {
		// No hand-over without the payment (payment at pickup).
		var paid int64
		if err := tx.QueryRowContext(ctx, `SELECT paid_at FROM orders WHERE id = $1`, id).Scan(&paid); err != nil {
			return commerce.Order{}, fmt.Errorf("order %d: %w", id, s.mapErr(err))
		}
		if paid == 0 {
			return commerce.Order{}, fmt.Errorf("hand over order %d: %w", id, commerce.ErrPaymentRequired)
		}
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return commerce.Order{}, fmt.Errorf("order %d %s→%s: %w", id, from, to, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return commerce.Order{}, err
	} else if n == 0 {
		var cur string
		var point int64
		if err := tx.QueryRowContext(ctx, `SELECT status, pickup_point_id FROM orders WHERE id = $1`, id).Scan(&cur, &point); err != nil {
			return commerce.Order{}, fmt.Errorf("order %d: %w", id, s.mapErr(err))
		}
		if pointID > 0 && point != pointID {
			return commerce.Order{}, fmt.Errorf("order %d is at point %d, not %d: %w", id, point, pointID, commerce.ErrConflict)
		}
		return commerce.Order{}, fmt.Errorf("order %d is %s, not %s: %w", id, cur, from, commerce.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, from_status, to_status, at) VALUES ($1, $2, $3, $4)`,
		id, string(from), string(to), ms(at)); err != nil {
		return commerce.Order{}, fmt.Errorf("order %d event: %w", id, err)
	}
	o, err := s.orderWhere(ctx, tx, `id = $1`, id)
	if err != nil {
		return o, err
	}
	return o, s.emit(ctx, tx, commerce.OrderStatusChanged{Order: o, From: from, To: to})
}

// ExpiredOrders implements commerce.OrderStore.
func (s *Store) ExpiredOrders(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM orders WHERE status = 'pending' AND expires_at <= $1
		ORDER BY expires_at LIMIT $2`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("expired orders: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
