package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"shopbot/commerce"
)

var _ commerce.ShopSetupStore = (*Store)(nil)

const profileCols = `name, welcome, languages, default_lang, tz, region, currency, contact_hours, updated_at`

func scanProfile(sc interface{ Scan(...any) error }) (commerce.ShopProfile, error) {
	var p commerce.ShopProfile
	var updated int64
	err := sc.Scan(&p.Name, jsonText{&p.Welcome}, jsonCol{&p.Languages}, &p.DefaultLang, &p.TimeZone, &p.Region,
		&p.Currency, &p.ContactHours, &updated)
	p.UpdatedAt = fromMS(updated)
	return p, err
}

// ShopProfile implements commerce.ShopSetupStore.
func (s *Store) ShopProfile(ctx context.Context) (commerce.ShopProfile, error) {
	p, err := scanProfile(s.db.QueryRowContext(ctx, `SELECT `+profileCols+` FROM shop_profile WHERE id = 1`))
	if err != nil {
		return p, fmt.Errorf("shop profile: %w", s.mapErr(err))
	}
	return p, nil
}

// UpdateShopProfile implements commerce.ShopSetupStore: the row is created
// (empty) when missing and locked, so concurrent edits apply one after the
// other; a currency change counts the products priced otherwise in the
// same transaction.
func (s *Store) UpdateShopProfile(ctx context.Context, edit func(*commerce.ShopProfile) error) (commerce.ShopProfile, error) {
	var out commerce.ShopProfile
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := ms(s.opts.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO shop_profile (id, updated_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shop_profile SET updated_at = updated_at WHERE id = 1`); err != nil {
			return err
		}
		cur, err := scanProfile(tx.QueryRowContext(ctx, `SELECT `+profileCols+` FROM shop_profile WHERE id = 1`))
		if err != nil {
			return s.mapErr(err)
		}
		p := cur
		p.Welcome, p.Languages = cloneText(cur.Welcome), slices.Clone(cur.Languages)
		if err := edit(&p); err != nil {
			return err
		}
		if p.Currency != cur.Currency && p.Currency != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE currency <> $1`, p.Currency).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%d products priced in another currency than %s: %w", n, p.Currency, commerce.ErrCurrencyLocked)
			}
		}
		langs, err := json.Marshal(p.Languages)
		if err != nil {
			return err
		}
		if p.Languages == nil {
			langs = []byte("[]")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shop_profile SET name = $1, welcome = $2, languages = $3, default_lang = $4,
				tz = $5, region = $6, currency = $7, contact_hours = $8, updated_at = $9 WHERE id = 1`,
			p.Name, textJSON(p.Welcome), string(langs), p.DefaultLang, p.TimeZone, p.Region, p.Currency, p.ContactHours, now); err != nil {
			return s.mapErr(err)
		}
		p.UpdatedAt = fromMS(now)
		out = p
		return nil
	})
	if err != nil {
		return commerce.ShopProfile{}, fmt.Errorf("update shop profile: %w", err)
	}
	return out, nil
}

func cloneText(t commerce.Text) commerce.Text {
	out := commerce.Text{}
	for k, v := range t {
		out[k] = v
	}
	return out
}

// checkShopCurrency refuses a price in another currency than the shop
// profile's, once one is set (ErrCurrencyMismatch).
// checkCategory refuses a product in a category that does not exist
// (commerce.ErrNotFound).
func checkCategory(ctx context.Context, q querier, id int64) error {
	var exists bool
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM categories WHERE id = $1`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("category %d: %w", id, commerce.ErrNotFound)
	}
	return nil
}

func checkShopCurrency(ctx context.Context, q querier, m commerce.Money) error {
	var cur string
	err := q.QueryRowContext(ctx, `SELECT currency FROM shop_profile WHERE id = 1`).Scan(&cur)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case cur != "" && cur != m.Currency:
		return fmt.Errorf("price in %s, the shop sells in %s: %w", m.Currency, cur, commerce.ErrCurrencyMismatch)
	}
	return nil
}

// CreateCategory implements commerce.ShopSetupStore.
func (s *Store) CreateCategory(ctx context.Context, c commerce.Category) (commerce.Category, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(sort), 0) + 1 FROM categories`).Scan(&c.Sort); err != nil {
			return err
		}
		return s.mapErr(tx.QueryRowContext(ctx, `INSERT INTO categories (slug, title, sort, hidden) VALUES ($1, $2, $3, $4) RETURNING id`,
			c.Slug, textJSON(c.Title), c.Sort, c.Hidden).Scan(&c.ID))
	})
	if err != nil {
		return c, fmt.Errorf("create category %q: %w", c.Slug, err)
	}
	return c, nil
}

// UpdateCategory implements commerce.ShopSetupStore.
func (s *Store) UpdateCategory(ctx context.Context, id int64, edit func(*commerce.Category) error) (commerce.Category, error) {
	var out commerce.Category
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockRow(ctx, tx, `UPDATE categories SET sort = sort WHERE id = $1`, id); err != nil {
			return err
		}
		var c commerce.Category
		if err := tx.QueryRowContext(ctx, `SELECT id, slug, title, sort, hidden FROM categories WHERE id = $1`, id).
			Scan(&c.ID, &c.Slug, jsonText{&c.Title}, &c.Sort, &c.Hidden); err != nil {
			return s.mapErr(err)
		}
		next := c
		next.Title = cloneText(c.Title)
		if err := edit(&next); err != nil {
			return err
		}
		next.ID, next.Slug, next.Sort = c.ID, c.Slug, c.Sort
		if _, err := tx.ExecContext(ctx, `UPDATE categories SET title = $1, hidden = $2 WHERE id = $3`,
			textJSON(next.Title), next.Hidden, id); err != nil {
			return s.mapErr(err)
		}
		out = next
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("update category %d: %w", id, err)
	}
	return out, nil
}

// SetCategoryOrder implements commerce.ShopSetupStore.
func (s *Store) SetCategoryOrder(ctx context.Context, ids []int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE categories SET sort = sort`); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM categories ORDER BY id`)
		if err != nil {
			return err
		}
		var have []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			have = append(have, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		want := slices.Clone(ids)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			return fmt.Errorf("categories changed meanwhile: %w", commerce.ErrConflict)
		}
		for i, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE categories SET sort = $1 WHERE id = $2`, i+1, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("order categories: %w", err)
	}
	return nil
}
