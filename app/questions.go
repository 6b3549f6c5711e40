package app

import (
	"context"
	"errors"
	"fmt"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/commerce"
	"shopbot/jobs"
)

// sendQuestion sends a seller the Telegram message that passes a buyer's
// question on, and remembers which conversation each message sent for it
// belongs to: the seller's reply to any of them answers the buyer.
func (d deliverer) sendQuestion(ctx context.Context, chatID string, r bot.Reply) error {
	ids, err := d.a.tg.SendReplyIDs(ctx, chatID, r)
	for _, id := range ids {
		if rerr := d.a.questions.Remember(ctx, bot.ChannelTelegram, chatID, id, r.Conversation); rerr != nil {
			// Sent but not remembered: /reply and the button still answer.
			d.a.log.WarnContext(ctx, "question message not remembered", "err", rerr)
		}
	}
	if errors.Is(err, telegram.ErrBlocked) {
		return fmt.Errorf("%w: %w", jobs.ErrUnreachable, err)
	}
	return err
}

// Questions is the sellers' inbox of buyers' questions, for the console:
// Open lists those awaiting an answer, Conversation shows one with its
// messages, Answer sends a seller's answer (by "console" or the seller's
// identity) to the buyer's chat.
func (a *App) Questions() *commerce.Questions { return a.questions }
