package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// InitSetting stores value under key unless a value is already there, and
// returns the stored value: of replicas starting together, the first wins.
func (s *Store) InitSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	var v string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v); err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores value under key, replacing the value there (a key the
// deployment made for itself, rotated).
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// SwapSetting replaces the value of key with new if it is still old, and
// reports whether it did: of replicas (or commands) changing a setting at
// once, one wins and the others see false and read it again.
func (s *Store) SwapSetting(ctx context.Context, key, old, new string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE settings SET value = $1 WHERE key = $2 AND value = $3`, new, key, old)
	if err != nil {
		return false, fmt.Errorf("setting %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("setting %s: %w", key, err)
	}
	return n == 1, nil
}

// Push queues a payload for a web-chat user.
func (s *Store) Push(ctx context.Context, userKey string, payload []byte) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO inbox (user_key, payload, created_at) VALUES ($1, $2, $3)`,
		userKey, string(payload), ms(s.opts.Now())); err != nil {
		return fmt.Errorf("inbox push: %w", err)
	}
	return nil
}

// Pull returns and removes up to limit queued payloads of a user, oldest first.
func (s *Store) Pull(ctx context.Context, userKey string, limit int) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `DELETE FROM inbox WHERE id IN
		(SELECT id FROM inbox WHERE user_key = $1 ORDER BY id LIMIT $2) RETURNING id, payload`, userKey, limit)
	if err != nil {
		return nil, fmt.Errorf("inbox pull: %w", err)
	}
	defer rows.Close()
	type item struct {
		id      int64
		payload string
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.payload); err != nil {
			return nil, fmt.Errorf("inbox pull: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING order is unspecified: put them back in queue order.
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i] = []byte(it.payload)
	}
	return out, nil
}

// InboxTTL is how long a notice waits for a web user who never comes back.
const InboxTTL = 30 * 24 * time.Hour

// PruneInbox deletes notices older than InboxTTL.
func (s *Store) PruneInbox(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM inbox WHERE created_at <= $1`, ms(s.opts.Now().Add(-InboxTTL)))
	if err != nil {
		return 0, fmt.Errorf("prune inbox: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
