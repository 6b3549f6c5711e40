package app

import (
	"context"
	"errors"
	"fmt"

	"shopbot/bot"
	"shopbot/bot/telegram"
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
