package wechat

import (
	"fmt"
	"unicode"

	"shopbot/templates"
)

// WeChat-only wording (the numbered-option prompt, answers to message types
// the bot cannot read, the custom menu) lives here rather than in templates/,
// in the same three locales. Flow texts all come from the router.
var texts = map[string]map[string]string{
	"zh-CN": {
		"choose_one":  "回复 1 选择",
		"choose":      "回复数字 1–%d 选择",
		"image":       "暂时无法识别图片。请发送文字，或回复选项前的数字。",
		"voice":       "暂不支持语音消息，请发送文字。",
		"unsupported": "暂不支持此类消息，请发送文字。",
		"location":    "已收到你的位置。",
		"menu_shop":   "商城",
		"menu_cart":   "购物车",
		"menu_orders": "我的订单",
	},
	"en": {
		"choose_one":  "Reply 1 to choose",
		"choose":      "Reply with a number, 1–%d",
		"image":       "Sorry, I can't read pictures yet. Please type, or reply with an option's number.",
		"voice":       "Voice messages aren't supported yet — please type instead.",
		"unsupported": "This kind of message isn't supported yet — please type instead.",
		"location":    "Thanks, I got your location.",
		"menu_shop":   "Shop",
		"menu_cart":   "Cart",
		"menu_orders": "My orders",
	},
	"ru": {
		"choose_one":  "Ответьте 1, чтобы выбрать",
		"choose":      "Ответьте цифрой от 1 до %d",
		"image":       "Картинки пока не распознаются. Напишите текстом или ответьте номером варианта.",
		"voice":       "Голосовые сообщения пока не поддерживаются — напишите, пожалуйста, текстом.",
		"unsupported": "Такие сообщения пока не поддерживаются — напишите, пожалуйста, текстом.",
		"location":    "Спасибо, местоположение получено.",
		"menu_shop":   "Магазин",
		"menu_cart":   "Корзина",
		"menu_orders": "Мои заказы",
	},
}

// say returns the WeChat-only text key in lang (default locale if unknown).
func say(lang, key string) string {
	m, ok := texts[lang]
	if !ok {
		m = texts[templates.Default]
	}
	return m[key]
}

// choosePrompt is the line under numbered options.
func choosePrompt(lang string, n int) string {
	if n == 1 {
		return say(lang, "choose_one")
	}
	return fmt.Sprintf(say(lang, "choose"), n)
}

// detectLang guesses the locale of the router's replies from their script:
// the adapter does not see the session's language, but its texts are
// written in it. Latin letters appear in every language (brands, "ml"), so
// Han characters count three times (one is a word) and Cyrillic letters
// twice. It returns ""
// for text without letters.
func detectLang(s string) string {
	var han, cyr, lat int
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han += 3
		case unicode.Is(unicode.Cyrillic, r):
			cyr += 2
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			lat++
		}
	}
	switch {
	case han == 0 && cyr == 0 && lat == 0:
		return ""
	case han >= cyr && han >= lat:
		return "zh-CN"
	case cyr >= lat:
		return "ru"
	}
	return "en"
}
