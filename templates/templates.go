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
	"strconv"
	"strings"
	"text/template"
	"time"

	"golang.org/x/text/language"

	"shopbot/commerce"
)

//go:embed locales
var files embed.FS

// Topics lists the text files of each locale: locales/<lang>/<topic>.txt.
// Each feature keeps its texts in a topic of its own; keys are unique
// across topics.
func Topics() []string {
	entries, err := files.ReadDir("locales/" + Default)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".txt"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	return out
}

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
	topic  map[string]string // key → topic
}

// Load parses the embedded locale files. It fails when a locale lacks a key
// that another has, so a missing translation is caught at start and in tests.
func Load() (*Set, error) {
	s := &Set{byLang: map[string]map[string]*template.Template{}, topic: map[string]string{}}
	all := map[string]bool{}
	topics := Topics()
	for _, lang := range Locales {
		// One template set per locale, so a text can include another
		// ({{template "order_body" .}}), across topics too.
		root := template.New(lang).Funcs(funcs(lang)).Option("missingkey=error")
		m := map[string]*template.Template{}
		for _, topic := range topics {
			raw, err := files.ReadFile("locales/" + lang + "/" + topic + ".txt")
			if err != nil {
				return nil, fmt.Errorf("templates: %s lacks topic %s: %w", lang, topic, err)
			}
			entries, err := parse(raw)
			if err != nil {
				return nil, fmt.Errorf("templates %s/%s: %w", lang, topic, err)
			}
			for key, text := range entries {
				if m[key] != nil {
					return nil, fmt.Errorf("templates %s: key %q is in two topics", lang, key)
				}
				if prev, ok := s.topic[key]; ok && prev != topic {
					return nil, fmt.Errorf("templates: key %q is in topic %s and %s", key, prev, topic)
				}
				t, err := root.New(key).Parse(text)
				if err != nil {
					return nil, fmt.Errorf("templates %s/%s: %w", lang, key, err)
				}
				m[key] = t
				s.topic[key] = topic
				all[key] = true
			}
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

// Topic names the topic file a key lives in.
func (s *Set) Topic(key string) string { return s.topic[key] }

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
		"slot":     func(t time.Time) string { return FormatSlot(lang, t) },
		"day":      func(t time.Time) string { return FormatDay(lang, t) },
		"clock":    func(t time.Time) string { return t.Format("15:04") },
		"distance": func(m float64) string { return FormatDistance(lang, m) },
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

// Short weekday (Sunday first) and month names per locale. Russian months are
// the abbreviated genitive forms used after a day number ("27 нояб.").
var (
	weekdays = map[string][7]string{
		"en":    {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		"zh-CN": {"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
		"ru":    {"вс", "пн", "вт", "ср", "чт", "пт", "сб"},
	}
	months = map[string][12]string{
		"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		"ru": {"янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."},
	}
)

// FormatDay renders the calendar day of t, in t's own location, the way a
// reader of lang expects it: "Thu 27 Nov", "11月27日 周四", "чт, 27 нояб.".
// Pass a time already converted to the pickup point's zone.
func FormatDay(lang string, t time.Time) string {
	wd := weekdays[lang]
	if wd[0] == "" {
		lang, wd = Default, weekdays[Default]
	}
	switch lang {
	case "zh-CN":
		return strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日 " + wd[t.Weekday()]
	case "ru":
		return wd[t.Weekday()] + ", " + strconv.Itoa(t.Day()) + " " + months["ru"][t.Month()-1]
	}
	return wd[t.Weekday()] + " " + strconv.Itoa(t.Day()) + " " + months["en"][t.Month()-1]
}

// FormatSlot is FormatDay plus the wall-clock time: "Thu 27 Nov 14:30",
// "11月27日 周四 14:30", "чт, 27 нояб. 14:30".
func FormatSlot(lang string, t time.Time) string {
	return FormatDay(lang, t) + " " + t.Format("15:04")
}

// FormatDistance renders a distance in metres: "850 m" under a kilometre,
// then "1.2 km" (one decimal below 10 km, whole kilometres above), with the
// locale's unit and decimal mark ("1,2 км", "1.2 公里").
func FormatDistance(lang string, meters float64) string {
	if meters < 0 || meters != meters {
		meters = 0
	}
	m, km, point := "m", "km", "."
	switch lang {
	case "ru":
		m, km, point = "м", "км", ","
	case "zh-CN":
		m, km = "米", "公里"
	}
	const nbsp = "\u00a0"
	if r := int(meters/10+0.5) * 10; r < 1000 {
		return strconv.Itoa(r) + nbsp + m
	}
	if meters < 10000 {
		tenths := int(meters/100 + 0.5)
		if tenths%10 == 0 {
			return strconv.Itoa(tenths/10) + nbsp + km
		}
		return strconv.Itoa(tenths/10) + point + strconv.Itoa(tenths%10) + nbsp + km
	}
	return strconv.Itoa(int(meters/1000+0.5)) + nbsp + km
}
