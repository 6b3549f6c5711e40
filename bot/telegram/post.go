package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

var (
	_ bot.Poster      = (*Adapter)(nil)
	_ bot.PostDeleter = (*Adapter)(nil)
	_ bot.DeepLinker  = (*Adapter)(nil)
)

// Post implements bot.Poster: one message (a photo with the text as its
// caption when r has an image, else text), cut to Telegram's size limits
// rather than split, so that it stays one editable message.
func (a *Adapter) Post(ctx context.Context, chatID string, r bot.Reply) (string, error) {
	chat, err := parseChat(chatID)
	if err != nil {
		return "", err
	}
	r = a.forChat(r, chat, "")
	text := clean(r.Text)
	var c tgbotapi.Chattable
	if photo := a.imageURL(r.Image); photo != "" {
		caption, _ := cutText(text, MaxCaptionLen)
		p := tgbotapi.NewPhoto(chat, tgbotapi.FileURL(photo))
		p.Caption, p.ParseMode, p.ReplyMarkup = escapeHTML(caption), tgbotapi.ModeHTML, a.keyboard(ctx, r.Buttons)
		c = p
	} else {
		body, _ := cutText(text, MaxTextLen)
		if strings.TrimSpace(body) == "" {
			return "", fmt.Errorf("telegram: post without text: %w", errInvalidPost)
		}
		m := tgbotapi.NewMessage(chat, escapeHTML(body))
		m.ParseMode, m.DisableWebPagePreview = tgbotapi.ModeHTML, true
		if kb := a.keyboard(ctx, r.Buttons); kb != nil {
			m.ReplyMarkup = kb
		}
		c = m
	}
	msg, err := a.sender.Send(ctx, chat, c)
	if errors.Is(err, ErrBlocked) {
		return "", fmt.Errorf("%w: %w", bot.ErrGone, err)
	}
	if err != nil {
		return "", err
	}
	return strconv.Itoa(msg.MessageID), nil
}

var errInvalidPost = errors.New("invalid post")

// Edit implements bot.Poster. The message keeps its kind: a photo post has
// its caption edited, a text post its text.
func (a *Adapter) Edit(ctx context.Context, chatID, messageID string, r bot.Reply) error {
	chat, err := parseChat(chatID)
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(messageID)
	if err != nil || id <= 0 {
		return fmt.Errorf("telegram: message id %q: %w", messageID, errInvalidPost)
	}
	r = a.forChat(r, chat, "")
	target := &tgbotapi.Message{MessageID: id}
	if a.imageURL(r.Image) != "" {
		target.Photo = []tgbotapi.PhotoSize{{}}
		caption, _ := cutText(clean(r.Text), MaxCaptionLen)
		r.Text = caption
	} else {
		r.Text, _ = cutText(clean(r.Text), MaxTextLen)
	}
	done, err := a.edit(ctx, chat, target, r)
	switch {
	case errors.Is(err, ErrBlocked):
		return fmt.Errorf("%w: %w", bot.ErrGone, err)
	case err != nil:
		return err
	case !done:
		return fmt.Errorf("telegram: message %d in chat %d cannot be edited: %w", id, chat, bot.ErrGone)
	}
	return nil
}

// Delete implements bot.PostDeleter with deleteMessage (bots may delete
// their own messages in groups for 48 hours, in channels always).
func (a *Adapter) Delete(ctx context.Context, chatID, messageID string) error {
	chat, err := parseChat(chatID)
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(messageID)
	if err != nil || id <= 0 {
		return fmt.Errorf("telegram: message id %q: %w", messageID, errInvalidPost)
	}
	c := tgbotapi.NewDeleteMessage(chat, id)
	_, err = a.sender.run(ctx, call{method: "deleteMessage", chatID: chat, tolerant: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }})
	return err
}

func parseChat(chatID string) (int64, error) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("telegram: chat id %q: %w", chatID, errInvalidPost)
	}
	return id, nil
}
