package telegram

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/templates"
)

// commandDescriptions are the command menu texts per locale. They live here,
// not in templates/, because only Telegram shows a command menu; they should
// move to templates/ (keys "cmd_<name>") once that package takes them.
var commandDescriptions = map[string][]tgbotapi.BotCommand{
	"zh-CN": {
		{Command: "start", Description: "开始 · 主菜单"},
		{Command: "shop", Description: "浏览商品"},
		{Command: "cart", Description: "我的购物车"},
		{Command: "orders", Description: "我的订单"},
		{Command: "lang", Description: "切换语言"},
		{Command: "help", Description: "帮助"},
	},
	"en": {
		{Command: "start", Description: "Start · main menu"},
		{Command: "shop", Description: "Browse the shop"},
		{Command: "cart", Description: "Your cart"},
		{Command: "orders", Description: "Your orders"},
		{Command: "lang", Description: "Change language"},
		{Command: "help", Description: "Help"},
	},
	"ru": {
		{Command: "start", Description: "Старт · главное меню"},
		{Command: "shop", Description: "Каталог"},
		{Command: "cart", Description: "Корзина"},
		{Command: "orders", Description: "Мои заказы"},
		{Command: "lang", Description: "Сменить язык"},
		{Command: "help", Description: "Помощь"},
	},
}

// sellerCommandDescriptions follow the buyer commands in the menu of a
// seller's private chat.
var sellerCommandDescriptions = map[string][]tgbotapi.BotCommand{
	"zh-CN": {
		{Command: "products", Description: "我的商品 · 上架、修改、库存"},
		{Command: "newdrop", Description: "新建抢购"},
		{Command: "drops", Description: "抢购列表与数据"},
		{Command: "broadcast", Description: "群发消息给买家"},
		{Command: "post", Description: "把抢购发到群里（在群里发送）"},
	},
	"en": {
		{Command: "products", Description: "Your products · list, edit, stock"},
		{Command: "newdrop", Description: "Schedule a drop"},
		{Command: "drops", Description: "Your drops and their figures"},
		{Command: "broadcast", Description: "Message your buyers"},
		{Command: "post", Description: "Post a drop in a group (send it there)"},
	},
	"ru": {
		{Command: "products", Description: "Мои товары · добавить, изменить, остаток"},
		{Command: "newdrop", Description: "Запланировать дроп"},
		{Command: "drops", Description: "Дропы и их цифры"},
		{Command: "broadcast", Description: "Рассылка покупателям"},
		{Command: "post", Description: "Опубликовать дроп в группе (отправьте там)"},
	},
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
		cmds, ok := commandDescriptions[s.locale]
		if !ok {
			return fmt.Errorf("telegram: no command descriptions for %s", s.locale)
		}
		if err := set(cmds, nil, s.code); err != nil {
			return err
		}
	}
	for _, chat := range a.adminChats() {
		sc := tgbotapi.NewBotCommandScopeChat(chat)
		for _, s := range scopes {
			cmds := append(slices.Clone(commandDescriptions[s.locale]), sellerCommandDescriptions[s.locale]...)
			if err := set(cmds, &sc, s.code); err != nil {
				if ctx.Err() != nil {
					return err
				}
				a.o.Log.Warn("telegram setMyCommands for an admin chat failed", "chat", chat, "err", err)
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
