package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

var _ commerce.DropPostStore = (*Store)(nil)

const dropPostCols = `p.id, p.drop_id, p.channel, p.chat_id, p.message_id, p.lang, p.shown, p.gone_at, p.created_at, p.updated_at`

func scanDropPost(dest []any, p *commerce.DropPost, gone, created, updated *int64) []any {
	return append(dest, &p.ID, &p.DropID, &p.Channel, &p.ChatID, &p.MessageID, &p.Lang, &p.Shown, gone, created, updated)
}

func finishDropPost(p *commerce.DropPost, gone, created, updated int64) {
	p.Gone, p.CreatedAt, p.UpdatedAt = gone != 0, fromMS(created), fromMS(updated)
}

// SaveDropPost implements commerce.DropPostStore with one upsert; the insert
// selects the drop, so a missing drop inserts nothing (ErrNotFound).
func (s *Store) SaveDropPost(ctx context.Context, p commerce.DropPost, now time.Time) (commerce.DropPost, error) {
	if p.Channel == "" || p.ChatID == "" || p.DropID <= 0 {
		return p, fmt.Errorf("save drop post: drop, channel and chat are required: %w", commerce.ErrInvalid)
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO drop_posts (drop_id, channel, chat_id, message_id, lang, shown, gone_at, posted_at, created_at, updated_at)
		SELECT id, $1, $2, $3, $4, $5, 0, $6, $6, $6 FROM drops WHERE id = $7
		ON CONFLICT (drop_id, channel, chat_id) DO UPDATE SET message_id = excluded.message_id, lang = excluded.lang,
			shown = excluded.shown, gone_at = 0, posted_at = excluded.posted_at, updated_at = excluded.updated_at
		RETURNING id`, p.Channel, p.ChatID, p.MessageID, p.Lang, p.Shown, ms(now), p.DropID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("save drop post: drop %d: %w", p.DropID, commerce.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("save drop post of drop %d in %s:%s: %w", p.DropID, p.Channel, p.ChatID, s.mapErr(err))
	}
	return s.dropPostWhere(ctx, `p.id = $1`, id)
}

// DropPost implements commerce.DropPostStore.
func (s *Store) DropPost(ctx context.Context, dropID int64, channel, chatID string) (commerce.DropPost, error) {
	return s.dropPostWhere(ctx, `p.drop_id = $1 AND p.channel = $2 AND p.chat_id = $3`, dropID, channel, chatID)
}

func (s *Store) dropPostWhere(ctx context.Context, where string, args ...any) (commerce.DropPost, error) {
	var p commerce.DropPost
	var gone, created, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT `+dropPostCols+` FROM drop_posts p WHERE `+where, args...).
		Scan(scanDropPost(nil, &p, &gone, &created, &updated)...)
	if err != nil {
		return p, fmt.Errorf("drop post %v: %w", args, s.mapErr(err))
	}
	finishDropPost(&p, gone, created, updated)
	return p, nil
}

// LiveDropPosts implements commerce.DropPostStore in one query.
func (s *Store) LiveDropPosts(ctx context.Context, since time.Time) ([]commerce.DropPostState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+dropPostCols+`, d.id, d.code, d.product_id, d.units, d.units_left,
			d.price_amount, d.currency, d.starts_at, d.per_buyer_limit, d.reservation_ms, d.created_at, d.cancelled_at, p.takers
		FROM drop_posts p JOIN drops d ON d.id = p.drop_id
		WHERE p.gone_at = 0 AND p.posted_at >= $1 AND p.message_id <> ''
		ORDER BY p.updated_at, p.id`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("live drop posts: %w", err)
	}
	defer rows.Close()
	var out []commerce.DropPostState
	for rows.Next() {
		var st commerce.DropPostState
		var gone, created, updated, starts, ttl, dcreated, cancelled int64
		dest := scanDropPost(nil, &st.Post, &gone, &created, &updated)
		d := &st.Drop
		dest = append(dest, &d.ID, &d.Code, &d.ProductID, &d.Units, &d.Left, &d.Price.Amount, &d.Price.Currency,
			&starts, &d.PerBuyerLimit, &ttl, &dcreated, &cancelled, &st.Takers)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("live drop posts: %w", err)
		}
		finishDropPost(&st.Post, gone, created, updated)
		d.StartsAt, d.CreatedAt, d.ReservationTTL = fromMS(starts), fromMS(dcreated), time.Duration(ttl)*time.Millisecond
		if cancelled > 0 {
			d.CancelledAt = fromMS(cancelled)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// MarkDropPostShown implements commerce.DropPostStore.
func (s *Store) MarkDropPostShown(ctx context.Context, id int64, messageID, shown string, now time.Time) (bool, error) {
	return s.execOne(ctx, `UPDATE drop_posts SET shown = $1, updated_at = $2
		WHERE id = $3 AND message_id = $4 AND gone_at = 0`, shown, ms(now), id, messageID)
}

// MarkDropPostGone implements commerce.DropPostStore.
func (s *Store) MarkDropPostGone(ctx context.Context, id int64, messageID string, now time.Time) (bool, error) {
	return s.execOne(ctx, `UPDATE drop_posts SET gone_at = $1, updated_at = $1
		WHERE id = $2 AND message_id = $3 AND gone_at = 0`, max(ms(now), 1), id, messageID)
}

// ClaimDropPostEdit implements commerce.DropPostStore with one conditional
// upsert: the row moves forward only when its slot has come.
func (s *Store) ClaimDropPostEdit(ctx context.Context, channel, chatID string, now time.Time, interval time.Duration) (bool, error) {
	return s.execOne(ctx, `INSERT INTO drop_post_chats (channel, chat_id, next_edit_at) VALUES ($1, $2, $3)
		ON CONFLICT (channel, chat_id) DO UPDATE SET next_edit_at = excluded.next_edit_at
		WHERE drop_post_chats.next_edit_at <= $4`, channel, chatID, ms(now.Add(interval)), ms(now))
}

// execOne runs a conditional statement and reports whether it changed a row.
func (s *Store) execOne(ctx context.Context, query string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return false, s.mapErr(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// errTakerExists rolls back a taker insert that lost to the same user's
// concurrent tap.
var errTakerExists = errors.New("taker exists")

// AddDropTaker implements commerce.DropPostStore. Raising the post's taker
// count locks the post row, so concurrent taps are numbered one after the
// other without gaps; a user already listed changes nothing.
func (s *Store) AddDropTaker(ctx context.Context, t commerce.DropTaker) (int, bool, error) {
	position := func() (int, error) {
		var pos int
		err := s.db.QueryRowContext(ctx, `SELECT position FROM drop_post_takers WHERE post_id = $1 AND user_id = $2`,
			t.PostID, t.UserID).Scan(&pos)
		return pos, err
	}
	if pos, err := position(); err == nil {
		return pos, false, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("drop taker: %w", s.mapErr(err))
	}
	var pos int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE drop_posts SET takers = takers + 1 WHERE id = $1 RETURNING takers`, t.PostID).Scan(&pos)
		if err != nil {
			return fmt.Errorf("drop post %d: %w", t.PostID, s.mapErr(err))
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO drop_post_takers (post_id, position, user_id, name, reservation_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (post_id, user_id) DO NOTHING`,
			t.PostID, pos, t.UserID, t.Name, t.ReservationID, ms(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("add drop taker: %w", s.mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errTakerExists
		}
		return nil
	})
	if errors.Is(err, errTakerExists) {
		pos, err = position()
		if err != nil {
			return 0, false, fmt.Errorf("drop taker: %w", s.mapErr(err))
		}
		return pos, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return pos, true, nil
}

// DropTakers implements commerce.DropPostStore.
func (s *Store) DropTakers(ctx context.Context, postID int64, limit int) ([]commerce.DropTaker, int, error) {
	var total int
	err := s.db.QueryRowContext(ctx, `SELECT takers FROM drop_posts WHERE id = $1`, postID).Scan(&total)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("drop takers of post %d: %w", postID, s.mapErr(err))
	}
	if total == 0 || limit <= 0 {
		return nil, total, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT post_id, user_id, name, reservation_id, created_at FROM drop_post_takers
		WHERE post_id = $1 ORDER BY position LIMIT $2`, postID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("drop takers of post %d: %w", postID, err)
	}
	defer rows.Close()
	var out []commerce.DropTaker
	for rows.Next() {
		var t commerce.DropTaker
		var created int64
		if err := rows.Scan(&t.PostID, &t.UserID, &t.Name, &t.ReservationID, &created); err != nil {
			return nil, 0, fmt.Errorf("drop takers of post %d: %w", postID, err)
		}
		t.CreatedAt = fromMS(created)
		out = append(out, t)
	}
	return out, total, rows.Err()
}
