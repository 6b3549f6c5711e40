package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/templates"
)

// buyerCommands make the command menu; each is described by the text
// "tg_cmd_<name>" (templates/locales/<lang>/telegram.txt).
var buyerCommands = []string{"start", "shop", "cart", "orders", "link", "lang", "help"}

// sellerCommands follow the buyer commands in the menu of a seller's
// private chat.
var sellerCommands = []string{"products", "newdrop", "drops", "broadcast", "post", "order", "settings", "categories", "points", "questions", "reply", "console"}

// commandMenu is the menu of the named commands in locale.
func (a *Adapter) commandMenu(locale string, names ...[]string) ([]tgbotapi.BotCommand, error) {
	texts := a.o.Router.Texts()
	var out []tgbotapi.BotCommand
	for _, list := range names {
		for _, name := range list {
			key := "tg_cmd_" + name
			if texts == nil || !texts.Has(key) {
				return nil, fmt.Errorf("telegram: no text %s for the command menu", key)
			}
			out = append(out, tgbotapi.BotCommand{Command: name, Description: texts.Text(locale, key, nil)})
		}
	}
	return out, nil
}

// SetCommands registers the command menu with setMyCommands: once per
// supported locale for users whose Telegram language matches (language_code
// "zh", "en", "ru") and once without a language code, in the default
// locale, for everyone else. The private chat of each Telegram admin of the
// router ("tg:<id>"; a private chat's id is the user's) gets the buyer and
// seller commands the same way, in scope "chat": Telegram prefers a chat's
// scope over the default one, so buyers never see the seller commands. An
// admin chat Telegram refuses (the admin never opened the bot: "chat not
// found") is logged and skipped; the buyers' menu is an error.
func (a *Adapter) SetCommands(ctx context.Context) error {
	type scope struct{ code, locale string }
	scopes := []scope{{"", templates.Default}}
	for _, l := range templates.Locales {
		code, _, _ := strings.Cut(l, "-")
		scopes = append(scopes, scope{code, l})
	}
	set := func(cmds []tgbotapi.BotCommand, sc *tgbotapi.BotCommandScope, code string) error {
		c := tgbotapi.SetMyCommandsConfig{Commands: cmds, Scope: sc, LanguageCode: code}
		_, err := a.sender.run(ctx, call{method: "setMyCommands",
			do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }})
		return err
	}
	for _, s := range scopes {
		cmds, err := a.commandMenu(s.locale, buyerCommands)
		if err != nil {
			return err
		}
		if err := set(cmds, nil, s.code); err != nil {
			return err
		}
	}
	for _, chat := range a.adminChats() {
		sc := tgbotapi.NewBotCommandScopeChat(chat)
		for _, s := range scopes {
			cmds, err := a.commandMenu(s.locale, buyerCommands, sellerCommands)
			if err != nil {
				return err
			}
			if err := set(cmds, &sc, s.code); err != nil {
				if ctx.Err() != nil {
					return err
				}
				a.o.Log.Warn("telegram setMyCommands for an admin chat failed", "chat", a.logChat(chat), "err", err)
				break
			}
		}
	}
	return nil
}

// adminChats are the private chats of the router's Telegram admins.
func (a *Adapter) adminChats() []int64 {
	if a.o.Router == nil {
		return nil
	}
	var chats []int64
	for _, id := range a.o.Router.Admins() {
		rest, ok := strings.CutPrefix(id, bot.ChannelTelegram+":")
		if !ok {
			continue
		}
		if chat, err := strconv.ParseInt(rest, 10, 64); err == nil && chat > 0 {
			chats = append(chats, chat)
		}
	}
	return chats
}
