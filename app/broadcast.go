package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/wechat"
	"shopbot/commerce"
	"shopbot/jobs"
)

// Default lanes. Telegram's Sender enforces the flood limits (30/s overall,
// 1/s per chat) but lets a window's messages go at once; the lane spreads
// them evenly at 97 % of the overall limit (telegramPace), so replies to
// buyers still find slots and a late request does not put two bursts
// closer than Telegram tolerates. WeChat customer-service messages are
// paced well under the API's frequency limits; the web inbox is a database
// insert.
var defaultLanes = map[string]jobs.Lane{
	bot.ChannelTelegram: {Concurrency: 16, Batch: 16},
	bot.ChannelWeChat:   {Concurrency: 4, Rate: 20},
	bot.ChannelWeb:      {Concurrency: 4, Rate: 500},
}

// broadcastOptions wires the fan-out to the platforms' senders.
func (a *App) broadcastOptions() *jobs.BroadcastOptions {
	o := &jobs.BroadcastOptions{Store: a.Store, Send: a.broadcastSend, Progress: a.broadcastProgress,
		Lanes: defaultLanes, Lease: a.cfg.BroadcastLease, Log: a.log}
	if a.cfg.Tuning.BroadcastLanes != nil {
		o.Lanes = a.cfg.Tuning.BroadcastLanes
	}
	o.ProgressEvery = a.cfg.broadcastProgressEvery
	lanes := maps.Clone(o.Lanes)
	if tg := lanes[bot.ChannelTelegram]; tg.Rate == 0 {
		global := telegram.DefaultGlobal
		if l := a.cfg.Tuning.TelegramLimits; l != nil && l.Global.N > 0 && l.Global.Per > 0 {
			global = l.Global
		}
		tg.Rate = telegramPace * float64(global.N) / global.Per.Seconds()
		lanes[bot.ChannelTelegram] = tg
	}
	o.Lanes = lanes
	return o
}

// telegramPace is the share of Telegram's overall limit broadcasts use.
const telegramPace = 0.97

// broadcastImagePath is where platforms fetch a broadcast's picture: its
// random name, never its sequential id. "" when it has none.
func broadcastImagePath(c commerce.BroadcastContent) string {
	if c.Image == nil || c.ImageName == "" {
		return ""
	}
	return "/b/" + c.ImageName
}

// broadcastSend delivers b to one recipient on its platform.
func (a *App) broadcastSend(ctx context.Context, b commerce.Broadcast, r commerce.BroadcastRecipient) error {
	reply := a.Router.BroadcastMessage(b, r.Lang, broadcastImagePath(b.Content))
	switch r.Channel {
	case bot.ChannelTelegram:
		if a.tg == nil {
			return jobs.Skip("channel_off")
		}
		err := a.tg.SendReply(ctx, r.ChatID, reply)
		if errors.Is(err, telegram.ErrBlocked) {
			return fmt.Errorf("%w: %w", jobs.ErrUnreachable, err)
		}
		return err
	case bot.ChannelWeChat:
		if a.wechat == nil {
			return jobs.Skip("channel_off")
		}
		text := reply.Text
		if b.Content.ButtonURL != "" { // no buttons in a kf text: the link goes in the words
			text = strings.TrimSpace(b.Content.Text) + "\n" + b.Content.ButtonText + ": " + b.Content.ButtonURL +
				strings.TrimPrefix(reply.Text, strings.TrimSpace(b.Content.Text))
		}
		err := a.wechat.SendInWindow(ctx, r.ChatID, text)
		switch {
		case errors.Is(err, wechat.ErrOutsideWindow):
			return jobs.Skip("outside_window")
		case errors.Is(err, wechat.ErrInvalidOpenID):
			return fmt.Errorf("%w: %w", jobs.ErrUnreachable, err)
		}
		return err
	case bot.ChannelWeb:
		payload, err := json.Marshal([]bot.Reply{reply})
		if err != nil {
			return err
		}
		return a.Store.Push(ctx, bot.ChannelWeb+":"+r.ChatID, payload)
	}
	return jobs.Skip("unknown_channel")
}

// broadcastProgress shows the seller where a broadcast stands: on
// Telegram one message edited in place; elsewhere (no edits) a message when
// it starts and one when it ends. Failures are logged: progress is a
// courtesy, the fan-out goes on.
func (a *App) broadcastProgress(ctx context.Context, b commerce.Broadcast, final bool) {
	if b.AuthorChat == "" {
		return // from the CLI
	}
	ch, user, _ := strings.Cut(b.Author, ":")
	lang := ""
	if u, err := a.Store.ChatUser(ctx, ch, user); err == nil {
		lang = u.Lang
	}
	reply := a.Router.BroadcastProgress(b, lang, final)
	var err error
	if ch == bot.ChannelTelegram && a.tg != nil {
		err = a.progressEdit(ctx, b, reply)
	} else if b.ProgressMessage == "" || final {
		if err = (deliverer{a}).Deliver(ctx, ch, b.AuthorChat, []bot.Reply{{Text: reply.Text}}); err == nil && !final {
			err = a.Store.SetProgressMessage(ctx, b.ID, "posted")
		}
	}
	if err != nil {
		a.log.WarnContext(ctx, "broadcast progress not shown", "broadcast", b.ID, "err", err)
	}
}

// progressEdit posts the progress message once and edits it afterwards; a
// message that can no longer be edited is posted anew.
func (a *App) progressEdit(ctx context.Context, b commerce.Broadcast, reply bot.Reply) error {
	if b.ProgressMessage != "" {
		err := a.tg.Edit(ctx, b.AuthorChat, b.ProgressMessage, reply)
		if !errors.Is(err, bot.ErrGone) {
			return err
		}
	}
	id, err := a.tg.Post(ctx, b.AuthorChat, reply)
	if err != nil {
		return err
	}
	return a.Store.SetProgressMessage(ctx, b.ID, id)
}

// logChat is how logs name a Telegram chat: a group by its id, a private
// chat (its id is its user's) by the router's LogID of it.
func (a *App) logChat(chatID int64) string {
	if chatID < 0 {
		return strconv.FormatInt(chatID, 10)
	}
	return a.Router.LogID(strconv.FormatInt(chatID, 10))
}

// markReachable follows Telegram's word on a chat: 403 (blocked) marks its
// user blocked, so later broadcasts skip them; my_chat_member "member"
// unmarks them.
func (a *App) markReachable(ctx context.Context, chatID int64, reachable bool) {
	if chatID <= 0 { // groups are not the audience
		return
	}
	if err := a.Store.MarkBlocked(ctx, bot.ChannelTelegram, strconv.FormatInt(chatID, 10), !reachable); err != nil {
		a.log.WarnContext(ctx, "telegram reachability not recorded", "chat", a.logChat(chatID), "err", err)
	}
}

// broadcastImage serves a broadcast's picture (GET /b/{name}) to the
// platforms that fetch pictures by URL. The name is random
// (commerce.BroadcastContent.WithImage); the /b/{id} links of broadcasts
// made before are 404, like any name that is not one: a redirect would
// keep the sequential ids as an index of every picture sent.
func (a *App) broadcastImage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !commerce.ValidBroadcastImageName(name) {
		http.NotFound(w, r)
		return
	}
	img, err := a.Store.BroadcastImage(r.Context(), name)
	if errors.Is(err, commerce.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "broadcast image", "err", err)
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", commerce.ImageType(img))
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// A name is never reused for another picture.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(img)
}
