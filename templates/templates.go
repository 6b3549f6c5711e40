// Package templates holds every user-visible text of the bot, per locale
// (zh-CN, en, ru), embedded in the binary. Texts are Go text/templates; a
// golden test renders each one.
package templates

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"golang.org/x/text/language"

	"shopbot/commerce"
)

//go:embed locales/*.txt
var files embed.FS

// Default is the language used when nothing better is known.
const Default = "zh-CN"

// Locales lists the supported locales; the order is the order of the language menu.
var Locales = []string{"zh-CN", "en", "ru"}

var matcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English, language.Russian})

// Match maps any language hint ("en-US", "zh", "zh-Hans-CN", "ru-RU", an
// Accept-Language header) to a supported locale, or "" when none fits.
func Match(hint string) string {
	hint = strings.TrimSpace(hint)
	if hint == "" || len(hint) > 200 {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(hint)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return ""
	}
	return Locales[idx]
}

// Set is the parsed texts of every locale.
type Set struct {
	byLang map[string]map[string]*template.Template
	keys   []string
}

// Load parses the embedded locale files. It fails when a locale lacks a key
// that another has, so a missing translation is caught at start and in tests.
func Load() (*Set, error) {
	s := &Set{byLang: map[string]map[string]*template.Template{}}
	all := map[string]bool{}
	for _, lang := range Locales {
		raw, err := files.ReadFile("locales/" + lang + ".txt")
		if err != nil {
			return nil, err
		}
		entries, err := parse(raw)
		if err != nil {
			return nil, fmt.Errorf("templates %s: %w", lang, err)
		}
		// One template set per locale, so a text can include another
		// ({{template "order_body" .}}).
		root := template.New(lang).Funcs(funcs(lang)).Option("missingkey=error")
		m := map[string]*template.Template{}
		for key, text := range entries {
			t, err := root.New(key).Parse(text)
			if err != nil {
				return nil, fmt.Errorf("templates %s/%s: %w", lang, key, err)
			}
			m[key] = t
			all[key] = true
		}
		s.byLang[lang] = m
	}
	for key := range all {
		for _, lang := range Locales {
			if s.byLang[lang][key] == nil {
				return nil, fmt.Errorf("templates: %s lacks %q", lang, key)
			}
		}
		s.keys = append(s.keys, key)
	}
	sort.Strings(s.keys)
	return s, nil
}

// MustLoad is Load for tests and main, panicking on a broken embedded file.
func MustLoad() *Set {
	s, err := Load()
	if err != nil {
		panic(err)
	}
	return s
}

// Keys lists every text key.
func (s *Set) Keys() []string { return s.keys }

// Has reports whether key exists.
func (s *Set) Has(key string) bool { return s.byLang[Default][key] != nil }

// Text renders key in lang (falling back to the default locale) with data. A
// rendering failure returns the key itself, never an error string.
func (s *Set) Text(lang, key string, data any) string {
	m := s.byLang[lang]
	if m == nil {
		m = s.byLang[Default]
	}
	t := m[key]
	if t == nil {
		return key
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return key
	}
	return strings.TrimRight(b.String(), "\n")
}

// parse reads "## key" headed blocks; text runs until the next header.
func parse(raw []byte) (map[string]string, error) {
	out := map[string]string{}
	var key string
	var body []string
	flush := func() error {
		if key == "" {
			return nil
		}
		if _, dup := out[key]; dup {
			return fmt.Errorf("duplicate key %q", key)
		}
		out[key] = strings.TrimSpace(strings.Join(body, "\n"))
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if k, ok := strings.CutPrefix(line, "## "); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			key, body = strings.TrimSpace(k), nil
			continue
		}
		if key == "" {
			if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
				return nil, fmt.Errorf("text before the first key: %q", line)
			}
			continue
		}
		body = append(body, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, flush()
}

func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"money": func(m commerce.Money) string { return FormatMoney(lang, m) },
		"tr":    func(t commerce.Text) string { return t.In(lang) },
		"add1":  func(i int) int { return i + 1 },
		"plural": func(n int, one, few, many string) string {
			return plural(lang, n, one, few, many)
		},
	}
}

// plural picks a form: Russian uses one/few/many, English one/many, Chinese none.
func plural(lang string, n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "ru":
		switch {
		case n%10 == 1 && n%100 != 11:
			return one
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			return few
		default:
			return many
		}
	case "en":
		if n == 1 {
			return one
		}
		return many
	}
	return one
}

var symbols = map[string]string{"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "KRW": "₩", "RUB": "₽", "HKD": "HK$", "GBP": "£"}

// FormatMoney renders an amount the way a buyer in lang reads it:
// "¥1,299.00" in Chinese and English, "1 299,00 ¥" in Russian.
func FormatMoney(lang string, m commerce.Money) string {
	dec := m.Decimal()
	neg := strings.HasPrefix(dec, "-")
	dec = strings.TrimPrefix(dec, "-")
	whole, frac, _ := strings.Cut(dec, ".")
	group, point := ",", "."
	if lang == "ru" {
		group, point = "\u00a0", ","
	}
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	num := b.String()
	if frac != "" {
		num += point + frac
	}
	sign := ""
	if neg {
		sign = "-"
	}
	sym, ok := symbols[m.Currency]
	if !ok {
		return sign + num + " " + m.Currency
	}
	if lang == "ru" {
		return sign + num + "\u00a0" + sym
	}
	return sign + sym + num
}
