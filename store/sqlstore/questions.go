package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shopbot/commerce"
)

// Buyers' questions to the sellers (commerce.QuestionStore).

const conversationCols = `id, channel, user_id, chat_id, buyer_name, lang, status, created_at, updated_at, last_buyer_at`

func scanConversation(sc interface{ Scan(...any) error }) (commerce.Conversation, error) {
	var c commerce.Conversation
	var created, updated, last int64
	err := sc.Scan(&c.ID, &c.Buyer.Channel, &c.Buyer.UserID, &c.ChatID, &c.BuyerName, &c.Lang, &c.Status, &created, &updated, &last)
	c.CreatedAt, c.UpdatedAt, c.LastBuyerAt = fromMS(created), fromMS(updated), fromMS(last)
	return c, err
}

// AskQuestion implements commerce.QuestionStore.
func (s *Store) AskQuestion(ctx context.Context, q commerce.Question) (commerce.Conversation, commerce.ConversationMessage, error) {
	var c commerce.Conversation
	var m commerce.ConversationMessage
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.KeyLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.KeyLock, "question:"+q.Buyer.Channel+":"+q.Buyer.UserID); err != nil {
				return err
			}
		}
		var sent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversation_messages m
			JOIN conversations c ON c.id = m.conversation_id
			WHERE c.channel = $1 AND c.user_id = $2 AND m.direction = 'in' AND m.created_at > $3`,
			q.Buyer.Channel, q.Buyer.UserID, ms(q.At.Add(-time.Hour))).Scan(&sent); err != nil {
			return err
		}
		if sent >= q.Limits.PerHour {
			return fmt.Errorf("%d messages in the last hour: %w", sent, commerce.ErrTooManyQuestions)
		}
		var err error
		c, err = s.continuedConversation(ctx, tx, q)
		isNew := errors.Is(err, commerce.ErrNotFound)
		if isNew {
			c, err = s.openConversation(ctx, tx, q)
		}
		if err != nil {
			return err
		}
		m = commerce.ConversationMessage{ConversationID: c.ID, Direction: commerce.DirectionIn, Body: q.Text, At: fromMS(ms(q.At))}
		if err := tx.QueryRowContext(ctx, `INSERT INTO conversation_messages (conversation_id, direction, author, body, created_at)
			VALUES ($1, 'in', '', $2, $3) RETURNING id`, c.ID, q.Text, ms(q.At)).Scan(&m.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET status = 'open', updated_at = $2, last_buyer_at = $2,
			chat_id = $3, lang = $4 WHERE id = $1`, c.ID, ms(q.At), q.ChatID, q.Lang); err != nil {
			return err
		}
		c.Status, c.UpdatedAt, c.LastBuyerAt, c.ChatID, c.Lang = commerce.ConversationOpen, m.At, m.At, q.ChatID, q.Lang
		return s.emit(ctx, tx, commerce.QuestionAsked{Conversation: c, Message: m, New: isNew})
	})
	if err != nil {
		return commerce.Conversation{}, commerce.ConversationMessage{}, fmt.Errorf("ask question: %w", s.mapErr(err))
	}
	return c, m, nil
}

// continuedConversation is the buyer's conversation a question continues
// (commerce.Question.Conversation); ErrNotFound when a new one is needed.
func (s *Store) continuedConversation(ctx context.Context, tx *sql.Tx, q commerce.Question) (commerce.Conversation, error) {
	var row *sql.Row
	if q.Conversation > 0 {
		row = tx.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations
			WHERE id = $1 AND channel = $2 AND user_id = $3`, q.Conversation, q.Buyer.Channel, q.Buyer.UserID)
	} else {
		row = tx.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations
			WHERE channel = $1 AND user_id = $2 AND updated_at > $3 ORDER BY updated_at DESC, id DESC LIMIT 1`,
			q.Buyer.Channel, q.Buyer.UserID, ms(q.At.Add(-commerce.ConversationReuse)))
	}
	c, err := scanConversation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return c, commerce.ErrNotFound
	}
	return c, err
}

// openConversation starts a buyer's conversation within their daily limit.
func (s *Store) openConversation(ctx context.Context, tx *sql.Tx, q commerce.Question) (commerce.Conversation, error) {
	var opened int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE channel = $1 AND user_id = $2 AND created_at > $3`,
		q.Buyer.Channel, q.Buyer.UserID, ms(q.At.Add(-24*time.Hour))).Scan(&opened); err != nil {
		return commerce.Conversation{}, err
	}
	if opened >= q.Limits.NewPerDay {
		return commerce.Conversation{}, fmt.Errorf("%d conversations in 24 hours: %w", opened, commerce.ErrTooManyQuestions)
	}
	at := fromMS(ms(q.At))
	c := commerce.Conversation{Buyer: q.Buyer, ChatID: q.ChatID, BuyerName: q.Name, Lang: q.Lang, Status: commerce.ConversationOpen,
		CreatedAt: at, UpdatedAt: at, LastBuyerAt: at}
	err := tx.QueryRowContext(ctx, `INSERT INTO conversations (channel, user_id, chat_id, buyer_name, lang, status, created_at, updated_at, last_buyer_at)
		VALUES ($1, $2, $3, $4, $5, 'open', $6, $6, $6) RETURNING id`,
		q.Buyer.Channel, q.Buyer.UserID, q.ChatID, q.Name, q.Lang, ms(q.At)).Scan(&c.ID)
	return c, err
}

// AnswerQuestion implements commerce.QuestionStore.
func (s *Store) AnswerQuestion(ctx context.Context, a commerce.Answer) (commerce.Conversation, commerce.ConversationMessage, error) {
	var c commerce.Conversation
	var m commerce.ConversationMessage
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = scanConversation(tx.QueryRowContext(ctx, `UPDATE conversations SET status = 'answered', updated_at = $2
			WHERE id = $1 RETURNING `+conversationCols, a.Conversation, ms(a.At))); err != nil {
			return err
		}
		m = commerce.ConversationMessage{ConversationID: c.ID, Direction: commerce.DirectionOut, Author: a.By, Body: a.Text, At: fromMS(ms(a.At))}
		if err := tx.QueryRowContext(ctx, `INSERT INTO conversation_messages (conversation_id, direction, author, body, created_at)
			VALUES ($1, 'out', $2, $3, $4) RETURNING id`, c.ID, a.By, a.Text, ms(a.At)).Scan(&m.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, commerce.QuestionAnswered{Conversation: c, Message: m})
	})
	if err != nil {
		return commerce.Conversation{}, commerce.ConversationMessage{}, fmt.Errorf("answer conversation %d: %w", a.Conversation, s.mapErr(err))
	}
	return c, m, nil
}

// Conversation implements commerce.QuestionStore.
func (s *Store) Conversation(ctx context.Context, id int64) (commerce.Conversation, error) {
	c, err := scanConversation(s.db.QueryRowContext(ctx, `SELECT `+conversationCols+` FROM conversations WHERE id = $1`, id))
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, s.mapErr(err))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, direction, author, body, created_at FROM conversation_messages
		WHERE conversation_id = $1 ORDER BY id`, id)
	if err != nil {
		return c, fmt.Errorf("conversation %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		m := commerce.ConversationMessage{ConversationID: id}
		var at int64
		if err := rows.Scan(&m.ID, &m.Direction, &m.Author, &m.Body, &at); err != nil {
			return c, fmt.Errorf("conversation %d: %w", id, err)
		}
		m.At = fromMS(at)
		c.Messages = append(c.Messages, m)
	}
	return c, rows.Err()
}

// Conversations implements commerce.QuestionStore.
func (s *Store) Conversations(ctx context.Context, status commerce.ConversationStatus, limit int) ([]commerce.Conversation, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+conversationCols+` FROM conversations
		WHERE ($1 = '' OR status = $1) ORDER BY updated_at DESC, id DESC LIMIT $2`, string(status), limit)
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	defer rows.Close()
	var out []commerce.Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RememberConversationRef implements commerce.QuestionStore.
func (s *Store) RememberConversationRef(ctx context.Context, r commerce.ConversationRef) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO conversation_refs (channel, chat_id, message_id, conversation_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, chat_id, message_id) DO NOTHING`,
		r.Channel, r.ChatID, r.MessageID, r.Conversation, ms(r.At))
	if err != nil {
		return fmt.Errorf("remember conversation ref: %w", s.mapErr(err))
	}
	return nil
}

// ConversationByRef implements commerce.QuestionStore.
func (s *Store) ConversationByRef(ctx context.Context, channel, chatID, messageID string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT conversation_id FROM conversation_refs
		WHERE channel = $1 AND chat_id = $2 AND message_id = $3`, channel, chatID, messageID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("conversation of a message: %w", s.mapErr(err))
	}
	return id, nil
}

// TouchConversation implements commerce.QuestionStore.
func (s *Store) TouchConversation(ctx context.Context, id int64, b commerce.Buyer, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE conversations SET last_buyer_at = $4
		WHERE id = $1 AND channel = $2 AND user_id = $3 AND last_buyer_at < $4`, id, b.Channel, b.UserID, ms(at))
	if err != nil {
		return fmt.Errorf("touch conversation %d: %w", id, err)
	}
	return nil
}
