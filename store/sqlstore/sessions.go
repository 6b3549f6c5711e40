package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

// LoadSession implements chatstate.SessionStore for the embedded default.
func (s *Store) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	var data []byte
	var version int64
	err := s.db.QueryRowContext(ctx, `SELECT data, version FROM sessions WHERE key = $1 AND expires_at > $2`,
		key, ms(s.opts.Now())).Scan(&data, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil // missing or expired
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load session: %w", err)
	}
	return data, version, nil
}

// SaveSession implements chatstate.SessionStore: one conditional statement, so of
// two racing saves from the same version exactly one wins.
func (s *Store) SaveSession(ctx context.Context, key string, data []byte, version int64, ttl time.Duration) (int64, error) {
	exp := ms(s.opts.Now().Add(ttl))
	var res sql.Result
	var err error
	if version == 0 {
		// A new session may replace an expired one, never a live one.
		res, err = s.db.ExecContext(ctx, `INSERT INTO sessions (key, version, data, expires_at) VALUES ($1, 1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET version = 1, data = excluded.data, expires_at = excluded.expires_at
			WHERE sessions.expires_at <= $4`, key, data, exp, ms(s.opts.Now()))
	} else {
		res, err = s.db.ExecContext(ctx, `UPDATE sessions SET data = $1, version = version + 1, expires_at = $2
			WHERE key = $3 AND version = $4 AND expires_at > $5`, data, exp, key, version, ms(s.opts.Now()))
	}
	if err != nil {
		return 0, fmt.Errorf("save session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("save session: %w", err)
	}
	if n == 0 {
		return 0, fmt.Errorf("save session v%d: %w", version, commerce.ErrConflict)
	}
	return version + 1, nil
}

// Claim implements chatstate.Deduper: the insert succeeds, or revives an expired
// claim, in one statement.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	now := s.opts.Now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO dedupe (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE dedupe.expires_at <= $3`,
		key, ms(now.Add(ttl)), ms(now))
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	return n == 1, nil
}

// Release implements chatstate.Deduper.
func (s *Store) Release(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM dedupe WHERE key = $1`, key); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// Sweep deletes expired sessions and dedupe keys of the embedded mode and
// notices no web user fetched; run it periodically.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	now := ms(s.opts.Now())
	var total int64
	for _, q := range []string{`DELETE FROM dedupe WHERE expires_at <= $1`, `DELETE FROM sessions WHERE expires_at <= $1`} {
		res, err := s.db.ExecContext(ctx, q, now)
		if err != nil {
			return total, fmt.Errorf("sweep: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	n, err := s.PruneInbox(ctx)
	return total + n, err
}
