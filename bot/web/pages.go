package web

// The HTML pages of the web channel: the chat page (GET /), the drop page
// (GET /d/{code}) and the notice page (too many new visitors, the WeChat
// sign-in failed). Their words live in templates/locales/<lang>/
// (webchat.txt, droppage.txt); each page is parsed once per locale with
// functions that speak it.

import (
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"shopbot/templates"
)

var (
	//go:embed static/index.html
	chatHTML string
	//go:embed static/drop.html
	dropHTML string
	//go:embed static/notice.html
	noticeHTML string
)

// pages are the parsed pages, by locale.
type pages struct {
	chat, drop, notice map[string]*template.Template
}

// ogLocales are the Open Graph names of the locales.
var ogLocales = map[string]string{"zh-CN": "zh_CN", "en": "en_US", "ru": "ru_RU"}

// parsePages parses the pages in every locale. Their functions:
//
//	t KEY               the text of KEY
//	td KEY NAME VALUE…  the text of KEY rendered with NAME: VALUE pairs
//	money, slot         commerce values as the locale writes them
//	ogLocale            the locale's Open Graph name
//	iso, link, web      a time as RFC 3339; URLs a page may link or load
func parsePages(texts *templates.Set) (pages, error) {
	p := pages{chat: map[string]*template.Template{}, drop: map[string]*template.Template{}, notice: map[string]*template.Template{}}
	for _, lang := range templates.Locales {
		funcs := template.FuncMap{
			"t": func(key string) string { return texts.Text(lang, key, nil) },
			"td": func(key string, pairs ...any) (string, error) {
				if len(pairs)%2 != 0 {
					return "", fmt.Errorf("td %s: odd number of arguments", key)
				}
				data := map[string]any{}
				for i := 0; i < len(pairs); i += 2 {
					name, ok := pairs[i].(string)
					if !ok {
						return "", fmt.Errorf("td %s: argument %d is no name", key, i)
					}
					data[name] = pairs[i+1]
				}
				return texts.Text(lang, key, data), nil
			},
			"money":    templates.FormatMoney,
			"slot":     templates.FormatSlot,
			"ogLocale": func() string { return ogLocales[lang] },
			"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
			"link":     safeLink,
			"web":      webURL,
		}
		chat, err := template.New("chat").Funcs(funcs).Parse(chatHTML)
		if err != nil {
			return pages{}, fmt.Errorf("chat page: %w", err)
		}
		drop, err := template.New("drop").Funcs(funcs).Parse(dropHTML)
		if err != nil {
			return pages{}, fmt.Errorf("drop page: %w", err)
		}
		notice, err := template.New("notice").Funcs(funcs).Parse(noticeHTML)
		if err != nil {
			return pages{}, fmt.Errorf("notice page: %w", err)
		}
		p.chat[lang], p.drop[lang], p.notice[lang] = chat, drop, notice
	}
	return p, nil
}

// pageLang picks a page's language: ?lang=, then Accept-Language, then the
// default.
func pageLang(r *http.Request) string {
	if l := templates.Match(r.URL.Query().Get("lang")); l != "" {
		return l
	}
	if l := templates.Match(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return templates.Default
}
