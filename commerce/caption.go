package commerce

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Listing is what a seller's photo caption says about a new product. Any
// field may be missing: the seller is asked for it.
type Listing struct {
	Title       string
	Description string // the caption's further lines, if any
	Price       Money  // Amount 0: not given
	Stock       int
	HasStock    bool
	Origin      Origin // "": not given
}

// Lang is the language the listing's title is written in (TextLanguage:
// Han → zh-CN, Cyrillic → ru, Latin → en), "" without letters: its texts
// are stored under it, whatever the language of the chat.
func (l Listing) Lang() string { return TextLanguage(l.Title, "") }

// MaxCaption is the longest caption ParseCaption reads (Telegram's caption
// limit); the rest is ignored.
const MaxCaption = 1024

// A caption is free text in any order, one line or several:
//
//	Hyaluronic serum 30 ml ¥129 x20 #dutypaid
//	面霜 129元 库存20 #完税
//	Сыворотка 30 мл
//	990₽ · 20 шт #local
//
// Prices carry a currency sign or code (¥129, 129元, CNY 129, $12.50,
// 990 руб), a keyword (price 129, 价格129, цена 129), or are a decimal with
// two places (129.00), or a number alone on its line. Quantities carry a
// marker (x20, ×20, 20x, 20×, 20 pcs, 20件, 20 шт, 库存20, qty 20, stock: 20).
//
// ¥ and ￥ read as CNY although the yen uses the same sign: the sellers are
// selling into China, and a shop that does price in yen sets JPY as its
// currency (defaultCurrency, for bare amounts) — a caption cannot tell the
// two apart, so the sign follows the market, and "JPY 1200" names the yen.
// Origins are hashtags. What is left of the first line is the title; the
// other lines left over are the description.

// Each pattern's group 1 spans what is removed from the line when it
// matches; the context around it (start of line, a separator) is left.
var (
	num     = `(\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?|\d{1,12}(?:[.,]\d{1,3})?)`
	notWord = `[^\d.,a-zA-Zа-яА-ЯёЁ]` // before a number: CJK text may touch it, Latin or Cyrillic may not
	// The currency sign or code before the amount (2 sign, 3 amount).
	priceBefore = regexp.MustCompile(`(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ\d])((HK\$|US\$|[¥￥$€£₽]|CNY|RMB|USD|EUR|GBP|RUB|HKD|JPY)\s?` + num + `)`)
	// ... or after it (2 amount, 3 sign); a code must not run on into a word (checked in priceOf).
	priceAfter = regexp.MustCompile(`(?i)(?:^|` + notWord + `)(` + num + `\s?(元|块|HK\$|[¥￥$€£₽]|CNY|RMB|USD|EUR|GBP|RUB|HKD|JPY|руб(?:лей|ля|ль)?\.?))`)
	// A keyword before the amount (3 amount).
	priceWord = regexp.MustCompile(`(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ])((price|цена|价格|售价|单价)\s*[:：=]?\s*` + num + `)`)
	// A decimal with two places standing alone (2 amount).
	priceBare = regexp.MustCompile(`(?:^|\s)((\d{1,12}\.\d{2}))(?:$|\s)`)
	// A number that is the whole line (1 amount).
	priceLine = regexp.MustCompile(`^\s*` + num + `\s*$`)

	qtyEnd = `(?:$|[^\d%a-zA-Zа-яА-ЯёЁ.,]|[.,](?:\s|$))`
	// x20, ×20 (2 count).
	qtyX = regexp.MustCompile(`(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ\d])([x×]\s?(\d{1,7}))` + qtyEnd)
	// 20x, 20 x, 20× (2 count). No number may follow ("20x30", "20 x 30"
	// are sizes) nor a letter touch the x ("2XL").
	qtyXAfter = regexp.MustCompile(`(?i)(?:^|` + notWord + `)((\d{1,7})\s?[x×])(?:$|\s+[^\d\s]|[^\d\s%a-zA-Zа-яА-ЯёЁ.,]|[.,](?:\s|$))`)
	// 20 pcs, 20件, 20 шт (2 count).
	qtyUnit = regexp.MustCompile(`(?i)(?:^|` + notWord + `)((\d{1,7})\s?(pcs|pc|pieces|units|шт\.?|штук[аи]?|件|个))(?:$|[^a-zA-Zа-яА-ЯёЁ])`)
	// 库存20, qty: 20 (3 count).
	qtyWord = regexp.MustCompile(`(?i)(?:^|[^a-zA-Zа-яА-ЯёЁ])((库存|数量|qty|quantity|stock|кол-во|количество|остаток)\s*[:：=]?\s*(\d{1,7}))` + qtyEnd)
	hashtag = regexp.MustCompile(`[#＃]([\pL\pN_]+)`)

	separators = " ,，;；|·•/-–—:："
)

// originTags maps a lower-case hashtag to the origin it names.
var originTags = map[string]Origin{
	"bonded": OriginBonded, "保税": OriginBonded, "保税仓": OriginBonded, "бонд": OriginBonded,
	"directmail": OriginDirectMail, "direct_mail": OriginDirectMail, "direct": OriginDirectMail, "直邮": OriginDirectMail,
	"海外直邮": OriginDirectMail, "прямаяпочта": OriginDirectMail,
	"dutypaid": OriginDutyPaid, "duty_paid": OriginDutyPaid, "完税": OriginDutyPaid, "一般贸易": OriginDutyPaid,
	"пошлинаоплачена": OriginDutyPaid,
	"local":           OriginLocal, "local_stock": OriginLocal, "localstock": OriginLocal, "现货": OriginLocal,
	"本地现货": OriginLocal, "вналичии": OriginLocal,
}

// OriginTag reads one origin hashtag word (without the "#"); ok is false
// for any other word.
func OriginTag(word string) (Origin, bool) {
	o, ok := originTags[strings.ToLower(word)]
	return o, ok
}

var currencyOf = map[string]string{
	"¥": "CNY", "￥": "CNY", "元": "CNY", "块": "CNY", "rmb": "CNY", "cny": "CNY",
	"$": "USD", "us$": "USD", "usd": "USD", "hk$": "HKD", "hkd": "HKD",
	"€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "jpy": "JPY",
	"₽": "RUB", "rub": "RUB", "руб": "RUB", "рублей": "RUB", "рубля": "RUB", "рубль": "RUB",
}

// pricePattern is a price pattern with the groups of its amount and sign.
type pricePattern struct {
	re           *regexp.Regexp
	amount, sign int // sign 0: the default currency
}

var pricePatterns = []pricePattern{{priceBefore, 3, 2}, {priceAfter, 2, 3}, {priceWord, 3, 0}, {priceBare, 2, 0}}

// qtyPatterns are the quantity patterns with the group of their count.
var qtyPatterns = []struct {
	re    *regexp.Regexp
	count int
}{{qtyX, 2}, {qtyXAfter, 2}, {qtyUnit, 2}, {qtyWord, 3}}

// ParseAmount reads a price as a seller types it, in defaultCurrency unless
// it names another: "129", "129.50", "12,50", "1,299.00", "¥129", "129元",
// "CNY 129", "$12.50", "990 руб". ok is false when s is not one positive
// price and nothing else.
func ParseAmount(s, defaultCurrency string) (Money, bool) {
	if len(s) > 64 {
		return Money{}, false
	}
	s = cleanLine(s)
	if m := priceLine.FindStringSubmatch(s); m != nil {
		return toMoney(m[1], defaultCurrency)
	}
	for _, p := range pricePatterns {
		loc := p.re.FindStringSubmatchIndex(s)
		if loc == nil || strings.Trim(s[:loc[2]]+s[loc[3]:], separators) != "" {
			continue
		}
		return p.money(s, loc, defaultCurrency)
	}
	return Money{}, false
}

// ParseStock reads a stock count: "20", "20 pcs", "x20", "库存20". ok is
// false when s is not one count in 0..MaxStock and nothing else.
func ParseStock(s string) (int, bool) {
	if len(s) > 64 {
		return 0, false
	}
	s = cleanLine(s)
	if n, ok := atoi(s); ok {
		return n, true
	}
	for _, p := range qtyPatterns {
		loc := p.re.FindStringSubmatchIndex(s)
		if loc == nil || strings.Trim(s[:loc[2]]+s[loc[3]:], separators) != "" {
			continue
		}
		return atoi(s[loc[2*p.count]:loc[2*p.count+1]])
	}
	return 0, false
}

// ParseCaption reads a seller's caption; prices without a currency are in
// defaultCurrency. It never fails: what it cannot read stays in the title
// or the description.
func ParseCaption(caption, defaultCurrency string) Listing {
	if len(caption) > MaxCaption {
		caption = caption[:MaxCaption]
	}
	caption = strings.ToValidUTF8(caption, "")
	var l Listing
	var kept []string
	for line := range strings.Lines(caption) {
		line = strings.Trim(l.take(cleanLine(line), defaultCurrency), separators)
		if line != "" {
			kept = append(kept, line)
		}
	}
	if len(kept) > 0 {
		l.Title = kept[0]
		l.Description = strings.Join(kept[1:], "\n")
	}
	return l
}

// cleanLine drops control and format characters and squeezes spaces.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// take removes from line what it recognizes, filling the fields still
// empty, and returns the rest.
func (l *Listing) take(line, currency string) string {
	line = hashtag.ReplaceAllStringFunc(line, func(tag string) string {
		o, ok := OriginTag(hashtag.FindStringSubmatch(tag)[1])
		if !ok {
			return tag
		}
		if l.Origin == "" {
			l.Origin = o
		}
		return " "
	})
	// A number alone on its line: the price, or the stock once the price is known.
	if m := priceLine.FindStringSubmatch(line); m != nil {
		if l.Price.Amount == 0 {
			if p, ok := toMoney(m[1], currency); ok {
				l.Price = p
				return ""
			}
		}
		if n, ok := atoi(m[1]); ok && !l.HasStock {
			l.Stock, l.HasStock = n, true
			return ""
		}
	}
	if l.Price.Amount == 0 {
		for _, p := range pricePatterns {
			loc := p.re.FindStringSubmatchIndex(line)
			if loc == nil {
				continue
			}
			if m, ok := p.money(line, loc, currency); ok {
				l.Price = m
				line = cut(line, loc)
				break
			}
		}
	}
	if !l.HasStock {
		for _, p := range qtyPatterns {
			loc := p.re.FindStringSubmatchIndex(line)
			if loc == nil {
				continue
			}
			if n, ok := atoi(line[loc[2*p.count]:loc[2*p.count+1]]); ok {
				l.Stock, l.HasStock = n, true
				line = cut(line, loc)
				break
			}
		}
	}
	return strings.Join(strings.Fields(line), " ")
}

// cut removes group 1 of a match from line.
func cut(line string, loc []int) string {
	return strings.Join(strings.Fields(line[:loc[2]]+" "+line[loc[3]:]), " ")
}

// money turns a match into money.
func (p pricePattern) money(s string, loc []int, currency string) (Money, bool) {
	if p.sign != 0 {
		sign := s[loc[2*p.sign]:loc[2*p.sign+1]]
		if r, _ := utf8.DecodeRuneInString(sign); unicode.IsLetter(r) {
			// A code must end where a word would: "129 usdt" is no price.
			if next, _ := utf8.DecodeRuneInString(s[loc[1]:]); loc[1] < len(s) && (unicode.IsLetter(next) && next < 0x2E80) {
				return Money{}, false
			}
		}
		currency = currencyName(sign, currency)
	}
	return toMoney(s[loc[2*p.amount]:loc[2*p.amount+1]], currency)
}

func currencyName(sign, fallback string) string {
	sign = strings.TrimRight(strings.ToLower(sign), ".")
	if c, ok := currencyOf[sign]; ok {
		return c
	}
	if strings.HasPrefix(sign, "руб") {
		return "RUB"
	}
	if len(sign) == 3 {
		return strings.ToUpper(sign)
	}
	return fallback
}

// toMoney reads "1,299.00", "12,50" or "129" in currency; a positive
// amount up to MaxPrice only.
func toMoney(amount, currency string) (Money, bool) {
	if i := strings.IndexByte(amount, ','); i >= 0 && strings.Count(amount, ",") == 1 && !strings.Contains(amount, ".") && len(amount)-i <= 3 {
		amount = amount[:i] + "." + amount[i+1:] // a decimal comma: "12,50"
	} else {
		amount = strings.ReplaceAll(amount, ",", "") // thousands: "1,299.00"
	}
	m, err := ParseMoney(amount, currency)
	if err != nil || m.Amount <= 0 || m.Amount > MaxPrice {
		return Money{}, false
	}
	return m, true
}

// atoi reads a count in 0..MaxStock.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, n <= MaxStock
}
