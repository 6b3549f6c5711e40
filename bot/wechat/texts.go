package wechat

import (
	"unicode"
)

// WeChat-only wording (the numbered-option prompt, answers to message types
// the bot cannot read, the custom menu) lives in templates/locales/<lang>/
// wechat.txt under "wx_" keys. Flow texts all come from the router.

// say returns the WeChat-only text key ("image", "menu_shop") in lang (the
// default locale if unknown).
func (a *Adapter) say(lang, key string) string {
	return a.texts.Text(lang, "wx_"+key, nil)
}

// choosePrompt is the line under n numbered options.
func (a *Adapter) choosePrompt(lang string, n int) string {
	if n == 1 {
		return a.say(lang, "choose_one")
	}
	return a.texts.Text(lang, "wx_choose", map[string]any{"N": n})
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
