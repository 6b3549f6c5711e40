package sqlstore

import (
	"context"
	"fmt"

	"shopbot/commerce"
)

// Categories implements commerce.CatalogStore.
func (s *Store) Categories(ctx context.Context) ([]commerce.Category, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, title, sort FROM categories ORDER BY sort, id`)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	defer rows.Close()
	var out []commerce.Category
	for rows.Next() {
		var c commerce.Category
		if err := rows.Scan(&c.ID, &c.Slug, jsonText{&c.Title}, &c.Sort); err != nil {
			return nil, fmt.Errorf("categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpsertCategory implements commerce.CatalogStore.
func (s *Store) UpsertCategory(ctx context.Context, c commerce.Category) (commerce.Category, error) {
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO categories (slug, title, sort) VALUES ($1, $2, $3)
		ON CONFLICT (slug) DO UPDATE SET title = excluded.title, sort = excluded.sort
		RETURNING id`, c.Slug, textJSON(c.Title), c.Sort).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("upsert category %q: %w", c.Slug, s.mapErr(err))
	}
	return c, nil
}

const productCols = `id, sku, category_id, title, description, price_amount, currency, origin, stock, image, active, updated_at`

func scanProduct(sc interface{ Scan(...any) error }) (commerce.Product, error) {
	var p commerce.Product
	var updated int64
	err := sc.Scan(&p.ID, &p.SKU, &p.CategoryID, jsonText{&p.Title}, jsonText{&p.Description},
		&p.Price.Amount, &p.Price.Currency, &p.Origin, &p.Stock, &p.Image, &p.Active, &updated)
	p.UpdatedAt = fromMS(updated)
	return p, err
}

// Products implements commerce.CatalogStore.
func (s *Store) Products(ctx context.Context, f commerce.ProductFilter) ([]commerce.Product, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+productCols+` FROM products
		WHERE ($1 = 0 OR category_id = $1) AND ($2 OR active)
		ORDER BY id LIMIT $3 OFFSET $4`, f.CategoryID, f.WithHidden, f.Limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	defer rows.Close()
	var out []commerce.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, fmt.Errorf("products: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Product implements commerce.CatalogStore.
func (s *Store) Product(ctx context.Context, id int64) (commerce.Product, error) {
	p, err := scanProduct(s.db.QueryRowContext(ctx, `SELECT `+productCols+` FROM products WHERE id = $1`, id))
	if err != nil {
		return p, fmt.Errorf("product %d: %w", id, s.mapErr(err))
	}
	return p, nil
}

// CountProducts implements commerce.CatalogStore.
func (s *Store) CountProducts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM products`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count products: %w", err)
	}
	return n, nil
}

// UpsertProduct implements commerce.CatalogStore.
func (s *Store) UpsertProduct(ctx context.Context, p commerce.Product) (commerce.Product, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	var exists bool
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM categories WHERE id = $1`, p.CategoryID).Scan(&exists); err != nil {
		return p, fmt.Errorf("upsert product %s: %w", p.SKU, err)
	}
	if !exists {
		return p, fmt.Errorf("upsert product %s: category %d: %w", p.SKU, p.CategoryID, commerce.ErrNotFound)
	}
	now := s.opts.Now()
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO products (sku, category_id, title, description, price_amount, currency, origin, stock, image, active, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (sku) DO UPDATE SET category_id = excluded.category_id, title = excluded.title,
			description = excluded.description, price_amount = excluded.price_amount,
			currency = excluded.currency, origin = excluded.origin, stock = excluded.stock,
			image = excluded.image, active = excluded.active, updated_at = excluded.updated_at
		RETURNING id`,
		p.SKU, p.CategoryID, textJSON(p.Title), textJSON(p.Description), p.Price.Amount, p.Price.Currency,
		string(p.Origin), p.Stock, p.Image, p.Active, ms(now)).Scan(&p.ID)
	if err != nil {
		return p, fmt.Errorf("upsert product %s: %w", p.SKU, s.mapErr(err))
	}
	p.UpdatedAt = fromMS(ms(now))
	return p, nil
}

const pointCols = `id, code, city, name, address, hours, tz, lat, lon, active`

func scanPoint(sc interface{ Scan(...any) error }) (commerce.PickupPoint, error) {
	var p commerce.PickupPoint
	err := sc.Scan(&p.ID, &p.Code, jsonText{&p.City}, jsonText{&p.Name}, jsonText{&p.Address},
		&p.Hours, &p.TimeZone, &p.Lat, &p.Lon, &p.Active)
	return p, err
}

// PickupPoints implements commerce.PickupStore.
func (s *Store) PickupPoints(ctx context.Context) ([]commerce.PickupPoint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+pointCols+` FROM pickup_points WHERE active ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pickup points: %w", err)
	}
	defer rows.Close()
	var out []commerce.PickupPoint
	for rows.Next() {
		p, err := scanPoint(rows)
		if err != nil {
			return nil, fmt.Errorf("pickup points: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PickupPoint implements commerce.PickupStore.
func (s *Store) PickupPoint(ctx context.Context, id int64) (commerce.PickupPoint, error) {
	p, err := scanPoint(s.db.QueryRowContext(ctx, `SELECT `+pointCols+` FROM pickup_points WHERE id = $1`, id))
	if err != nil {
		return p, fmt.Errorf("pickup point %d: %w", id, s.mapErr(err))
	}
	return p, nil
}

// UpsertPickupPoint implements commerce.PickupStore.
func (s *Store) UpsertPickupPoint(ctx context.Context, p commerce.PickupPoint) (commerce.PickupPoint, error) {
	if p.Code == "" || p.TimeZone == "" {
		return p, fmt.Errorf("pickup point %q: code and time zone required: %w", p.Code, commerce.ErrInvalid)
	}
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO pickup_points (code, city, name, address, hours, tz, lat, lon, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (code) DO UPDATE SET city = excluded.city, name = excluded.name,
			address = excluded.address, hours = excluded.hours, tz = excluded.tz,
			lat = excluded.lat, lon = excluded.lon, active = excluded.active
		RETURNING id`,
		p.Code, textJSON(p.City), textJSON(p.Name), textJSON(p.Address), p.Hours, p.TimeZone, p.Lat, p.Lon, p.Active).Scan(&p.ID)
	if err != nil {
		return p, fmt.Errorf("upsert pickup point %s: %w", p.Code, s.mapErr(err))
	}
	return p, nil
}
