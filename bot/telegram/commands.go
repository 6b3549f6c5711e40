package telegram

import (
	"context"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

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

// SetCommands registers the command menu with setMyCommands: once per
// supported locale for users whose Telegram language matches (language_code
// "zh", "en", "ru") and once without a language code, in the default
// locale, for everyone else.
func (a *Adapter) SetCommands(ctx context.Context) error {
	type scope struct{ code, locale string }
	scopes := []scope{{"", templates.Default}}
	for _, l := range templates.Locales {
		code, _, _ := strings.Cut(l, "-")
		scopes = append(scopes, scope{code, l})
	}
	for _, s := range scopes {
		cmds, ok := commandDescriptions[s.locale]
		if !ok {
			return fmt.Errorf("telegram: no command descriptions for %s", s.locale)
		}
		c := tgbotapi.SetMyCommandsConfig{Commands: cmds, LanguageCode: s.code}
		if _, err := a.sender.run(ctx, call{method: "setMyCommands",
			do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }}); err != nil {
			return err
		}
	}
	return nil
}
