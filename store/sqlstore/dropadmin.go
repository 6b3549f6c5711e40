package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

// nullString stores "" as NULL (a unique column where "" means none).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// lockDrop takes the drop's row lock (a no-op update, as Reserve does, so
// the two are ordered the same way) and returns the drop.
func (s *Store) lockDrop(ctx context.Context, tx *sql.Tx, id int64) (commerce.Drop, error) {
	d, err := scanDrop(tx.QueryRowContext(ctx, `UPDATE drops SET units_left = units_left WHERE id = $1 RETURNING `+dropCols, id))
	if err != nil {
		return d, fmt.Errorf("drop %d: %w", id, s.mapErr(err))
	}
	return d, nil
}

// EditDrop implements commerce.DropAdminStore. The drop is read under its
// row lock, so the checks in Go see what the update changes; the update
// still carries them.
func (s *Store) EditDrop(ctx context.Context, id int64, e commerce.DropEdit, now time.Time) (commerce.Drop, commerce.Drop, error) {
	var before, after commerce.Drop
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if before, err = s.lockDrop(ctx, tx, id); err != nil {
			return err
		}
		switch {
		case !before.CancelledAt.IsZero():
			return fmt.Errorf("edit drop %s: %w", before.Code, commerce.ErrDropCancelled)
		case !now.Before(before.StartsAt):
			return fmt.Errorf("edit drop %s: %w", before.Code, commerce.ErrDropStarted)
		}
		want := e.Apply(before)
		if taken := before.Units - before.Left; want.Units < taken {
			return fmt.Errorf("edit drop %s: %d units, %d taken: %w", before.Code, want.Units, taken, commerce.ErrInvalid)
		}
		if err := want.Validate(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE drops SET starts_at = $1, price_amount = $2, currency = $3,
				units_left = units_left + ($4 - units), units = $4, per_buyer_limit = $5, reservation_ms = $6
			WHERE id = $7 AND cancelled_at = 0 AND starts_at > $8`,
			ms(want.StartsAt), want.Price.Amount, want.Price.Currency, want.Units, want.PerBuyerLimit,
			want.ReservationTTL.Milliseconds(), id, ms(now))
		if err != nil {
			return fmt.Errorf("edit drop %s: %w", before.Code, s.mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("edit drop %s: changed under the lock (%d rows, %v)", before.Code, n, err)
		}
		if after, err = s.dropWhere(ctx, tx, `id = $1`, id); err != nil {
			return err
		}
		if !after.StartsAt.Equal(before.StartsAt) {
			return s.emit(ctx, tx, commerce.DropRescheduled{Drop: after})
		}
		return nil
	})
	if err != nil {
		return before, before, err
	}
	return before, after, nil
}

// AddDropUnits implements commerce.DropAdminStore: units and units_left
// rise in one conditional statement, so the figures add up whatever
// reservations run meanwhile.
func (s *Store) AddDropUnits(ctx context.Context, id int64, n int) (commerce.Drop, error) {
	if n < 1 || n > commerce.MaxDropUnits {
		return commerce.Drop{}, fmt.Errorf("add %d units to drop %d: %w", n, id, commerce.ErrInvalid)
	}
	var d commerce.Drop
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = scanDrop(tx.QueryRowContext(ctx, `UPDATE drops SET units = units + $1, units_left = units_left + $1
			WHERE id = $2 AND cancelled_at = 0 AND units + $1 <= $3 RETURNING `+dropCols, n, id, commerce.MaxDropUnits))
		if errors.Is(err, sql.ErrNoRows) {
			cur, err := s.dropWhere(ctx, tx, `id = $1`, id)
			switch {
			case err != nil:
				return err
			case !cur.CancelledAt.IsZero():
				return fmt.Errorf("add units to drop %s: %w", cur.Code, commerce.ErrDropCancelled)
			}
			return fmt.Errorf("add %d units to drop %s of %d: %w", n, cur.Code, cur.Units, commerce.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("add units to drop %d: %w", id, s.mapErr(err))
		}
		// The job raises the gate's counter and offers the waitlist.
		return s.emit(ctx, tx, commerce.DropUnitsFreed{DropID: id, Qty: n, Gate: true})
	})
	return d, err
}

// CancelDrop implements commerce.DropAdminStore. It takes the drop's row
// lock first, like Reserve, so every reservation committed before it is
// seen and released here, and every Reserve after it sees cancelled_at.
// Released rather than left to lapse: a cancelled drop must not turn a
// held unit into an order, and the buyers' counts are right at once.
func (s *Store) CancelDrop(ctx context.Context, id int64, now time.Time) (commerce.Drop, bool, error) {
	var d commerce.Drop
	cancelled := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = scanDrop(tx.QueryRowContext(ctx, `UPDATE drops SET cancelled_at = $1 WHERE id = $2 AND cancelled_at = 0
			RETURNING `+dropCols, ms(now), id))
		if errors.Is(err, sql.ErrNoRows) {
			d, err = s.dropWhere(ctx, tx, `id = $1`, id)
			return err // cancelled before, or absent
		}
		if err != nil {
			return fmt.Errorf("cancel drop %d: %w", id, s.mapErr(err))
		}
		cancelled = true
		rows, err := tx.QueryContext(ctx, `UPDATE drop_reservations SET status = $1, updated_at = $2
			WHERE drop_id = $3 AND status = $4 RETURNING buyer, qty`,
			string(commerce.DropReleased), ms(now), id, string(commerce.DropReserved))
		if err != nil {
			return fmt.Errorf("cancel drop %s: %w", d.Code, s.mapErr(err))
		}
		held := map[string]int{}
		total := 0
		for rows.Next() {
			var buyer string
			var qty int
			if err := rows.Scan(&buyer, &qty); err != nil {
				rows.Close()
				return fmt.Errorf("cancel drop %s: %w", d.Code, err)
			}
			held[buyer] += qty
			total += qty
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("cancel drop %s: %w", d.Code, err)
		}
		if total == 0 {
			return nil
		}
		for buyer, qty := range held {
			if _, err := tx.ExecContext(ctx, `UPDATE drop_buyers SET taken = taken - $1 WHERE drop_id = $2 AND buyer = $3`,
				qty, id, buyer); err != nil {
				return fmt.Errorf("cancel drop %s: %w", d.Code, s.mapErr(err))
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE drops SET units_left = units_left + $1 WHERE id = $2`, total, id); err != nil {
			return fmt.Errorf("cancel drop %s: %w", d.Code, s.mapErr(err))
		}
		d.Left += total
		return nil
	})
	return d, cancelled, err
}

// DropByKey implements commerce.DropAdminStore.
func (s *Store) DropByKey(ctx context.Context, key string) (commerce.Drop, error) {
	if key == "" {
		return commerce.Drop{}, fmt.Errorf("drop by empty key: %w", commerce.ErrNotFound)
	}
	return s.dropWhere(ctx, s.db, `create_key = $1`, key)
}
