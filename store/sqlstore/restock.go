package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"shopbot/commerce"
)

var _ commerce.RestockStore = (*Store)(nil)

// SubscribeRestock implements commerce.RestockStore. The statement that
// finds the product sold out also locks its row (Postgres; SQLite runs one
// transaction at a time), so a stock change of the product waits for this
// transaction and then sees the subscription, or this one waits for the
// change and then finds the product in stock.
func (s *Store) SubscribeRestock(ctx context.Context, sub commerce.RestockSubscriber, max int) (commerce.RestockResult, error) {
	var res commerce.RestockResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE products SET stock = stock WHERE id = $1 AND active AND stock <= 0`, sub.ProductID)
		if err != nil {
			return s.mapErr(err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			p, err := scanProduct(tx.QueryRowContext(ctx, `SELECT `+productCols+` FROM products WHERE id = $1`, sub.ProductID))
			switch {
			case err != nil:
				return s.mapErr(err)
			case !p.Active:
				return commerce.ErrUnavailable
			}
			res = commerce.RestockInStock
			return nil
		}
		buyer := sub.Buyer.Key()
		var mine, waiting int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN product_id = $2 THEN 1 ELSE 0 END), 0)
			FROM restock_subscriptions WHERE buyer = $1 AND notified_at IS NULL`, buyer, sub.ProductID).Scan(&waiting, &mine); err != nil {
			return s.mapErr(err)
		}
		switch {
		case mine > 0:
			res = commerce.RestockAlready
			return nil
		case waiting >= max:
			return commerce.ErrRestockLimit
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO restock_subscriptions (product_id, buyer, chat_id, lang, created_at)
			VALUES ($1, $2, $3, $4, $5)`, sub.ProductID, buyer, sub.ChatID, sub.Lang, ms(sub.CreatedAt)); err != nil {
			return s.mapErr(err)
		}
		res = commerce.RestockSubscribed
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("restock subscription to product %d: %w", sub.ProductID, err)
	}
	return res, nil
}

// CancelRestock implements commerce.RestockStore.
func (s *Store) CancelRestock(ctx context.Context, productID int64, b commerce.Buyer) (bool, error) {
	r, err := s.db.ExecContext(ctx, `DELETE FROM restock_subscriptions WHERE product_id = $1 AND buyer = $2 AND notified_at IS NULL`,
		productID, b.Key())
	if err != nil {
		return false, fmt.Errorf("cancel restock subscription to product %d: %w", productID, s.mapErr(err))
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// RestockWaiting implements commerce.RestockStore.
func (s *Store) RestockWaiting(ctx context.Context, productID int64, b commerce.Buyer) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM restock_subscriptions WHERE product_id = $1 AND buyer = $2 AND notified_at IS NULL`,
		productID, b.Key()).Scan(&n); err != nil {
		return false, fmt.Errorf("restock subscription to product %d: %w", productID, s.mapErr(err))
	}
	return n > 0, nil
}

const restockCols = `id, product_id, buyer, chat_id, lang, created_at`

func scanRestock(sc rowScanner) (commerce.RestockSubscriber, error) {
	var r commerce.RestockSubscriber
	var buyer string
	var created int64
	if err := sc.Scan(&r.ID, &r.ProductID, &buyer, &r.ChatID, &r.Lang, &created); err != nil {
		return r, err
	}
	r.Buyer = commerce.Identity(buyer).Buyer()
	r.CreatedAt = fromMS(created)
	return r, nil
}

// RestockSubscriptions implements commerce.RestockStore.
func (s *Store) RestockSubscriptions(ctx context.Context, b commerce.Buyer) ([]commerce.RestockSubscriber, error) {
	return queryList(ctx, s.db, "restock subscriptions", scanRestock,
		`SELECT `+restockCols+` FROM restock_subscriptions WHERE buyer = $1 AND notified_at IS NULL ORDER BY id`, b.Key())
}

// restockedTx is called inside every transaction that raised the stock of
// products: for each one visible with stock above zero, it marks the
// waiting subscriptions notified and emits ProductRestocked with them. The
// conditional update claims each subscription once: a concurrent restock
// of the same product waits for the row and then finds it notified.
func (s *Store) restockedTx(ctx context.Context, tx *sql.Tx, productIDs ...int64) error {
	now := ms(s.opts.Now())
	for _, id := range productIDs {
		subs, err := queryList(ctx, tx, "restocked", scanRestock, `UPDATE restock_subscriptions SET notified_at = $1
			WHERE product_id = $2 AND notified_at IS NULL
				AND EXISTS (SELECT 1 FROM products WHERE id = $2 AND active AND stock > 0)
			RETURNING `+restockCols, now, id)
		if err != nil {
			return s.mapErr(err)
		}
		if len(subs) == 0 {
			continue
		}
		if err := s.emit(ctx, tx, commerce.ProductRestocked{ProductID: id, Subscribers: subs}); err != nil {
			return err
		}
	}
	return nil
}

// orderProductIDs is the products of an order's lines.
func orderProductIDs(ctx context.Context, tx *sql.Tx, orderID int64) ([]int64, error) {
	return queryList(ctx, tx, "order products", func(sc rowScanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, `SELECT DISTINCT product_id FROM order_lines WHERE order_id = $1 ORDER BY product_id`, orderID)
}
