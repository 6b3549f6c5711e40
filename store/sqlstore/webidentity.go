package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"shopbot/chatstate"
)

var (
	_ chatstate.WebIdentities = (*Store)(nil)
	_ chatstate.History       = (*Store)(nil)
)

// The web chat's identities, their recent conversation and their retention.
// A web identity is a random id the server signs into a cookie (bot/web);
// the database learns of it with its first chat message, never with a mere
// visit of the page.

// webSeenEvery is how far behind last_seen may fall before a message raises
// it: one write an hour per active identity, not one per message.
const webSeenEvery = time.Hour

// SeeWebIdentity records that the web identity id was active at at: it adds
// the identity when it is new and raises last_seen when it is an hour or
// more behind.
func (s *Store) SeeWebIdentity(ctx context.Context, id string, at time.Time) error {
	if id == "" {
		return errors.New("see web identity: empty id")
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO web_identities (id, first_seen, last_seen) VALUES ($1, $2, $2)
		ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
		WHERE web_identities.last_seen <= excluded.last_seen - $3`,
		id, ms(at), webSeenEvery.Milliseconds()); err != nil {
		return fmt.Errorf("see web identity: %w", err)
	}
	return nil
}

// maxHistoryBatch bounds the appends one transaction carries.
const maxHistoryBatch = 64

// historyAppend is one AppendHistory call waiting for its batch.
type historyAppend struct {
	key     string
	entries [][]byte
	keep    int
}

// AppendHistory adds entries (oldest first) to the history under key and
// keeps only its newest keep entries. Appends made at the same time (every
// web message makes one) share one transaction: on SQLite's one
// connection a transaction per message would cost the chat a third of its
// throughput.
func (s *Store) AppendHistory(ctx context.Context, key string, entries [][]byte, keep int) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := s.history.Do(ctx, historyAppend{key: key, entries: entries, keep: max(keep, 1)})
	return err
}

// appendHistories carries out a batch of appends in one transaction, in
// the order they came; each history is trimmed once, to the bound of its
// last append.
func (s *Store) appendHistories(ctx context.Context, reqs []historyAppend) ([]struct{}, error) {
	keep := map[string]int{}
	for _, r := range reqs {
		keep[r.key] = r.keep
	}
	keys := make([]string, 0, len(keep))
	for k := range keep {
		keys = append(keys, k)
	}
	slices.Sort(keys) // locks in one order: batches on two replicas never wait for each other in a circle
	now := ms(s.opts.Now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Appends to one history take turns, so each trim sees the rows
		// of the appends before it and the bound is exact.
		if s.d.KeyLock != "" {
			for _, k := range keys {
				if _, err := tx.ExecContext(ctx, s.d.KeyLock, "web_history:"+k); err != nil {
					return fmt.Errorf("append history: %w", err)
				}
			}
		}
		for _, r := range reqs {
			for _, e := range r.entries {
				if _, err := tx.ExecContext(ctx, `INSERT INTO web_history (user_key, entry, created_at) VALUES ($1, $2, $3)`,
					r.key, string(e), now); err != nil {
					return fmt.Errorf("append history: %w", err)
				}
			}
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM web_history WHERE user_key = $1 AND id <
				(SELECT MIN(id) FROM (SELECT id FROM web_history WHERE user_key = $1 ORDER BY id DESC LIMIT $2) AS newest)`,
				k, keep[k]); err != nil {
				return fmt.Errorf("trim history: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return make([]struct{}, len(reqs)), nil
}

// History returns the newest limit entries under key, oldest first.
func (s *Store) History(ctx context.Context, key string, limit int) ([][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT entry FROM web_history WHERE user_key = $1 ORDER BY id DESC LIMIT $2`, key, limit)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		out = append(out, []byte(e))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// PurgeIdleWebIdentities removes the web identities idle since
// r.IdleSince that are not worth keeping, with their session, history,
// inbox and audience row. An identity is worth keeping once it has placed an order (of any
// status) or waits for a drop (notify-me not yet sent, or on its
// waitlist); of those only the history goes (a conversation is kept 30
// idle days, like the session). An identity seen again while this runs is
// left alone. Each identity is one short transaction; call again while
// Looked == r.Limit.
func (s *Store) PurgeIdleWebIdentities(ctx context.Context, r chatstate.WebRetention) (chatstate.WebRetentionResult, error) {
	var out chatstate.WebRetentionResult
	if r.SessionKey == nil || r.UserKey == nil {
		return out, errors.New("purge web identities: SessionKey and UserKey are required")
	}
	if r.Limit <= 0 {
		r.Limit = 200
	}
	cutoff, now := ms(r.IdleSince), ms(r.Now)
	ids, err := queryList(ctx, s.db, "idle web identities", func(sc rowScanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, `SELECT id FROM web_identities WHERE last_seen < $1 AND swept_at < last_seen ORDER BY last_seen LIMIT $2`, cutoff, r.Limit)
	if err != nil {
		return out, err
	}
	out.Looked = len(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		user := r.UserKey(id)
		var gone, keep bool
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT
				EXISTS (SELECT 1 FROM orders WHERE channel = 'web' AND user_id = $1)
				OR EXISTS (SELECT 1 FROM drop_subscribers WHERE buyer = $2 AND notified_at IS NULL)
				OR EXISTS (SELECT 1 FROM drop_waitlist WHERE buyer = $2 AND status = 'waiting')
				OR EXISTS (SELECT 1 FROM person_identities WHERE identity = $2)`, id, user).Scan(&keep); err != nil {
				return fmt.Errorf("purge web identity: %w", err)
			}
			if keep {
				res, err := tx.ExecContext(ctx, `UPDATE web_identities SET swept_at = $1 WHERE id = $2 AND last_seen < $3`, now, id, cutoff)
				if err != nil {
					return fmt.Errorf("purge web identity: %w", err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					keep = false // seen again meanwhile
					return nil
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM web_history WHERE user_key = $1`, user); err != nil {
					return fmt.Errorf("purge web identity: %w", err)
				}
				return nil
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM web_identities WHERE id = $1 AND last_seen < $2`, id, cutoff)
			if err != nil {
				return fmt.Errorf("purge web identity: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // seen again meanwhile
			}
			gone = true
			for _, q := range []struct {
				sql string
				arg string
			}{
				{`DELETE FROM sessions WHERE key = $1`, r.SessionKey(id)},
				{`DELETE FROM web_history WHERE user_key = $1`, user},
				{`DELETE FROM inbox WHERE user_key = $1`, user},
				{`DELETE FROM chat_users WHERE channel = 'web' AND user_id = $1`, id},
			} {
				if _, err := tx.ExecContext(ctx, q.sql, q.arg); err != nil {
					return fmt.Errorf("purge web identity: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		switch {
		case gone:
			out.Purged++
		case keep:
			out.Kept++
		}
	}
	return out, nil
}
