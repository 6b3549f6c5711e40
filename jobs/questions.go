package jobs

import (
	"context"
	"database/sql"
	"strings"

	"github.com/riverqueue/river"

	"shopbot/bot"
	"shopbot/commerce"
)

// insertQuestionJobs turns questions' events into notices, in the
// transaction that stored the message: a buyer's message to every seller
// (each in their own chat), a seller's answer to the buyer in the chat they
// asked from. ok is false for other events.
func (q *Queue) insertQuestionJobs(ctx context.Context, tx *sql.Tx, e commerce.Event) (ok bool, err error) {
	var notices []bot.Notice
	switch e := e.(type) {
	case commerce.QuestionAsked:
		for _, id := range q.admins {
			channel, user, found := strings.Cut(strings.TrimSpace(id), ":")
			if !found || user == "" {
				continue
			}
			notices = append(notices, bot.Notice{Kind: bot.NoticeQuestion, Channel: channel, ChatID: user, UserID: user,
				ConversationID: e.Conversation.ID, MessageID: e.Message.ID})
		}
	case commerce.QuestionAnswered:
		c := e.Conversation
		notices = append(notices, bot.Notice{Kind: bot.NoticeAnswer, Channel: c.Buyer.Channel, ChatID: c.ChatID, UserID: c.Buyer.UserID,
			Lang: c.Lang, ConversationID: c.ID, MessageID: e.Message.ID})
	default:
		return false, nil
	}
	if len(notices) == 0 {
		return true, nil
	}
	params := make([]river.InsertManyParams, len(notices))
	for i, n := range notices {
		params[i] = river.InsertManyParams{Args: NoticeArgs{Notice: n}}
	}
	_, err = q.client.InsertManyTx(ctx, tx, params)
	return true, err
}
