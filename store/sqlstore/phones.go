package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"shopbot/commerce"
)

// phonesSetting records the region stored phone numbers were last
// normalized in.
const phonesSetting = "phones_e164_region"

// NormalizePhones brings the phone numbers stored before they were kept
// in E.164 (orders, drop orders) to the form norm gives, once per region:
// in one transaction it records region, rewrites every number norm
// changes and rebuilds the per-phone drop counts from the drop orders, so
// "13711110001" and "+8613711110001" become one number with one count.
// Numbers norm refuses stay as they are. It returns how many distinct
// numbers changed; with the region recorded already it does nothing (of
// replicas starting together, one does the work).
func (s *Store) NormalizePhones(ctx context.Context, region string, norm func(string) (string, error)) (int, error) {
	changed := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		changed = 0
		res, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value <> excluded.value`, phonesSetting, region)
		if err != nil {
			return fmt.Errorf("normalize phones: %w", s.mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // done before in this region
		}
		phones, err := queryList(ctx, tx, "stored phones", func(sc rowScanner) (string, error) {
			var p string
			return p, sc.Scan(&p)
		}, `SELECT phone FROM orders UNION SELECT phone FROM drop_orders`)
		if err != nil {
			return err
		}
		for _, old := range phones {
			p, err := norm(old)
			if err != nil || p == old {
				continue
			}
			for _, table := range []string{"orders", "drop_orders"} {
				if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET phone = $1 WHERE phone = $2`, p, old); err != nil {
					return fmt.Errorf("normalize phones in %s: %w", table, s.mapErr(err))
				}
			}
			changed++
		}
		if changed == 0 {
			return nil
		}
		// A drop's count per phone is its drop orders not cancelled (a
		// cancelled one gave its units back); two spellings of a number
		// become one row.
		if _, err := tx.ExecContext(ctx, `DELETE FROM drop_phones`); err != nil {
			return fmt.Errorf("normalize phones: drop counts: %w", s.mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO drop_phones (drop_id, phone, taken)
			SELECT d.drop_id, d.phone, SUM(d.qty) FROM drop_orders d JOIN orders o ON o.id = d.order_id
			WHERE o.status <> $1 GROUP BY d.drop_id, d.phone`, string(commerce.StatusCancelled)); err != nil {
			return fmt.Errorf("normalize phones: drop counts: %w", s.mapErr(err))
		}
		return nil
	})
	return changed, err
}
