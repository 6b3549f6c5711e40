package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"shopbot/commerce"
)

// Drops implements commerce.DropFlowStore.
func (s *Store) Drops(ctx context.Context, limit int) ([]commerce.Drop, error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	return queryList(ctx, s.db, "drops", scanDrop, `SELECT `+dropCols+` FROM drops ORDER BY starts_at DESC, id DESC LIMIT $1`, limit)
}

// DropReservation implements commerce.DropFlowStore.
func (s *Store) DropReservation(ctx context.Context, id int64) (commerce.DropReservation, error) {
	r, err := scanDropReservation(s.db.QueryRowContext(ctx, `SELECT `+dropReservationCols+` FROM drop_reservations WHERE id = $1`, id))
	if err != nil {
		return r, fmt.Errorf("drop reservation %d: %w", id, s.mapErr(err))
	}
	return r, nil
}

// ActiveDropReservation implements commerce.DropFlowStore.
func (s *Store) ActiveDropReservation(ctx context.Context, dropID int64, b commerce.Buyer, now time.Time) (commerce.DropReservation, error) {
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return commerce.DropReservation{}, err
	}
	in, args := identityIn("buyer", 4, p.ids)
	r, err := scanDropReservation(s.db.QueryRowContext(ctx, `SELECT `+dropReservationCols+` FROM drop_reservations
		WHERE drop_id = $1 AND status = $2 AND expires_at > $3 AND `+in+` ORDER BY id DESC LIMIT 1`,
		append([]any{dropID, string(commerce.DropReserved), ms(now)}, args...)...))
	if err != nil {
		return r, fmt.Errorf("active reservation of drop %d: %w", dropID, s.mapErr(err))
	}
	return r, nil
}

// OrderDropReservation implements commerce.DropFlowStore. The reservation's
// row is changed first: of two concurrent confirmations the second waits
// for it, finds it ordered, and returns the first one's order. The
// person's lock comes after it (a reservation's row is never taken by a
// transaction holding a person's lock, so the two never wait in a circle).
func (s *Store) OrderDropReservation(ctx context.Context, o commerce.Order, reservationID int64, now time.Time, lim commerce.PersonLimits) (commerce.Order, bool, error) {
	if o.IdempotencyKey == "" {
		return o, false, fmt.Errorf("drop order: empty key: %w", commerce.ErrInvalid)
	}
	var existing *commerce.Order
	err := s.inPersonTx(ctx, func(tx *sql.Tx) error {
		existing = nil
		if prev, err := s.orderWhere(ctx, tx, `idem_key = $1`, o.IdempotencyKey); err == nil {
			existing = &prev
			return nil
		} else if !errors.Is(err, commerce.ErrNotFound) {
			return err
		}
		p, err := s.personOf(ctx, tx, o.Buyer.Identity())
		if err != nil {
			return err
		}
		in, args := identityIn("buyer", 5, p.ids)
		var dropID int64
		var qty int
		err = tx.QueryRowContext(ctx, `UPDATE drop_reservations SET status = $1, updated_at = $2
			WHERE id = $3 AND status = $4 AND expires_at > $2 AND `+in+` RETURNING drop_id, qty`,
			append([]any{string(commerce.DropOrdered), ms(now), reservationID, string(commerce.DropReserved)}, args...)...).Scan(&dropID, &qty)
		if errors.Is(err, sql.ErrNoRows) {
			return s.whyNotOrdered(ctx, tx, reservationID, p.ids, &existing)
		}
		if err != nil {
			return fmt.Errorf("order drop reservation %d: %w", reservationID, s.mapErr(err))
		}
		if anyLimit(lim) {
			if _, err := s.checkOrderLimits(ctx, tx, o.Buyer.Identity(), o.Phone, qty, now, lim); err != nil {
				return err
			}
		}
		var limit int
		var line commerce.OrderLine
		err = tx.QueryRowContext(ctx, `SELECT d.per_buyer_limit, d.price_amount, d.currency, p.id, p.sku, p.title
			FROM drops d JOIN products p ON p.id = d.product_id WHERE d.id = $1`, dropID).
			Scan(&limit, &line.UnitPrice.Amount, &line.UnitPrice.Currency, &line.ProductID, &line.SKU, jsonText{&line.Title})
		if err != nil {
			return fmt.Errorf("drop %d of reservation %d: %w", dropID, reservationID, s.mapErr(err))
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM pickup_points WHERE id = $1 AND active`, o.PickupPointID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("pickup point %d missing or closed: %w", o.PickupPointID, commerce.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("pickup point %d: %w", o.PickupPointID, s.mapErr(err))
		}
		// The same person on two channels is one phone number: its units in
		// the drop rise only within the limit.
		res, err := tx.ExecContext(ctx, `INSERT INTO drop_phones (drop_id, phone, taken) VALUES ($1, $2, $3)
			ON CONFLICT (drop_id, phone) DO UPDATE SET taken = drop_phones.taken + excluded.taken
			WHERE drop_phones.taken + excluded.taken <= $4`, dropID, o.Phone, qty, limit)
		if err != nil {
			return fmt.Errorf("drop %d phone count: %w", dropID, s.mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("drop %d phone count: %w", dropID, err)
		} else if n == 0 || qty > limit {
			return fmt.Errorf("drop %d: phone over the limit of %d: %w", dropID, limit, commerce.ErrDropLimit)
		}
		line.Qty = qty
		o.Lines = []commerce.OrderLine{line}
		o.Total = line.UnitPrice.Mul(qty)
		if o.ID, err = s.insertDropOrder(ctx, tx, o, dropID, reservationID); err != nil {
			return err
		}
		return s.emit(ctx, tx, commerce.OrderPlaced{Order: o})
	})
	if errors.Is(err, commerce.ErrConflict) {
		// The key's order committed meanwhile (a concurrent retry), or the number collided.
		if prev, kerr := s.OrderByKey(ctx, o.IdempotencyKey); kerr == nil {
			return prev, false, nil
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

// insertDropOrder inserts o (one line) and its link to the drop and the
// reservation, and returns its id.
func (s *Store) insertDropOrder(ctx context.Context, tx *sql.Tx, o commerce.Order, dropID, reservationID int64) (int64, error) {
	line := o.Lines[0]
	err := tx.QueryRowContext(ctx, `INSERT INTO orders (number, channel, user_id, chat_id, lang, status,
			total_amount, currency, pickup_point_id, contact_name, phone, idem_key, created_at, updated_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		o.Number, o.Buyer.Channel, o.Buyer.UserID, o.ChatID, o.Lang, string(o.Status),
		o.Total.Amount, o.Total.Currency, o.PickupPointID, o.ContactName, o.Phone, o.IdempotencyKey,
		ms(o.CreatedAt), ms(o.UpdatedAt), ms(o.ExpiresAt)).Scan(&o.ID)
	if err != nil {
		return 0, fmt.Errorf("insert drop order: %w", s.mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (order_id, line_no, product_id, sku, title, unit_amount, qty)
		VALUES ($1, 1, $2, $3, $4, $5, $6)`, o.ID, line.ProductID, line.SKU, textJSON(line.Title), line.UnitPrice.Amount, line.Qty); err != nil {
		return 0, fmt.Errorf("insert drop order line: %w", s.mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO drop_orders (order_id, drop_id, reservation_id, phone, qty)
		VALUES ($1, $2, $3, $4, $5)`, o.ID, dropID, reservationID, o.Phone, line.Qty); err != nil {
		return 0, fmt.Errorf("insert drop order link: %w", s.mapErr(err))
	}
	return o.ID, nil
}

// whyNotOrdered explains a reservation the conditional update did not
// take: ordered before (existing is set to that order), another person's
// or absent, or expired.
func (s *Store) whyNotOrdered(ctx context.Context, tx *sql.Tx, id int64, ids []commerce.Identity, existing **commerce.Order) error {
	r, err := scanDropReservation(tx.QueryRowContext(ctx, `SELECT `+dropReservationCols+` FROM drop_reservations WHERE id = $1`, id))
	if err != nil {
		return fmt.Errorf("drop reservation %d: %w", id, s.mapErr(err))
	}
	if !slices.Contains(ids, r.Buyer.Identity()) {
		return fmt.Errorf("drop reservation %d of another buyer: %w", id, commerce.ErrNotFound)
	}
	if r.Status == commerce.DropOrdered {
		o, err := s.orderWhere(ctx, tx, `id = (SELECT order_id FROM drop_orders WHERE reservation_id = $1)`, id)
		if err != nil {
			return err
		}
		*existing = &o
		return nil
	}
	return fmt.Errorf("drop reservation %d is %s: %w", id, r.Status, commerce.ErrExpired)
}

// returnDropUnits gives a cancelled drop order's units back to its drop,
// its phone and its buyer, and emits DropUnitsFreed. ok is false when the
// order is not a drop order (its stock is the product's).
func (s *Store) returnDropUnits(ctx context.Context, tx *sql.Tx, orderID int64) (ok bool, err error) {
	var dropID, resID int64
	var phone string
	var qty int
	err = tx.QueryRowContext(ctx, `SELECT drop_id, reservation_id, phone, qty FROM drop_orders WHERE order_id = $1`, orderID).
		Scan(&dropID, &resID, &phone, &qty)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("drop of order %d: %w", orderID, err)
	}
	var buyer string
	if err := tx.QueryRowContext(ctx, `SELECT buyer FROM drop_reservations WHERE id = $1`, resID).Scan(&buyer); err != nil {
		return false, fmt.Errorf("reservation of order %d: %w", orderID, err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE drops SET units_left = units_left + $1 WHERE id = $2`, []any{qty, dropID}},
		{`UPDATE drop_phones SET taken = taken - $1 WHERE drop_id = $2 AND phone = $3`, []any{qty, dropID, phone}},
		{`UPDATE drop_buyers SET taken = taken - $1 WHERE drop_id = $2 AND buyer = $3`, []any{qty, dropID, buyer}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return false, fmt.Errorf("return units of order %d to drop %d: %w", orderID, dropID, s.mapErr(err))
		}
	}
	return true, s.emit(ctx, tx, commerce.DropUnitsFreed{DropID: dropID, Buyer: parseBuyer(buyer), Qty: qty, Gate: true})
}

// SubscribeDrop implements commerce.DropFlowStore.
func (s *Store) SubscribeDrop(ctx context.Context, dropID int64, f commerce.DropFollower, now time.Time, lim commerce.PersonLimits) (bool, error) {
	created := false
	err := s.inPersonTx(ctx, func(tx *sql.Tx) error {
		created = false
		ids, err := s.lockFollower(ctx, tx, dropID, f.Buyer)
		if err != nil {
			return err
		}
		in, args := identityIn("buyer", 2, ids)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM drop_subscribers WHERE drop_id = $1 AND `+in,
			append([]any{dropID}, args...)...).Scan(&n); err != nil {
			return fmt.Errorf("drop %d subscription: %w", dropID, s.mapErr(err))
		}
		if n > 0 {
			return nil // the person is subscribed, from this identity or another
		}
		if err := s.checkWaitlists(ctx, tx, ids, now, lim); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO drop_subscribers (drop_id, buyer, chat_id, lang, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (drop_id, buyer) DO NOTHING`, dropID, f.Buyer.Key(), f.ChatID, f.Lang, ms(now))
		if err != nil {
			return fmt.Errorf("subscribe to drop %d: %w", dropID, s.mapErr(err))
		}
		m, err := res.RowsAffected()
		created = m > 0
		return err
	})
	return created, err
}

// lockFollower takes the lock of b's person for a subscription or a
// waitlist place of an existing drop (ErrNotFound otherwise) and returns
// the person's identities.
func (s *Store) lockFollower(ctx context.Context, tx *sql.Tx, dropID int64, b commerce.Buyer) ([]commerce.Identity, error) {
	ps, err := s.lockPersons(ctx, tx, []commerce.Identity{b.Identity()})
	if err != nil {
		return nil, err
	}
	if _, err := s.dropWhere(ctx, tx, `id = $1`, dropID); err != nil {
		return nil, err
	}
	return ps[b.Identity()].ids, nil
}

// checkWaitlists refuses one more waitlist place or subscription of the
// person ids when lim does not allow it (the person is locked).
func (s *Store) checkWaitlists(ctx context.Context, tx *sql.Tx, ids []commerce.Identity, now time.Time, lim commerce.PersonLimits) error {
	if lim.Waitlists <= 0 {
		return nil
	}
	u, err := s.openUsage(ctx, tx, ids, "", now, 0, usageWaitlists)
	if err != nil {
		return err
	}
	return lim.CheckWaitlist(u)
}

// UnsubscribeDrop implements commerce.DropFlowStore.
func (s *Store) UnsubscribeDrop(ctx context.Context, dropID int64, b commerce.Buyer) (bool, error) {
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return false, err
	}
	in, args := identityIn("buyer", 2, p.ids)
	res, err := s.db.ExecContext(ctx, `DELETE FROM drop_subscribers WHERE drop_id = $1 AND `+in, append([]any{dropID}, args...)...)
	if err != nil {
		return false, fmt.Errorf("unsubscribe from drop %d: %w", dropID, s.mapErr(err))
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DropSubscribed implements commerce.DropFlowStore.
func (s *Store) DropSubscribed(ctx context.Context, dropID int64, b commerce.Buyer) (bool, error) {
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return false, err
	}
	in, args := identityIn("buyer", 2, p.ids)
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM drop_subscribers WHERE drop_id = $1 AND `+in, append([]any{dropID}, args...)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("drop %d subscription: %w", dropID, err)
	}
	return n > 0, nil
}

// DropPersonTaken implements commerce.DropFlowStore.
func (s *Store) DropPersonTaken(ctx context.Context, dropID int64, b commerce.Buyer) (int, error) {
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return 0, err
	}
	in, args := identityIn("buyer", 2, p.ids)
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(taken), 0) FROM drop_buyers WHERE drop_id = $1 AND `+in,
		append([]any{dropID}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("drop %d person count: %w", dropID, s.mapErr(err))
	}
	return n, nil
}

// StartDrop implements commerce.DropFlowStore.
func (s *Store) StartDrop(ctx context.Context, dropID int64, now time.Time) ([]commerce.DropFollower, error) {
	var subs []commerce.DropFollower
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		d, err := s.dropWhere(ctx, tx, `id = $1`, dropID)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE drop_subscribers SET notified_at = $1
			WHERE drop_id = $2 AND notified_at IS NULL RETURNING buyer, chat_id, lang`, ms(now), dropID)
		if err != nil {
			return fmt.Errorf("start drop %d: %w", dropID, s.mapErr(err))
		}
		for rows.Next() {
			var f commerce.DropFollower
			var buyer string
			if err := rows.Scan(&buyer, &f.ChatID, &f.Lang); err != nil {
				rows.Close()
				return fmt.Errorf("start drop %d: %w", dropID, err)
			}
			f.Buyer = parseBuyer(buyer)
			subs = append(subs, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("start drop %d: %w", dropID, err)
		}
		if len(subs) == 0 {
			return nil
		}
		return s.emit(ctx, tx, commerce.DropStarted{Drop: d, Subscribers: subs})
	})
	if err != nil {
		return nil, err
	}
	return subs, nil
}

const waiterCols = `id, drop_id, buyer, chat_id, lang, status, COALESCE(reservation_id, 0), created_at`

func scanWaiter(sc interface{ Scan(...any) error }) (commerce.DropWaiter, error) {
	var w commerce.DropWaiter
	var buyer string
	var created int64
	err := sc.Scan(&w.ID, &w.DropID, &buyer, &w.ChatID, &w.Lang, &w.Status, &w.ReservationID, &created)
	w.Buyer, w.CreatedAt = parseBuyer(buyer), fromMS(created)
	return w, err
}

// JoinWaitlist implements commerce.DropFlowStore. An offered entry whose
// unit lapsed unused (expired, given back, or past its expiry before the job
// ran) no longer holds a place: it is deleted and a new row inserted, in one
// transaction. A new row rather than an updated one, because the queue runs
// by id (the buyer goes to the back) and the offer's reservation key is
// derived from the id (the old key would replay the dead reservation). The
// person's lock (and UNIQUE (drop_id, buyer) besides) keeps one entry per
// person: of concurrent taps one deletes and inserts, the others find its
// entry.
func (s *Store) JoinWaitlist(ctx context.Context, dropID int64, f commerce.DropFollower, now time.Time, lim commerce.PersonLimits) (commerce.DropWaiter, bool, error) {
	var w commerce.DropWaiter
	created := false
	err := s.inPersonTx(ctx, func(tx *sql.Tx) error {
		created = false
		ids, err := s.lockFollower(ctx, tx, dropID, f.Buyer)
		if err != nil {
			return err
		}
		in, args := identityIn("buyer", 7, ids)
		_, err = tx.ExecContext(ctx, `DELETE FROM drop_waitlist WHERE drop_id = $1 AND status = $2
			AND reservation_id IN (SELECT id FROM drop_reservations WHERE status IN ($3, $4) OR (status = $5 AND expires_at <= $6))
			AND `+in,
			append([]any{dropID, string(commerce.DropOffered), string(commerce.DropExpired), string(commerce.DropReleased),
				string(commerce.DropReserved), ms(now)}, args...)...)
		if err != nil {
			return fmt.Errorf("join waitlist of drop %d: %w", dropID, s.mapErr(err))
		}
		if w, err = s.waitlistEntry(ctx, tx, dropID, ids); err == nil {
			return nil // the person has a place, from this identity or another
		} else if !errors.Is(err, commerce.ErrNotFound) {
			return err
		}
		if err := s.checkWaitlists(ctx, tx, ids, now, lim); err != nil {
			return err
		}
		if w, err = scanWaiter(tx.QueryRowContext(ctx, `INSERT INTO drop_waitlist (drop_id, buyer, chat_id, lang, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+waiterCols,
			dropID, f.Buyer.Key(), f.ChatID, f.Lang, string(commerce.DropWaiting), ms(now))); err != nil {
			return fmt.Errorf("join waitlist of drop %d: %w", dropID, s.mapErr(err))
		}
		created = true
		return nil
	})
	if err != nil {
		return commerce.DropWaiter{}, false, err
	}
	return w, created, nil
}

// WaitlistEntry implements commerce.DropFlowStore.
func (s *Store) WaitlistEntry(ctx context.Context, dropID int64, b commerce.Buyer) (commerce.DropWaiter, error) {
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return commerce.DropWaiter{}, err
	}
	return s.waitlistEntry(ctx, s.db, dropID, p.ids)
}

// waitlistEntry is the newest waitlist entry of the person ids.
func (s *Store) waitlistEntry(ctx context.Context, q querier, dropID int64, ids []commerce.Identity) (commerce.DropWaiter, error) {
	in, args := identityIn("buyer", 2, ids)
	w, err := scanWaiter(q.QueryRowContext(ctx, `SELECT `+waiterCols+` FROM drop_waitlist WHERE drop_id = $1 AND `+in+`
		ORDER BY id DESC LIMIT 1`, append([]any{dropID}, args...)...))
	if err != nil {
		return w, fmt.Errorf("waitlist of drop %d: %w", dropID, s.mapErr(err))
	}
	return w, nil
}

// NextWaiter implements commerce.DropFlowStore.
func (s *Store) NextWaiter(ctx context.Context, dropID int64) (commerce.DropWaiter, error) {
	w, err := scanWaiter(s.db.QueryRowContext(ctx, `SELECT `+waiterCols+` FROM drop_waitlist
		WHERE drop_id = $1 AND status = $2 ORDER BY id LIMIT 1`, dropID, string(commerce.DropWaiting)))
	if err != nil {
		return w, fmt.Errorf("next on waitlist of drop %d: %w", dropID, s.mapErr(err))
	}
	return w, nil
}

// SetWaiterOffered implements commerce.DropFlowStore.
func (s *Store) SetWaiterOffered(ctx context.Context, waiterID int64, r commerce.DropReservation) (bool, error) {
	ok := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w, err := scanWaiter(tx.QueryRowContext(ctx, `UPDATE drop_waitlist SET status = $1, reservation_id = $2
			WHERE id = $3 AND status = $4 RETURNING `+waiterCols,
			string(commerce.DropOffered), r.ID, waiterID, string(commerce.DropWaiting)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("offer to waiter %d: %w", waiterID, s.mapErr(err))
		}
		ok = true
		return s.emit(ctx, tx, commerce.DropOfferMade{Waiter: w, Reservation: r})
	})
	return ok, err
}

// SkipWaiter implements commerce.DropFlowStore.
func (s *Store) SkipWaiter(ctx context.Context, waiterID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE drop_waitlist SET status = $1 WHERE id = $2 AND status = $3`,
		string(commerce.DropSkipped), waiterID, string(commerce.DropWaiting))
	if err != nil {
		return fmt.Errorf("skip waiter %d: %w", waiterID, s.mapErr(err))
	}
	return nil
}

// DropStats implements commerce.DropFlowStore. Units add up: Units = Left +
// Reserved + Sold (cancelled orders gave theirs back).
func (s *Store) DropStats(ctx context.Context, dropID int64, now time.Time) (commerce.DropStats, error) {
	d, err := s.Drop(ctx, dropID)
	if err != nil {
		return commerce.DropStats{}, err
	}
	st := commerce.DropStats{Drop: d, Revenue: commerce.Money{Currency: d.Price.Currency}}
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(d.qty), 0), COUNT(*), COALESCE(SUM(o.total_amount), 0)
		FROM drop_orders d JOIN orders o ON o.id = d.order_id
		WHERE d.drop_id = $1 AND o.status <> $2`, dropID, string(commerce.StatusCancelled)).
		Scan(&st.Sold, &st.Orders, &st.Revenue.Amount)
	if err != nil {
		return st, fmt.Errorf("drop %d sales: %w", dropID, err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(qty), 0) FROM drop_reservations WHERE drop_id = $1 AND status = $2`,
		dropID, string(commerce.DropReserved)).Scan(&st.Reserved)
	if err != nil {
		return st, fmt.Errorf("drop %d reservations: %w", dropID, err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM drop_waitlist WHERE drop_id = $1 AND status = $2),
		(SELECT COUNT(*) FROM drop_subscribers WHERE drop_id = $1)`, dropID, string(commerce.DropWaiting)).
		Scan(&st.Waitlisted, &st.Subscribers)
	if err != nil {
		return st, fmt.Errorf("drop %d followers: %w", dropID, err)
	}
	return st, nil
}
