package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"shopbot/commerce"
)

var _ commerce.DropStore = (*Store)(nil)

const dropCols = `id, code, product_id, units, units_left, price_amount, currency, starts_at,
	per_buyer_limit, reservation_ms, created_at, tz, cancelled_at, COALESCE(create_key, '')`

func scanDrop(sc interface{ Scan(...any) error }) (commerce.Drop, error) {
	var d commerce.Drop
	var starts, ttl, created, cancelled int64
	err := sc.Scan(&d.ID, &d.Code, &d.ProductID, &d.Units, &d.Left, &d.Price.Amount, &d.Price.Currency,
		&starts, &d.PerBuyerLimit, &ttl, &created, &d.TimeZone, &cancelled, &d.Key)
	d.StartsAt, d.CreatedAt, d.ReservationTTL = fromMS(starts), fromMS(created), time.Duration(ttl)*time.Millisecond
	if cancelled > 0 {
		d.CancelledAt = fromMS(cancelled)
	}
	return d, err
}

const dropReservationCols = `id, drop_id, buyer, qty, idem_key, status, created_at, expires_at`

func scanDropReservation(sc interface{ Scan(...any) error }) (commerce.DropReservation, error) {
	var r commerce.DropReservation
	var buyer string
	var created, expires int64
	err := sc.Scan(&r.ID, &r.DropID, &buyer, &r.Qty, &r.Key, &r.Status, &created, &expires)
	r.Buyer = parseBuyer(buyer)
	r.CreatedAt, r.ExpiresAt = fromMS(created), fromMS(expires)
	return r, err
}

func parseBuyer(key string) commerce.Buyer {
	ch, id, _ := strings.Cut(key, ":")
	return commerce.Buyer{Channel: ch, UserID: id}
}

// CreateDrop implements commerce.DropStore. The insert selects the product,
// so a missing product inserts nothing (ErrNotFound).
func (s *Store) CreateDrop(ctx context.Context, d commerce.Drop) (commerce.Drop, error) {
	if err := d.Validate(); err != nil {
		return d, err
	}
	var created commerce.Drop
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO drops (code, product_id, units, units_left, price_amount, currency,
				starts_at, per_buyer_limit, reservation_ms, created_at, tz, create_key)
			SELECT $1, id, $2, $2, $3, $4, $5, $6, $7, $8, $10, $11 FROM products WHERE id = $9 RETURNING id`,
			d.Code, d.Units, d.Price.Amount, d.Price.Currency, ms(d.StartsAt), d.PerBuyerLimit,
			d.ReservationTTL.Milliseconds(), ms(d.CreatedAt), d.ProductID, d.TimeZone, nullString(d.Key)).Scan(&d.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("create drop: product %d: %w", d.ProductID, commerce.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("create drop %s: %w", d.Code, s.mapErr(err))
		}
		if created, err = s.dropWhere(ctx, tx, `id = $1`, d.ID); err != nil {
			return err
		}
		// The start notice job commits with the drop.
		return s.emit(ctx, tx, commerce.DropCreated{Drop: created})
	})
	if err != nil {
		return d, err
	}
	return created, nil
}

// Drop implements commerce.DropStore.
func (s *Store) Drop(ctx context.Context, id int64) (commerce.Drop, error) {
	return s.dropWhere(ctx, s.db, `id = $1`, id)
}

// DropByCode implements commerce.DropStore.
func (s *Store) DropByCode(ctx context.Context, code string) (commerce.Drop, error) {
	return s.dropWhere(ctx, s.db, `code = $1`, code)
}

func (s *Store) dropWhere(ctx context.Context, q querier, where string, arg any) (commerce.Drop, error) {
	d, err := scanDrop(q.QueryRowContext(ctx, `SELECT `+dropCols+` FROM drops WHERE `+where, arg))
	if err != nil {
		return d, fmt.Errorf("drop %v: %w", arg, s.mapErr(err))
	}
	return d, nil
}

// DropReservationByKey implements commerce.DropStore.
func (s *Store) DropReservationByKey(ctx context.Context, key string) (commerce.DropReservation, error) {
	return s.dropReservationByKey(ctx, s.db, key)
}

func (s *Store) dropReservationByKey(ctx context.Context, q querier, key string) (commerce.DropReservation, error) {
	r, err := scanDropReservation(q.QueryRowContext(ctx, `SELECT `+dropReservationCols+` FROM drop_reservations WHERE idem_key = $1`, key))
	if err != nil {
		return r, fmt.Errorf("drop reservation %q: %w", key, s.mapErr(err))
	}
	return r, nil
}

// ExpireReservation implements commerce.DropStore: the status update is
// conditional on 'reserved', so only one caller returns the units.
func (s *Store) ExpireReservation(ctx context.Context, id int64, now time.Time) (commerce.DropReservation, bool, error) {
	return s.endReservation(ctx, id, now, commerce.DropExpired, `expires_at <= $2`)
}

// ReleaseDropReservation implements commerce.DropFlowStore like
// ExpireReservation, for a reservation of b's person whatever its expiry.
func (s *Store) ReleaseDropReservation(ctx context.Context, id int64, b commerce.Buyer, now time.Time) (commerce.DropReservation, bool, error) {
	p, err := s.personOf(ctx, s.db, b.Identity())
	if err != nil {
		return commerce.DropReservation{}, false, err
	}
	in, args := identityIn("buyer", 5, p.ids)
	r, released, err := s.endReservation(ctx, id, now, commerce.DropReleased, in, args...)
	if err == nil && !slices.Contains(p.ids, r.Buyer.Identity()) {
		return commerce.DropReservation{}, false, fmt.Errorf("drop reservation %d of another buyer: %w", id, commerce.ErrNotFound)
	}
	return r, released, err
}

// endReservation moves a reserved reservation to status when cond holds
// ($1 status, $2 now, $3 id, $4 reserved, $5… extra) and returns its units
// to the drop and to the buyer's count, once: ended is false (and nothing
// changes) when the update takes nothing.
func (s *Store) endReservation(ctx context.Context, id int64, now time.Time, status commerce.DropReservationStatus, cond string, extra ...any) (commerce.DropReservation, bool, error) {
	var r commerce.DropReservation
	ended := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		args := append([]any{string(status), ms(now), id, string(commerce.DropReserved)}, extra...)
		var err error
		r, err = scanDropReservation(tx.QueryRowContext(ctx, `UPDATE drop_reservations SET status = $1, updated_at = $2
			WHERE id = $3 AND status = $4 AND `+cond+` RETURNING `+dropReservationCols, args...))
		if errors.Is(err, sql.ErrNoRows) {
			r, err = scanDropReservation(tx.QueryRowContext(ctx, `SELECT `+dropReservationCols+` FROM drop_reservations WHERE id = $1`, id))
			if err != nil {
				return fmt.Errorf("drop reservation %d: %w", id, s.mapErr(err))
			}
			return nil // ended before, or not due yet
		}
		if err != nil {
			return fmt.Errorf("end drop reservation %d: %w", id, s.mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE drops SET units_left = units_left + $1 WHERE id = $2`, r.Qty, r.DropID); err != nil {
			return fmt.Errorf("return units to drop %d: %w", r.DropID, s.mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE drop_buyers SET taken = taken - $1 WHERE drop_id = $2 AND buyer = $3`,
			r.Qty, r.DropID, r.Buyer.Key()); err != nil {
			return fmt.Errorf("return buyer count of drop %d: %w", r.DropID, s.mapErr(err))
		}
		ended = true
		// The service returns the gate's units itself, right after the commit.
		return s.emit(ctx, tx, commerce.DropUnitsFreed{DropID: r.DropID, Buyer: r.Buyer, Qty: r.Qty})
	})
	return r, ended, err
}

// DueDropReservations implements commerce.DropStore.
func (s *Store) DueDropReservations(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM drop_reservations WHERE status = $1 AND expires_at <= $2
		ORDER BY expires_at, id LIMIT $3`, string(commerce.DropReserved), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due drop reservations: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due drop reservations: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
