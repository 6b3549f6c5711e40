package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"shopbot/commerce"
)

// Categories implements commerce.CatalogStore.
func (s *Store) Categories(ctx context.Context) ([]commerce.Category, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, slug, title, sort, hidden FROM categories ORDER BY sort, id`)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	defer rows.Close()
	var out []commerce.Category
	for rows.Next() {
		var c commerce.Category
		if err := rows.Scan(&c.ID, &c.Slug, jsonText{&c.Title}, &c.Sort, &c.Hidden); err != nil {
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
	now := s.opts.Now()
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
			ON CONFLICT (sku) DO UPDATE SET category_id = excluded.category_id, title = excluded.title,
				description = excluded.description, price_amount = excluded.price_amount,
				currency = excluded.currency, origin = excluded.origin, stock = excluded.stock,
				image = excluded.image, active = excluded.active, updated_at = excluded.updated_at
			RETURNING id`,
			p.SKU, p.CategoryID, textJSON(p.Title), textJSON(p.Description), p.Price.Amount, p.Price.Currency,
			string(p.Origin), p.Stock, p.Image, p.Active, ms(now)).Scan(&p.ID)
		if err != nil {
			return s.mapErr(err)
		}
		// An import that brings a sold-out product back tells who waits for it.
		return s.restockedTx(ctx, tx, p.ID)
	})
	if err != nil {
		return p, fmt.Errorf("upsert product %s: %w", p.SKU, err)
	}
	p.UpdatedAt = fromMS(ms(now))
	return p, nil
}

const pointCols = `id, code, city, name, address, hours, tz, lat, lon, active, opening, holidays, slot_minutes, slot_capacity, bonded_zone`

func scanPoint(sc interface{ Scan(...any) error }) (commerce.PickupPoint, error) {
	var p commerce.PickupPoint
	var opening string
	err := sc.Scan(&p.ID, &p.Code, jsonText{&p.City}, jsonText{&p.Name}, jsonText{&p.Address},
		&p.Hours, &p.TimeZone, &p.Lat, &p.Lon, &p.Active, &opening, jsonCol{&p.Holidays}, &p.SlotMinutes, &p.SlotCapacity, &p.BondedZone)
	if err != nil {
		return p, err
	}
	if p.Opening, err = commerce.ParseWeeklyHours(opening); err != nil {
		return p, fmt.Errorf("pickup point %s opening hours: %w", p.Code, err)
	}
	return p, nil
}

// pointsWhere reads points with their staff; the result is in ID order.
func (s *Store) pointsWhere(ctx context.Context, q querier, where string, args ...any) ([]commerce.PickupPoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+pointCols+` FROM pickup_points WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("pickup points: %w", err)
	}
	var out []commerce.PickupPoint
	for rows.Next() {
		p, err := scanPoint(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("pickup points: %w", err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pickup points: %w", err)
	}
	if err := s.loadStaff(ctx, q, out); err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = out[i].WithDefaults()
	}
	return out, nil
}

// PickupPoints implements commerce.PickupStore.
func (s *Store) PickupPoints(ctx context.Context) ([]commerce.PickupPoint, error) {
	return s.pointsWhere(ctx, s.db, `active`)
}

// AllPickupPoints implements commerce.PickupStore.
func (s *Store) AllPickupPoints(ctx context.Context) ([]commerce.PickupPoint, error) {
	return s.pointsWhere(ctx, s.db, `TRUE`)
}

// PickupPoint implements commerce.PickupStore.
func (s *Store) PickupPoint(ctx context.Context, id int64) (commerce.PickupPoint, error) {
	pts, err := s.pointsWhere(ctx, s.db, `id = $1`, id)
	if err != nil {
		return commerce.PickupPoint{}, err
	}
	if len(pts) == 0 {
		return commerce.PickupPoint{}, fmt.Errorf("pickup point %d: %w", id, commerce.ErrNotFound)
	}
	return pts[0], nil
}

// UpsertPickupPoint implements commerce.PickupStore: the point (defaults
// filled in and validated) and its staff list are written in one
// transaction; the staff list replaces the stored one.
func (s *Store) UpsertPickupPoint(ctx context.Context, p commerce.PickupPoint) (commerce.PickupPoint, error) {
	if p.Code == "" || p.TimeZone == "" {
		return p, fmt.Errorf("pickup point %q: code and time zone required: %w", p.Code, commerce.ErrInvalid)
	}
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return p, err
	}
	holidays, err := json.Marshal(p.Holidays)
	if err != nil {
		return p, fmt.Errorf("pickup point %s holidays: %w", p.Code, err)
	}
	if p.Holidays == nil {
		holidays = []byte("[]")
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			INSERT INTO pickup_points (code, city, name, address, hours, tz, lat, lon, active, opening, holidays, slot_minutes, slot_capacity, bonded_zone)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (code) DO UPDATE SET city = excluded.city, name = excluded.name,
				address = excluded.address, hours = excluded.hours, tz = excluded.tz,
				lat = excluded.lat, lon = excluded.lon, active = excluded.active, opening = excluded.opening,
				holidays = excluded.holidays, slot_minutes = excluded.slot_minutes, slot_capacity = excluded.slot_capacity,
				bonded_zone = excluded.bonded_zone
			RETURNING id`,
			p.Code, textJSON(p.City), textJSON(p.Name), textJSON(p.Address), p.Hours, p.TimeZone, p.Lat, p.Lon, p.Active,
			p.Opening.String(), string(holidays), p.SlotMinutes, p.SlotCapacity, p.BondedZone).Scan(&p.ID)
		if err != nil {
			return s.mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pickup_staff WHERE point_id = $1`, p.ID); err != nil {
			return err
		}
		for _, st := range p.Staff {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pickup_staff (point_id, staff) VALUES ($1, $2)`, p.ID, st); err != nil {
				return s.mapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("upsert pickup point %s: %w", p.Code, err)
	}
	return p, nil
}
