package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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

// questionLimitsFromEnv reads SHOPBOT_LIMIT_QUESTIONS_PER_HOUR and
// SHOPBOT_LIMIT_NEW_QUESTIONS_PER_DAY (positive whole numbers; unset: the
// defaults, commerce.DefaultQuestionLimits).
func questionLimitsFromEnv(getenv func(string) string) (commerce.QuestionLimits, error) {
	l := commerce.DefaultQuestionLimits
	for _, f := range []struct {
		name string
		to   *int
	}{{"SHOPBOT_LIMIT_QUESTIONS_PER_HOUR", &l.PerHour}, {"SHOPBOT_LIMIT_NEW_QUESTIONS_PER_DAY", &l.NewPerDay}} {
		if v := getenv(f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return l, fmt.Errorf("%s %q: want a whole number from 1 to 10000", f.name, v)
			}
			*f.to = n
		}
	}
	return l, nil
}
