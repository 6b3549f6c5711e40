package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

// DropBuyerTaken implements commerce.DropGateSource.
func (s *Store) DropBuyerTaken(ctx context.Context, dropID int64, buyer commerce.Buyer) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT taken FROM drop_buyers WHERE drop_id = $1 AND buyer = $2`, dropID, buyer.Key()).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("drop %d buyer count: %w", dropID, s.mapErr(err))
	}
	return n, nil
}

// DropBuyerCounts implements commerce.DropGateSource.
func (s *Store) DropBuyerCounts(ctx context.Context, dropID int64) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT buyer, taken FROM drop_buyers WHERE drop_id = $1 AND taken > 0`, dropID)
	if err != nil {
		return nil, fmt.Errorf("drop %d buyer counts: %w", dropID, s.mapErr(err))
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var b string
		var n int
		if err := rows.Scan(&b, &n); err != nil {
			return nil, fmt.Errorf("drop %d buyer counts: %w", dropID, err)
		}
		out[b] = n
	}
	return out, rows.Err()
}

// liveDropWindow bounds LiveDrops to drops started recently.
const liveDropWindow = 30 * 24 * time.Hour

// LiveDrops implements commerce.DropGateSource: drops started within the
// last 30 days with units left.
func (s *Store) LiveDrops(ctx context.Context, now time.Time) ([]commerce.Drop, error) {
	return queryList(ctx, s.db, "live drops", scanDrop, `SELECT `+dropCols+` FROM drops
		WHERE starts_at <= $1 AND starts_at > $2 AND units_left > 0 AND cancelled_at = 0 ORDER BY id`, ms(now), ms(now.Add(-liveDropWindow)))
}
