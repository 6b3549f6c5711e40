package telegram

import (
	"context"
	"unicode"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/templates"
)

// The adapter's own words — labels of Telegram-only controls and the short
// messages that carry a reply keyboard — are texts of the router's set
// (templates/locales/<lang>/telegram.txt).
const (
	textSharePhone    = "tg_share_phone"    // the request_contact button
	textPhonePrompt   = "tg_phone_prompt"   // the message carrying that button when the reply has inline buttons
	textPhoneReceived = "tg_phone_received" // the message removing it when nothing else can
	textPrivateChat   = "tg_private_chat"   // the URL button replacing checkout in groups
)

// word is one of the adapter's own texts in locale.
func (a *Adapter) word(locale, key string) string { return a.o.Router.Texts().Text(locale, key, nil) }

// replyLocale is the locale the adapter's own words are chosen in for a
// reply: the locale of the reply's script when the text says it clearly —
// the router writes in the language the user chose, which /lang may have
// made different from Telegram's — else the user's language_code (hint),
// else the default. Han characters weigh three: Chinese says more per
// character, and a Chinese sentence around a Latin name is still Chinese.
func replyLocale(text, hint string) string {
	var han, cyr, lat int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han += 3
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Latin, r):
			lat++
		}
	}
	const minLetters = 6 // fewer say nothing reliable
	switch best := max(han, cyr, lat); {
	case best < minLetters:
	case han == best && cyr < best && lat < best:
		return "zh-CN"
	case cyr == best && han < best && lat < best:
		return "ru"
	case lat == best && han < best && cyr < best:
		return "en"
	}
	if l := templates.Match(hint); l != "" {
		return l
	}
	return templates.Default
}

// actionCheckout is the router's checkout button; in groups it becomes a
// link to the private chat (see forChat).
const actionCheckout = "co"

// forChat adapts a reply to the chat it goes to. In a group (negative chat
// id) a checkout button ("co") becomes a URL button opening the bot's
// private chat: checkout asks for a name and a phone number, so the router
// only continues it in private and answers "checkout_private" in groups,
// which it cannot link itself. The link is the plain https://t.me/<bot>
// without a start payload because the router has no "/start cart" yet; the
// group cart is the user's group session, so the buyer continues from their
// private cart there. r's slices are not modified.
func (a *Adapter) forChat(r bot.Reply, chatID int64, hint string) bot.Reply {
	if chatID >= 0 || !hasAction(r.Buttons, actionCheckout) {
		return r
	}
	link := "https://t.me/" + a.username
	label := a.word(replyLocale(r.Text, hint), textPrivateChat)
	rows := make([][]bot.Button, len(r.Buttons))
	for i, row := range r.Buttons {
		rows[i] = append([]bot.Button(nil), row...)
		for j, b := range rows[i] {
			if b.URL == "" && b.Action == actionCheckout {
				rows[i][j] = bot.Button{Text: label, URL: link}
			}
		}
	}
	r.Buttons = rows
	return r
}

func hasAction(rows [][]bot.Button, action string) bool {
	for _, row := range rows {
		for _, b := range row {
			if b.URL == "" && b.Action == action {
				return true
			}
		}
	}
	return false
}

func hasButtons(rows [][]bot.Button) bool {
	for _, row := range rows {
		if len(row) > 0 {
			return true
		}
	}
	return false
}

// replyKeyboard is the reply keyboard (the custom keyboard in place of the
// user's) while the replies to one update go out.
//
// A message carries one reply_markup: an inline keyboard or a reply
// keyboard (or its removal), never both. Reply.AskPhone in a private chat
// therefore puts the one-time "share my phone" keyboard on the reply's last
// message when that has no inline buttons, and otherwise on a short
// separate message right after it (phonePrompt), so the inline buttons
// ("use my last number", "cancel") stay on the question. Groups never get
// it: request_contact works in private chats only, and personal data is
// not collected in groups.
//
// When the user shares their contact the keyboard has served: the first
// message of the replies without inline buttons carries remove_keyboard. If
// the first reply is a single message with buttons (the order review), a
// short note (phoneReceived) removing the keyboard goes first instead, and
// if nothing could carry it (a refused photo changed the layout) it goes
// last. A reply that asks for the phone again replaces the keyboard, so
// nothing is removed then. A number typed instead of shared, or a
// cancelled checkout, leaves the keyboard in place until a contact is
// shared: the adapter keeps no per-chat state that would tell it the
// keyboard is shown.
type replyKeyboard struct {
	hint   string // the user's language_code
	remove bool   // remove_keyboard still to be sent
	ids    []int  // the ids of the messages sent, in order
}

// markupKind is which reply_markup a message carries.
type markupKind int

const (
	noMarkup markupKind = iota
	inlineMarkup
	contactMarkup
	removeMarkup
)

// pick chooses the reply_markup of one message of a reply: inline buttons
// and the contact keyboard go on the last message, a pending removal on the
// first message free for it.
func (k *replyKeyboard) pick(last, inline, askPhone bool) markupKind {
	switch {
	case last && inline:
		return inlineMarkup
	case last && askPhone:
		return contactMarkup
	case k != nil && k.remove:
		return removeMarkup
	}
	return noMarkup
}

// sent records that a message with that markup went out.
func (k *replyKeyboard) sent(m markupKind) {
	if k != nil && (m == contactMarkup || m == removeMarkup) {
		k.remove = false
	}
}

// markup is the reply_markup value for a message (nil for none).
func (a *Adapter) markup(m markupKind, inline *tgbotapi.InlineKeyboardMarkup, locale string) any {
	switch m {
	case inlineMarkup:
		return inline
	case contactMarkup:
		return tgbotapi.NewOneTimeReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact(a.word(locale, textSharePhone))))
	case removeMarkup:
		return tgbotapi.NewRemoveKeyboard(false)
	}
	return nil
}

// askPhone reports whether r gets the contact keyboard in chatID.
func askPhone(r bot.Reply, chatID int64) bool { return r.AskPhone && chatID > 0 }

// carriesPlain reports whether sending r as new messages yields a message
// without inline buttons (which can carry a keyboard removal). It predicts
// sendReply's layout; a wrong guess only moves the removal note.
func (a *Adapter) carriesPlain(r bot.Reply) bool {
	photo, _, chunks := a.layout(r)
	n := len(chunks)
	if photo != "" {
		n++
	}
	return n > 1 || (n == 1 && !hasButtons(r.Buttons))
}

// note sends one of the adapter's short messages carrying a reply keyboard
// or its removal.
func (a *Adapter) note(ctx context.Context, chatID int64, text string, markup any) error {
	m := tgbotapi.NewMessage(chatID, escapeHTML(text))
	m.ParseMode, m.DisableWebPagePreview = tgbotapi.ModeHTML, true
	m.ReplyMarkup = markup
	_, err := a.sender.Send(ctx, chatID, m)
	return err
}
