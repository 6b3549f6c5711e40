package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"shopbot/commerce"
)

// noticeKeep is how long delivered new-order notice rows are kept.
const noticeKeep = 24 * time.Hour

// NoticeStep implements commerce.SellerNoticeStore: the seller's window
// row is locked (a key lock on Postgres, the one writer on SQLite; the
// row's update serializes anyway), then the order's row decides.
func (s *Store) NoticeStep(ctx context.Context, seller string, orderID, job int64, window time.Duration, now time.Time) (commerce.NoticeStep, error) {
	var step commerce.NoticeStep
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		step = commerce.NoticeStep{}
		if s.d.KeyLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.KeyLock, "seller_notice:"+seller); err != nil {
				return fmt.Errorf("lock seller notices: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO seller_notice_windows (seller, last_sent) VALUES ($1, 0)
			ON CONFLICT (seller) DO NOTHING`, seller); err != nil {
			return fmt.Errorf("seller notice window: %w", s.mapErr(err))
		}
		var last int64
		if err := tx.QueryRowContext(ctx, `UPDATE seller_notice_windows SET last_sent = last_sent WHERE seller = $1
			RETURNING last_sent`, seller).Scan(&last); err != nil {
			return fmt.Errorf("seller notice window: %w", s.mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO seller_order_notices (seller, order_id, queued_at) VALUES ($1, $2, $3)
			ON CONFLICT (seller, order_id) DO NOTHING`, seller, orderID, ms(now)); err != nil {
			return fmt.Errorf("seller order notice %d: %w", orderID, s.mapErr(err))
		}
		var claimedBy, delivered int64
		if err := tx.QueryRowContext(ctx, `SELECT job, delivered_at FROM seller_order_notices WHERE seller = $1 AND order_id = $2`,
			seller, orderID).Scan(&claimedBy, &delivered); err != nil {
			return fmt.Errorf("seller order notice %d: %w", orderID, s.mapErr(err))
		}
		switch {
		case delivered != 0 || claimedBy != 0 && claimedBy != job:
			return nil // told already, or another job tells it
		case claimedBy == job: // a retry: what this job claimed and did not deliver
			var err error
			step.Send, err = s.claimedNotices(ctx, tx, seller, job)
			return err
		case last != 0 && now.Before(fromMS(last).Add(window)):
			step.WaitUntil = fromMS(last).Add(window)
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE seller_order_notices SET job = $1 WHERE seller = $2 AND job = 0`, job, seller); err != nil {
			return fmt.Errorf("claim seller notices: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE seller_notice_windows SET last_sent = $1 WHERE seller = $2`, ms(now), seller); err != nil {
			return fmt.Errorf("seller notice window: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM seller_order_notices WHERE seller = $1 AND delivered_at > 0 AND delivered_at < $2`,
			seller, ms(now.Add(-noticeKeep))); err != nil {
			return fmt.Errorf("prune seller notices: %w", err)
		}
		var err error
		step.Send, err = s.claimedNotices(ctx, tx, seller, job)
		return err
	})
	return step, err
}

// claimedNotices lists the undelivered orders a job claimed, oldest first.
func (s *Store) claimedNotices(ctx context.Context, tx *sql.Tx, seller string, job int64) ([]int64, error) {
	return queryList(ctx, tx, "claimed seller notices", func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, `SELECT order_id FROM seller_order_notices WHERE seller = $1 AND job = $2 AND delivered_at = 0
		ORDER BY queued_at, order_id`, seller, job)
}

// NoticeSent implements commerce.SellerNoticeStore.
func (s *Store) NoticeSent(ctx context.Context, seller string, job int64, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE seller_order_notices SET delivered_at = $1
		WHERE seller = $2 AND job = $3 AND delivered_at = 0`, ms(at), seller, job); err != nil {
		return fmt.Errorf("seller notices sent: %w", s.mapErr(err))
	}
	return nil
}
