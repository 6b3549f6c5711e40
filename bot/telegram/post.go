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
// rather than split, so that it stays one editable message. A photo
// Telegram refuses (400: it cannot fetch or use the picture) is posted as
// text; Edit copes with either kind.
func (a *Adapter) Post(ctx context.Context, chatID string, r bot.Reply) (string, error) {
	chat, err := parseChat(chatID)
	if err != nil {
		return "", err
	}
	id, err := a.post(ctx, chat, a.forChat(r, chat, ""))
	if refusedPicture(err) && a.hasPhoto(r.Image) {
		a.event(EventPhotoFallback)
		a.log.WarnContext(ctx, "telegram photo post refused, posting text", "chat", a.logChat(chat), "image", r.Image, "err", err)
		r.Image = ""
		id, err = a.post(ctx, chat, a.forChat(r, chat, ""))
	}
	return id, err
}

func (a *Adapter) post(ctx context.Context, chat int64, r bot.Reply) (string, error) {
	text := clean(r.Text)
	var msg tgbotapi.Message
	var err error
	if a.hasPhoto(r.Image) {
		caption, _ := cutText(text, MaxCaptionLen)
		p := tgbotapi.NewPhoto(chat, nil)
		p.Caption, p.ParseMode, p.ReplyMarkup = escapeHTML(caption), tgbotapi.ModeHTML, a.keyboard(ctx, r.Buttons)
		msg, err = a.sendPhoto(ctx, chat, r.Image, p)
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
		msg, err = a.sender.Send(ctx, chat, m)
	}
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
// its caption edited, a text post its text (also when r has an image but
// Post had to fall back to text).
func (a *Adapter) Edit(ctx context.Context, chatID, messageID string, r bot.Reply) error {
	chat, id, err := parseMessage(chatID, messageID)
	if err != nil {
		return err
	}
	r = a.forChat(r, chat, "")
	photo := a.hasPhoto(r.Image)
	done, err := a.editAs(ctx, chat, id, r, photo)
	if err == nil && !done && photo {
		// The post may have been made as text (Post's fallback).
		r.Image = ""
		done, err = a.editAs(ctx, chat, id, r, false)
	}
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
	chat, id, err := parseMessage(chatID, messageID)
	if err != nil {
		return err
	}
	c := tgbotapi.NewDeleteMessage(chat, id)
	_, err = a.sender.run(ctx, call{method: "deleteMessage", chatID: chat, tolerant: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }})
	return err
}

// editAs edits message id as a photo's caption or as text.
func (a *Adapter) editAs(ctx context.Context, chat int64, id int, r bot.Reply, photo bool) (bool, error) {
	target := &tgbotapi.Message{MessageID: id}
	if photo {
		target.Photo = []tgbotapi.PhotoSize{{}}
		r.Text, _ = cutText(clean(r.Text), MaxCaptionLen)
	} else {
		r.Text, _ = cutText(clean(r.Text), MaxTextLen)
	}
	return a.edit(ctx, chat, target, r)
}

// parseMessage reads the chat and message ids Post returned.
func parseMessage(chatID, messageID string) (int64, int, error) {
	chat, err := parseChat(chatID)
	if err != nil {
		return 0, 0, err
	}
	id, err := strconv.Atoi(messageID)
	if err != nil || id <= 0 {
		return 0, 0, fmt.Errorf("telegram: message id %q: %w", messageID, errInvalidPost)
	}
	return chat, id, nil
}

func parseChat(chatID string) (int64, error) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("telegram: chat id %q: %w", chatID, errInvalidPost)
	}
	return id, nil
}
