package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"shopbot/commerce"
)

// takeAttemptSQL counts one attempt against scope ($1) at $2 in one
// conditional upsert: a scope without a row, or whose window started at or
// before $3 (= $2 − per) and is over, starts a new window at $2 with one
// attempt; a current window with fewer than $4 attempts counts one more; a
// full one is left alone and no row comes back. The row lock of the upsert
// (Postgres) or the single writer (SQLite) makes it atomic: simultaneous
// attempts queue on the row and each sees the count the previous one left.
const takeAttemptSQL = `INSERT INTO attempt_windows AS w (scope, started_at, used) VALUES ($1, $2, 1)
	ON CONFLICT (scope) DO UPDATE SET
		used = CASE WHEN w.started_at <= $3 THEN 1 ELSE w.used + 1 END,
		started_at = CASE WHEN w.started_at <= $3 THEN $2 ELSE w.started_at END
	WHERE w.started_at <= $3 OR w.used < $4
	RETURNING started_at, used`

func takeAttempt(ctx context.Context, q querier, scope string, maxN int, per time.Duration, at time.Time) (commerce.Attempt, bool, error) {
	if maxN < 1 || per <= 0 {
		return commerce.Attempt{}, false, fmt.Errorf("attempt %s: limit %d per %v: %w", scope, maxN, per, commerce.ErrInvalid)
	}
	maxN = min(maxN, math.MaxInt32)
	var started int64
	var used int
	err := q.QueryRowContext(ctx, takeAttemptSQL, scope, ms(at), ms(at.Add(-per)), maxN).Scan(&started, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return commerce.Attempt{}, false, nil
	}
	if err != nil {
		return commerce.Attempt{}, false, fmt.Errorf("take attempt: %w", err)
	}
	return commerce.Attempt{Scope: scope, Window: fromMS(started), N: used}, true, nil
}

// TakeAttempt implements commerce.AttemptStore.
func (s *Store) TakeAttempt(ctx context.Context, scope string, maxN int, per time.Duration, at time.Time) (commerce.Attempt, bool, error) {
	return takeAttempt(ctx, s.db, scope, maxN, per, at)
}

// ReturnAttempt implements commerce.AttemptStore.
func (s *Store) ReturnAttempt(ctx context.Context, a commerce.Attempt) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE attempt_windows SET used = used - 1 WHERE scope = $1 AND started_at = $2 AND used > 0`,
		a.Scope, ms(a.Window)); err != nil {
		return fmt.Errorf("return attempt: %w", err)
	}
	return nil
}

// PruneAttempts implements commerce.AttemptStore.
func (s *Store) PruneAttempts(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM attempt_windows WHERE started_at < $1`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("prune attempts: %w", err)
	}
	return res.RowsAffected()
}

// CountWrongCode implements commerce.CollectionStore: the point's window
// is the scope "point:ID" of attempt_windows.
func (s *Store) CountWrongCode(ctx context.Context, pointID int64, alert commerce.Limit, at time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a, _, err := takeAttempt(ctx, tx, "point:"+strconv.FormatInt(pointID, 10), math.MaxInt32, alert.Per, at)
		if err != nil {
			return err
		}
		n = a.N
		if n != alert.N {
			return nil
		}
		return s.emit(ctx, tx, commerce.StaffCodeFlood{PointID: pointID, Wrong: n, Since: a.Window, Per: alert.Per})
	})
	return n, err
}
