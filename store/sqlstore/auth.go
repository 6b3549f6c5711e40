package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
	"shopbot/staff/auth"
)

// The sign-ins of the shop's web pages: staff/auth's Store.
var _ auth.Store = (*Store)(nil)

// SaveLoginLink implements auth.Store.
func (s *Store) SaveLoginLink(ctx context.Context, l auth.LinkRecord) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_links (site, token_hash, identity, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		l.Site, l.TokenHash, l.Identity, ms(l.Created), ms(l.Expires))
	if err != nil {
		return s.mapErr(fmt.Errorf("save login link: %w", err))
	}
	return nil
}

// LoginLink implements auth.Store.
func (s *Store) LoginLink(ctx context.Context, site, tokenHash string) (auth.LinkRecord, error) {
	l := auth.LinkRecord{Site: site, TokenHash: tokenHash}
	var created, expires, used int64
	err := s.db.QueryRowContext(ctx, `SELECT identity, created_at, expires_at, used_at FROM auth_links WHERE site = $1 AND token_hash = $2`,
		site, tokenHash).Scan(&l.Identity, &created, &expires, &used)
	if err != nil {
		return auth.LinkRecord{}, s.mapErr(fmt.Errorf("login link: %w", err))
	}
	l.Created, l.Expires, l.Used = fromMS(created), fromMS(expires), fromMS(used)
	return l, nil
}

// StartSession implements auth.Store.
func (s *Store) StartSession(ctx context.Context, linkHash string, sess auth.SessionRecord) (auth.SessionRecord, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE auth_links SET used_at = $3
			WHERE site = $1 AND token_hash = $2 AND used_at = 0 AND expires_at > $3 RETURNING identity`,
			sess.Site, linkHash, ms(sess.Created)).Scan(&sess.Identity)
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			err = tx.QueryRowContext(ctx, `SELECT 1 FROM auth_links WHERE site = $1 AND token_hash = $2`, sess.Site, linkHash).Scan(&one)
			if err == nil {
				return fmt.Errorf("login link used or expired: %w", commerce.ErrConflict)
			}
		}
		if err != nil {
			return s.mapErr(fmt.Errorf("use login link: %w", err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_sessions (site, token_hash, identity, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			sess.Site, sess.TokenHash, sess.Identity, ms(sess.Created), ms(sess.Expires)); err != nil {
			return s.mapErr(fmt.Errorf("start session: %w", err))
		}
		return nil
	})
	if err != nil {
		return auth.SessionRecord{}, err
	}
	return sess, nil
}

// Session implements auth.Store.
func (s *Store) Session(ctx context.Context, site, tokenHash string, at time.Time) (auth.SessionRecord, error) {
	r := auth.SessionRecord{Site: site, TokenHash: tokenHash}
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT identity, created_at, expires_at FROM auth_sessions
		WHERE site = $1 AND token_hash = $2 AND expires_at > $3`, site, tokenHash, ms(at)).Scan(&r.Identity, &created, &expires)
	if err != nil {
		return auth.SessionRecord{}, s.mapErr(fmt.Errorf("session: %w", err))
	}
	r.Created, r.Expires = fromMS(created), fromMS(expires)
	return r, nil
}

// EndSession implements auth.Store.
func (s *Store) EndSession(ctx context.Context, site, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE site = $1 AND token_hash = $2`, site, tokenHash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions implements auth.Store.
func (s *Store) EndSessions(ctx context.Context, site, identity string) (sessions, links int64, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM auth_sessions WHERE site = $1 AND identity = $2`, site, identity)
		if err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if sessions, err = res.RowsAffected(); err != nil {
			return err
		}
		if res, err = tx.ExecContext(ctx, `DELETE FROM auth_links WHERE site = $1 AND identity = $2 AND used_at = 0`, site, identity); err != nil {
			return fmt.Errorf("void login links: %w", err)
		}
		links, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return sessions, links, nil
}

// PruneAuth implements auth.Store.
func (s *Store) PruneAuth(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"auth_sessions", "auth_links"} {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < $1`, ms(before))
			if err != nil {
				return fmt.Errorf("prune %s: %w", table, err)
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += m
		}
		return nil
	})
	return n, err
}
