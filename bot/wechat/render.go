package wechat

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"shopbot/bot"
	"shopbot/templates"
)

// Rendering limits.
const (
	// maxTextBytes keeps one text message under WeChat's 2048-byte limit.
	maxTextBytes = 2000
	// maxOptions is the largest number offered ("reply 1–99"); msgmenu ids
	// keep the number in their last two digits.
	maxOptions = 99
	// maxMenuItems is the most options shown as a clickable msgmenu; more
	// are sent as numbered text.
	maxMenuItems = 10
	// staleAction is an action code the router does not know: it answers it
	// as a stale button (used for a tap on an outdated msgmenu).
	staleAction = "stale"
)

// option is one numbered choice.
type option struct {
	label, action string
}

// card is a product shown as a news (picture and text) message.
type card struct {
	title, desc, picURL, url string
}

// block is one Reply's text with its button rows (indices into options)
// and link buttons.
type block struct {
	text  string
	rows  [][]int
	links []string
}

// rendered is a router answer prepared for WeChat: product cards first,
// then one text (split in chunks when long) whose options are numbered
// across the whole answer.
type rendered struct {
	cards   []card
	blocks  []block
	options []option
	lang    string
	prompt  string // the reply-with-a-number line, when there are options
	gen     int64  // the Choices generation the options were saved under
}

// render prepares replies. lang is the user's last known locale, used when
// the replies have no letters to tell theirs. Reply.Edit is ignored: a sent
// WeChat message cannot be edited, so the new state is a new message.
func (a *Adapter) render(replies []bot.Reply, lang string) rendered {
	var r rendered
	var all strings.Builder
	for _, rep := range replies {
		if rep.Image != "" && a.o.PublicURL != "" {
			r.cards = append(r.cards, productCard(rep.Text, a.absURL(rep.Image)))
		}
		b := block{text: strings.TrimSpace(rep.Text)}
		all.WriteString(rep.Text)
		for _, row := range rep.Buttons {
			var idx []int
			for _, btn := range row {
				all.WriteString(" " + btn.Text)
				switch {
				case btn.Action != "" && len(r.options) < maxOptions:
					r.options = append(r.options, option{label: oneLine(btn.Text), action: btn.Action})
					idx = append(idx, len(r.options))
				case btn.URL != "":
					b.links = append(b.links, oneLine(btn.Text)+": "+btn.URL)
				}
			}
			if len(idx) > 0 {
				b.rows = append(b.rows, idx)
			}
		}
		if b.text != "" || len(b.rows) > 0 || len(b.links) > 0 {
			r.blocks = append(r.blocks, b)
		}
	}
	r.lang = detectLang(all.String())
	if r.lang == "" {
		r.lang = lang
	}
	if r.lang == "" {
		r.lang = templates.Default
	}
	if len(r.options) > 0 {
		r.prompt = a.choosePrompt(r.lang, len(r.options))
	}
	return r
}

func (r rendered) empty() bool { return len(r.blocks) == 0 && len(r.cards) == 0 }

func (r rendered) actions() []string {
	out := make([]string, len(r.options))
	for i, o := range r.options {
		out[i] = o.action
	}
	return out
}

// numbered renders the whole answer as text with "[n] label" options and
// the reply-with-a-number prompt, in chunks of at most maxTextBytes.
func (r rendered) numbered() []string {
	var sb strings.Builder
	for i, b := range r.blocks {
		if i > 0 {
			sb.WriteString("\n\n")
		}
		sb.WriteString(b.text)
		for j, row := range b.rows {
			if b.text != "" || j > 0 {
				sb.WriteString("\n")
			}
			for k, n := range row {
				if k > 0 {
					sb.WriteString("   ")
				}
				fmt.Fprintf(&sb, "[%d] %s", n, r.options[n-1].label)
			}
		}
		for _, l := range b.links {
			sb.WriteString("\n" + l)
		}
	}
	if len(r.options) > 0 {
		sb.WriteString("\n\n" + r.prompt)
	}
	return chunks(strings.TrimSpace(sb.String()), maxTextBytes)
}

// plain renders the texts and links without the numbered options (the
// head of a msgmenu), in chunks.
func (r rendered) plain() []string {
	var parts []string
	for _, b := range r.blocks {
		p := b.text
		for _, l := range b.links {
			p += "\n" + l
		}
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return chunks(strings.Join(parts, "\n\n"), maxTextBytes)
}

// canMenu reports whether the options fit a clickable msgmenu.
func (r rendered) canMenu() bool {
	if len(r.options) == 0 || len(r.options) > maxMenuItems {
		return false
	}
	for _, o := range r.options {
		if len(o.label) > 200 {
			return false
		}
	}
	return true
}

// menuID is the msgmenu item id of option n (1-based): the generation and
// the number, so a tap maps back only while these options are current.
func menuID(gen int64, n int) string { return strconv.FormatInt(gen*100+int64(n), 10) }

// productCard makes a news card from a product text: the first line is the
// title, the lines up to the first blank one (price, stock) the description.
func productCard(text, img string) card {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	c := card{title: truncate(strings.TrimSpace(lines[0]), 64), picURL: img, url: img}
	var desc []string
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		desc = append(desc, strings.TrimSpace(l))
	}
	c.desc = truncate(strings.Join(desc, "\n"), 120)
	return c
}

// absURL makes a site-relative image URL absolute; URLs of pictures hosted
// elsewhere are kept.
func (a *Adapter) absURL(img string) string {
	if strings.HasPrefix(img, "https://") || strings.HasPrefix(img, "http://") {
		return img
	}
	if !strings.HasPrefix(img, "/") {
		img = "/" + img
	}
	return a.o.PublicURL + img
}

// chunks splits s at line ends into pieces of at most max bytes (a longer
// line is cut at a rune boundary).
func chunks(s string, max int) []string {
	if s == "" {
		return nil
	}
	var out []string
	for len(s) > max {
		cut := strings.LastIndexByte(s[:max], '\n')
		if cut <= 0 {
			cut = max
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimLeft(s[cut:], "\n")
	}
	return append(out, s)
}

func truncate(s string, runes int) string {
	if utf8.RuneCountInString(s) <= runes {
		return s
	}
	r := []rune(s)
	return string(r[:runes-1]) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// choiceNumber reads a typed option number: one or two digits, full-width
// digits (from Chinese input methods) included.
func choiceNumber(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n, digits := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int(r-'0')
		case r >= '０' && r <= '９':
			n = n*10 + int(r-'０')
		default:
			return 0, false
		}
		digits++
	}
	return n, digits <= 2 && n >= 1
}

// passiveText is the XML of a passive text reply.
func passiveText(to, from string, content string, now time.Time) []byte {
	m := message.NewText(content)
	m.SetToUserName(message.CDATA(to))
	m.SetFromUserName(message.CDATA(from))
	m.SetCreateTime(now.Unix())
	m.SetMsgType(message.MsgTypeText)
	out, _ := xml.Marshal(m) // plain strings: cannot fail
	return out
}

// kfMessages renders the answer as customer-service messages: cards as
// news, the text as msgmenu when the options fit (the last chunk carries
// them) or as numbered text.
func (r rendered) kfMessages(openID string) []*message.CustomerMessage {
	var out []*message.CustomerMessage
	for _, c := range r.cards {
		out = append(out, newsMessage(openID, c))
	}
	if !r.canMenu() {
		for _, t := range r.numbered() {
			out = append(out, message.NewCustomerTextMessage(openID, t))
		}
		return out
	}
	heads := r.plain()
	if len(heads) == 0 {
		heads = []string{""}
	}
	for _, t := range heads[:len(heads)-1] {
		out = append(out, message.NewCustomerTextMessage(openID, t))
	}
	menu := &message.MediaMsgmenu{HeadContent: heads[len(heads)-1]}
	for i, o := range r.options {
		menu.List = append(menu.List, message.MsgmenuItem{ID: menuID(r.gen, i+1), Content: o.label})
	}
	return append(out, &message.CustomerMessage{ToUser: openID, Msgtype: "msgmenu", Msgmenu: menu})
}

func newsMessage(openID string, c card) *message.CustomerMessage {
	return &message.CustomerMessage{ToUser: openID, Msgtype: message.MsgTypeNews, News: &message.MediaNews{
		Articles: []message.MediaArticles{{Title: c.title, Description: c.desc, URL: c.url, Picurl: c.picURL}},
	}}
}
