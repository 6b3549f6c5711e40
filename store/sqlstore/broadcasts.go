package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

var (
	_ commerce.AudienceStore  = (*Store)(nil)
	_ commerce.BroadcastStore = (*Store)(nil)
)

// SeeChatUser implements commerce.AudienceStore: one upsert.
func (s *Store) SeeChatUser(ctx context.Context, u commerce.ChatUser) error {
	if u.Channel == "" || u.UserID == "" || u.ChatID == "" {
		return fmt.Errorf("see chat user: channel, user and chat needed: %w", commerce.ErrInvalid)
	}
	at := ms(u.LastSeen)
	if at == 0 {
		at = ms(s.opts.Now())
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO chat_users (channel, user_id, chat_id, lang, first_seen, last_seen)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id,
			lang = CASE WHEN excluded.lang = '' THEN chat_users.lang ELSE excluded.lang END,
			last_seen = excluded.last_seen, blocked = FALSE`,
		u.Channel, u.UserID, u.ChatID, u.Lang, at)
	if err != nil {
		return fmt.Errorf("see chat user: %w", err)
	}
	return nil
}

// ChatUser implements commerce.AudienceStore.
func (s *Store) ChatUser(ctx context.Context, channel, userID string) (commerce.ChatUser, error) {
	u := commerce.ChatUser{Channel: channel, UserID: userID}
	var first, last int64
	err := s.db.QueryRowContext(ctx, `SELECT chat_id, lang, opted_out, blocked, first_seen, last_seen
		FROM chat_users WHERE channel = $1 AND user_id = $2`, channel, userID).
		Scan(&u.ChatID, &u.Lang, &u.OptedOut, &u.Blocked, &first, &last)
	if err != nil {
		return u, fmt.Errorf("chat user %s:%s: %w", channel, userID, s.mapErr(err))
	}
	u.FirstSeen, u.LastSeen = fromMS(first), fromMS(last)
	return u, nil
}

// SetOptOut implements commerce.AudienceStore.
func (s *Store) SetOptOut(ctx context.Context, channel, userID string, out bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE chat_users SET opted_out = $1 WHERE channel = $2 AND user_id = $3`, out, channel, userID)
	if err != nil {
		return fmt.Errorf("set opt-out: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set opt-out %s:%s: %w", channel, userID, commerce.ErrNotFound)
	}
	return nil
}

// MarkBlocked implements commerce.AudienceStore.
func (s *Store) MarkBlocked(ctx context.Context, channel, chatID string, blocked bool) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE chat_users SET blocked = $1 WHERE channel = $2 AND chat_id = $3`,
		blocked, channel, chatID); err != nil {
		return fmt.Errorf("mark blocked: %w", err)
	}
	return nil
}

// AudienceSize implements commerce.AudienceStore.
func (s *Store) AudienceSize(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, COUNT(*) FROM chat_users
		WHERE NOT opted_out AND NOT blocked GROUP BY channel`)
	if err != nil {
		return nil, fmt.Errorf("audience size: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ch string
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, fmt.Errorf("audience size: %w", err)
		}
		out[ch] = n
	}
	return out, rows.Err()
}

// A picture stored before it got a name (migration 00011) is not served:
// such a broadcast counts as having none.
const broadcastCols = `id, author, author_chat, text, image_name, button_text, button_url, channels, status,
	total, sent, failed, blocked, opted_out, skipped, progress_msg, created_at, started_at, finished_at`

func scanBroadcast(sc interface{ Scan(...any) error }) (commerce.Broadcast, error) {
	var b commerce.Broadcast
	var channels string
	var created, started, finished int64
	c := &b.Counts
	err := sc.Scan(&b.ID, &b.Author, &b.AuthorChat, &b.Content.Text, &b.Content.ImageName, &b.Content.ButtonText, &b.Content.ButtonURL,
		&channels, &b.Status, &c.Total, &c.Sent, &c.Failed, &c.Blocked, &c.OptedOut, &c.Skipped, &b.ProgressMessage,
		&created, &started, &finished)
	if b.Content.ImageName != "" {
		b.Content.Image = []byte{} // present; BroadcastImage reads it
	}
	if channels != "" {
		b.Channels = strings.Split(channels, ",")
	}
	b.CreatedAt, b.StartedAt, b.FinishedAt = fromMS(created), fromMS(started), fromMS(finished)
	return b, err
}

// CreateBroadcast implements commerce.BroadcastStore.
func (s *Store) CreateBroadcast(ctx context.Context, b commerce.Broadcast) (commerce.Broadcast, error) {
	if err := b.Content.Validate(); err != nil {
		return b, err
	}
	if _, err := commerce.NormalizeChannels(b.Channels); err != nil {
		return b, err
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = s.opts.Now()
	}
	b.Status = commerce.BroadcastDraft
	var image any
	if len(b.Content.Image) > 0 {
		image = b.Content.Image
	} else {
		b.Content.ImageName = ""
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO broadcasts (author, author_chat, text, image, image_name, button_text, button_url,
			channels, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		b.Author, b.AuthorChat, b.Content.Text, image, b.Content.ImageName, b.Content.ButtonText, b.Content.ButtonURL,
		strings.Join(b.Channels, ","), b.Status, ms(b.CreatedAt)).Scan(&b.ID)
	if err != nil {
		return b, fmt.Errorf("create broadcast: %w", s.mapErr(err))
	}
	return b, nil
}

// Broadcast implements commerce.BroadcastStore.
func (s *Store) Broadcast(ctx context.Context, id int64) (commerce.Broadcast, error) {
	return s.broadcast(ctx, s.db, id)
}

func (s *Store) broadcast(ctx context.Context, q querier, id int64) (commerce.Broadcast, error) {
	b, err := scanBroadcast(q.QueryRowContext(ctx, `SELECT `+broadcastCols+` FROM broadcasts WHERE id = $1`, id))
	if err != nil {
		return b, fmt.Errorf("broadcast %d: %w", id, s.mapErr(err))
	}
	return b, nil
}

// BroadcastImage implements commerce.BroadcastStore.
func (s *Store) BroadcastImage(ctx context.Context, name string) ([]byte, error) {
	if !commerce.ValidBroadcastImageName(name) {
		return nil, fmt.Errorf("broadcast image %q: %w", name, commerce.ErrNotFound)
	}
	var img []byte
	err := s.db.QueryRowContext(ctx, `SELECT image FROM broadcasts WHERE image_name = $1 AND image IS NOT NULL`, name).Scan(&img)
	if err != nil {
		return nil, fmt.Errorf("broadcast image %s: %w", name, s.mapErr(err))
	}
	return img, nil
}

// Broadcasts implements commerce.BroadcastStore.
func (s *Store) Broadcasts(ctx context.Context, limit int) ([]commerce.Broadcast, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+broadcastCols+` FROM broadcasts ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("broadcasts: %w", err)
	}
	defer rows.Close()
	var out []commerce.Broadcast
	for rows.Next() {
		b, err := scanBroadcast(rows)
		if err != nil {
			return nil, fmt.Errorf("broadcasts: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// StartBroadcast implements commerce.BroadcastStore. The snapshot is one
// INSERT … SELECT: the audience never passes through this process.
func (s *Store) StartBroadcast(ctx context.Context, id int64, at time.Time) (commerce.Broadcast, error) {
	var b commerce.Broadcast
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE broadcasts SET status = $1, started_at = $2 WHERE id = $3 AND status = $4`,
			commerce.BroadcastRunning, ms(at), id, commerce.BroadcastDraft)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.broadcast(ctx, tx, id); err != nil {
				return err
			}
			return fmt.Errorf("start broadcast %d: %w", id, commerce.ErrInvalidTransition)
		}
		if b, err = s.broadcast(ctx, tx, id); err != nil {
			return err
		}
		args := []any{id, commerce.RecipientOptedOut, commerce.RecipientBlocked, commerce.RecipientPending, ms(at)}
		where := ""
		if len(b.Channels) > 0 {
			ph := make([]string, len(b.Channels))
			for i, ch := range b.Channels {
				args = append(args, ch)
				ph[i] = "$" + strconv.Itoa(len(args))
			}
			where = " WHERE channel IN (" + strings.Join(ph, ", ") + ")"
		}
		// Blocked is only news for the seller if it happened since the last
		// broadcast; both are recorded so every user is accounted for.
		// Ordered by channel and user so that every claim batch reads one
		// stretch of the index.
		if _, err := tx.ExecContext(ctx, `INSERT INTO broadcast_recipients (broadcast_id, channel, chat_id, user_id, lang, status, updated_at)
			SELECT $1, channel, chat_id, user_id, lang,
				CASE WHEN opted_out THEN $2 WHEN blocked THEN $3 ELSE $4 END, $5
			FROM chat_users`+where+` ORDER BY channel, user_id`, args...); err != nil {
			return fmt.Errorf("snapshot recipients: %w", err)
		}
		counts, err := recipientCounts(ctx, tx, id)
		if err != nil {
			return err
		}
		c := &b.Counts
		for _, n := range counts {
			c.Total += n
		}
		c.OptedOut, c.Blocked = counts[commerce.RecipientOptedOut], counts[commerce.RecipientBlocked]
		if _, err := tx.ExecContext(ctx, `UPDATE broadcasts SET total = $1, opted_out = $2, blocked = $3 WHERE id = $4`,
			c.Total, c.OptedOut, c.Blocked, id); err != nil {
			return err
		}
		return s.emit(ctx, tx, commerce.BroadcastStarted{Broadcast: b})
	})
	if err != nil {
		return b, fmt.Errorf("start broadcast %d: %w", id, s.mapErr(err))
	}
	return b, nil
}

func recipientCounts(ctx context.Context, q querier, id int64) (map[commerce.RecipientStatus]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT status, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = $1 GROUP BY status`, id)
	if err != nil {
		return nil, fmt.Errorf("recipient counts: %w", err)
	}
	defer rows.Close()
	out := map[commerce.RecipientStatus]int{}
	for rows.Next() {
		var st commerce.RecipientStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// RecipientCounts implements commerce.BroadcastStore.
func (s *Store) RecipientCounts(ctx context.Context, id int64) (map[commerce.RecipientStatus]int, error) {
	return recipientCounts(ctx, s.db, id)
}

// CancelBroadcast implements commerce.BroadcastStore.
func (s *Store) CancelBroadcast(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE broadcasts SET status = $1, finished_at = $2, lease_owner = ''
		WHERE id = $3 AND status IN ($4, $5)`, commerce.BroadcastCancelled, ms(at), id, commerce.BroadcastDraft, commerce.BroadcastRunning)
	if err != nil {
		return fmt.Errorf("cancel broadcast %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Broadcast(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("cancel broadcast %d: %w", id, commerce.ErrInvalidTransition)
	}
	return nil
}

// RunningBroadcasts implements commerce.BroadcastStore.
func (s *Store) RunningBroadcasts(ctx context.Context) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM broadcasts WHERE status = $1 ORDER BY id`, commerce.BroadcastRunning)
	if err != nil {
		return nil, fmt.Errorf("running broadcasts: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// AcquireBroadcast implements commerce.BroadcastStore.
func (s *Store) AcquireBroadcast(ctx context.Context, id int64, owner string, now, until time.Time) (bool, error) {
	ok := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE broadcasts SET lease_owner = $1, lease_until = $2
			WHERE id = $3 AND status = $4 AND (lease_owner = '' OR lease_owner = $1 OR lease_until < $5)`,
			owner, ms(until), id, commerce.BroadcastRunning, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ok = true
		_, err = tx.ExecContext(ctx, `UPDATE broadcast_recipients SET status = $1 WHERE broadcast_id = $2 AND status = $3`,
			commerce.RecipientPending, id, commerce.RecipientSending)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("acquire broadcast %d: %w", id, s.mapErr(err))
	}
	return ok, nil
}

// RenewBroadcast implements commerce.BroadcastStore.
func (s *Store) RenewBroadcast(ctx context.Context, id int64, owner string, until time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE broadcasts SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = $4`,
		ms(until), id, owner, commerce.BroadcastRunning)
	if err != nil {
		return fmt.Errorf("renew broadcast %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("renew broadcast %d: %w", id, commerce.ErrLeaseLost)
	}
	return nil
}

// ReleaseBroadcast implements commerce.BroadcastStore.
func (s *Store) ReleaseBroadcast(ctx context.Context, id int64, owner string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE broadcasts SET lease_owner = '', lease_until = 0 WHERE id = $1 AND lease_owner = $2`,
		id, owner); err != nil {
		return fmt.Errorf("release broadcast %d: %w", id, err)
	}
	return nil
}

// ClaimRecipients implements commerce.BroadcastStore. The outer status
// check matters on Postgres: a concurrent claim that waited for the same
// rows re-checks it and skips them.
func (s *Store) ClaimRecipients(ctx context.Context, id int64, channel string, limit int) ([]commerce.BroadcastRecipient, error) {
	rows, err := s.db.QueryContext(ctx, `UPDATE broadcast_recipients SET status = $1
		WHERE status = $2 AND id IN (SELECT id FROM broadcast_recipients
			WHERE broadcast_id = $3 AND channel = $4 AND status = $2 ORDER BY id LIMIT $5)
		RETURNING id, chat_id, user_id, lang`,
		commerce.RecipientSending, commerce.RecipientPending, id, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("claim recipients of broadcast %d: %w", id, err)
	}
	defer rows.Close()
	out := make([]commerce.BroadcastRecipient, 0, limit)
	for rows.Next() {
		r := commerce.BroadcastRecipient{BroadcastID: id, Channel: channel, Status: commerce.RecipientSending}
		if err := rows.Scan(&r.ID, &r.ChatID, &r.UserID, &r.Lang); err != nil {
			return nil, fmt.Errorf("claim recipients: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim recipients: %w", err)
	}
	// RETURNING order is unspecified.
	sortRecipients(out)
	return out, nil
}

func sortRecipients(rs []commerce.BroadcastRecipient) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].ID < rs[j-1].ID; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// RecordOutcomes implements commerce.BroadcastStore: one UPDATE per
// (status, reason) group rather than one per recipient.
func (s *Store) RecordOutcomes(ctx context.Context, id int64, outcomes []commerce.RecipientOutcome, at time.Time) error {
	if len(outcomes) == 0 {
		return nil
	}
	type group struct {
		st     commerce.RecipientStatus
		reason string
	}
	groups := map[group][]int64{}
	var order []group
	for _, o := range outcomes {
		switch o.Status {
		case commerce.RecipientSent, commerce.RecipientFailed, commerce.RecipientBlocked, commerce.RecipientSkipped, commerce.RecipientOptedOut:
		default:
			return fmt.Errorf("record outcome %q: %w", o.Status, commerce.ErrInvalid)
		}
		g := group{o.Status, o.Reason}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], o.RecipientID)
	}
	column := map[commerce.RecipientStatus]string{commerce.RecipientSent: "sent", commerce.RecipientFailed: "failed",
		commerce.RecipientBlocked: "blocked", commerce.RecipientSkipped: "skipped", commerce.RecipientOptedOut: "opted_out"}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added := map[commerce.RecipientStatus]int64{}
		for _, g := range order {
			ids := groups[g]
			for len(ids) > 0 {
				chunk := ids[:min(len(ids), 500)]
				ids = ids[len(chunk):]
				args := []any{g.st, g.reason, ms(at), id, commerce.RecipientSending}
				res, err := tx.ExecContext(ctx, `UPDATE broadcast_recipients SET status = $1, reason = $2, updated_at = $3
					WHERE broadcast_id = $4 AND status = $5 AND id IN (`+appendIn(&args, chunk)+`)`, args...)
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				added[g.st] += n
				if g.st == commerce.RecipientBlocked && n > 0 {
					bargs := []any{true, id}
					if _, err := tx.ExecContext(ctx, `UPDATE chat_users SET blocked = $1 WHERE EXISTS (
						SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = $2
							AND r.channel = chat_users.channel AND r.user_id = chat_users.user_id
							AND r.id IN (`+appendIn(&bargs, chunk)+`))`, bargs...); err != nil {
						return err
					}
				}
			}
		}
		for st, n := range added {
			if n == 0 {
				continue
			}
			col := column[st]
			if _, err := tx.ExecContext(ctx, `UPDATE broadcasts SET `+col+` = `+col+` + $1 WHERE id = $2`, n, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record outcomes of broadcast %d: %w", id, s.mapErr(err))
	}
	return nil
}

// FinishBroadcast implements commerce.BroadcastStore.
func (s *Store) FinishBroadcast(ctx context.Context, id int64, at time.Time) (bool, error) {
	var left int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = $1 AND status IN ($2, $3)`,
		id, commerce.RecipientPending, commerce.RecipientSending).Scan(&left); err != nil {
		return false, fmt.Errorf("finish broadcast %d: %w", id, err)
	}
	if left > 0 {
		return false, nil
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE broadcasts SET status = $1, finished_at = $2, lease_owner = ''
		WHERE id = $3 AND status = $4`, commerce.BroadcastDone, ms(at), id, commerce.BroadcastRunning); err != nil {
		return false, fmt.Errorf("finish broadcast %d: %w", id, err)
	}
	b, err := s.Broadcast(ctx, id)
	if err != nil {
		return false, err
	}
	return b.Status == commerce.BroadcastDone, nil
}

// SetProgressMessage implements commerce.BroadcastStore.
func (s *Store) SetProgressMessage(ctx context.Context, id int64, messageID string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE broadcasts SET progress_msg = $1 WHERE id = $2`, messageID, id); err != nil {
		return fmt.Errorf("broadcast %d progress message: %w", id, err)
	}
	return nil
}

// appendIn appends ids to args and returns their placeholders ("$6, $7").
func appendIn(args *[]any, ids []int64) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		*args = append(*args, id)
		ph[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(ph, ", ")
}
