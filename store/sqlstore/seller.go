package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

var _ commerce.SellerStore = (*Store)(nil)

// CreateProduct implements commerce.SellerStore. The insert does nothing on
// a taken SKU, so two racing publishes of one listing make one product.
func (s *Store) CreateProduct(ctx context.Context, p commerce.Product) (commerce.Product, bool, error) {
	if err := p.Validate(); err != nil {
		return p, false, err
	}
	now := s.opts.Now()
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkCategory(ctx, tx, p.CategoryID); err != nil {
			return err
		}
		if err := checkShopCurrency(ctx, tx, p.Price); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `
			INSERT INTO products (sku, category_id, title, description, price_amount, currency, origin, stock, image, active, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (sku) DO NOTHING
			RETURNING id`,
			p.SKU, p.CategoryID, textJSON(p.Title), textJSON(p.Description), p.Price.Amount, p.Price.Currency,
			string(p.Origin), p.Stock, p.Image, p.Active, ms(now)).Scan(&p.ID)
		switch {
		case errors.Is(err, sql.ErrNoRows): // the SKU exists: this is a retry
			p, err = scanProduct(tx.QueryRowContext(ctx, `SELECT `+productCols+` FROM products WHERE sku = $1`, p.SKU))
			return s.mapErr(err)
		case err != nil:
			return s.mapErr(err)
		}
		created = true
		p.UpdatedAt = fromMS(ms(now))
		return nil
	})
	if err != nil {
		return commerce.Product{}, false, fmt.Errorf("create product %s: %w", p.SKU, err)
	}
	return p, created, nil
}

// ProductBySKU implements commerce.SellerStore.
func (s *Store) ProductBySKU(ctx context.Context, sku string) (commerce.Product, error) {
	p, err := scanProduct(s.db.QueryRowContext(ctx, `SELECT `+productCols+` FROM products WHERE sku = $1`, sku))
	if err != nil {
		return p, fmt.Errorf("product %q: %w", sku, s.mapErr(err))
	}
	return p, nil
}

// UpdateProduct implements commerce.SellerStore. A no-op UPDATE takes the
// row lock first (Postgres row lock, SQLite's write lock), so two edits of
// one product run one after the other instead of the later overwriting the
// earlier's fields with what it read before.
func (s *Store) UpdateProduct(ctx context.Context, id int64, edit func(*commerce.Product) error) (commerce.Product, error) {
	var out commerce.Product
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockRow(ctx, tx, `UPDATE products SET updated_at = updated_at WHERE id = $1`, id); err != nil {
			return err
		}
		cur, err := scanProduct(tx.QueryRowContext(ctx, `SELECT `+productCols+` FROM products WHERE id = $1`, id))
		if err != nil {
			return s.mapErr(err)
		}
		p := cur
		if err := edit(&p); err != nil {
			return err
		}
		p.ID, p.SKU, p.Stock = cur.ID, cur.SKU, cur.Stock
		if err := p.Validate(); err != nil {
			return err
		}
		if p.CategoryID != cur.CategoryID {
			if err := checkCategory(ctx, tx, p.CategoryID); err != nil {
				return err
			}
		}
		if p.Price.Currency != cur.Price.Currency {
			if err := checkShopCurrency(ctx, tx, p.Price); err != nil {
				return err
			}
		}
		now := ms(s.opts.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE products SET title = $1, description = $2, price_amount = $3, currency = $4,
				category_id = $5, origin = $6, image = $7, active = $8, updated_at = $9 WHERE id = $10`,
			textJSON(p.Title), textJSON(p.Description), p.Price.Amount, p.Price.Currency, p.CategoryID, string(p.Origin),
			p.Image, p.Active, now, id); err != nil {
			return s.mapErr(err)
		}
		p.UpdatedAt = fromMS(now)
		out = p
		if p.Active && !cur.Active { // shown again: waiting buyers are told if it has stock
			return s.restockedTx(ctx, tx, id)
		}
		return nil
	})
	if err != nil {
		return commerce.Product{}, fmt.Errorf("update product %d: %w", id, err)
	}
	return out, nil
}

// AdjustStock implements commerce.SellerStore with one conditional UPDATE,
// the same kind of statement that sales take stock with, so a sale and an
// adjustment never overwrite each other.
func (s *Store) AdjustStock(ctx context.Context, id int64, delta int) (commerce.Product, error) {
	var p commerce.Product
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = scanProduct(tx.QueryRowContext(ctx, `UPDATE products SET stock = stock + $1, updated_at = $2
			WHERE id = $3 AND stock + $1 >= 0 AND stock + $1 <= $4
			RETURNING `+productCols, delta, ms(s.opts.Now()), id, commerce.MaxStock))
		if err != nil || delta <= 0 {
			return err
		}
		return s.restockedTx(ctx, tx, id)
	})
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("adjust stock of product %d: %w", id, s.mapErr(err))
	}
	// No row: the product is missing, or the condition failed. Which bound
	// it failed follows from the sign of delta; the stock read here may have
	// moved since and is only reported.
	cur, err := s.Product(ctx, id)
	switch {
	case err != nil:
		return commerce.Product{}, fmt.Errorf("adjust stock: %w", err)
	case delta < 0:
		return cur, fmt.Errorf("take %d of product %d (%d left): %w", -delta, id, cur.Stock, commerce.ErrSoldOut)
	}
	return cur, fmt.Errorf("stock of product %d over %d: %w", id, commerce.MaxStock, commerce.ErrInvalid)
}

// SaveImage implements commerce.SellerStore.
func (s *Store) SaveImage(ctx context.Context, img commerce.StoredImage) error {
	if !commerce.ValidImageKey(img.Key) || len(img.Data) == 0 {
		return fmt.Errorf("save image %q: %w", img.Key, commerce.ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO images (key, content_type, data, width, height, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING`,
		img.Key, img.ContentType, img.Data, img.Width, img.Height, ms(img.CreatedAt))
	if err != nil {
		return fmt.Errorf("save image %s: %w", img.Key, s.mapErr(err))
	}
	return nil
}

// PruneImages implements commerce.SellerStore.
func (s *Store) PruneImages(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM images WHERE key IN (
		SELECT key FROM images i WHERE i.created_at < $1
			AND NOT EXISTS (SELECT 1 FROM products p WHERE p.image = i.key)
		LIMIT $2)`, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune images: %w", err)
	}
	return res.RowsAffected()
}

// Image implements commerce.SellerStore.
func (s *Store) Image(ctx context.Context, key string) (commerce.StoredImage, error) {
	img := commerce.StoredImage{Key: key}
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT content_type, data, width, height, created_at FROM images WHERE key = $1`, key).
		Scan(&img.ContentType, &img.Data, &img.Width, &img.Height, &created)
	if err != nil {
		return commerce.StoredImage{}, fmt.Errorf("image %s: %w", key, s.mapErr(err))
	}
	img.CreatedAt = fromMS(created)
	return img, nil
}
