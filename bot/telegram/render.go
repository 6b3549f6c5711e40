package telegram

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

// Telegram's size limits, in characters after entity parsing (UTF-16 code
// units; we count a rune outside the BMP as two, which is what Telegram does).
const (
	MaxTextLen    = 4096
	MaxCaptionLen = 1024
)

// render sends the router's replies in order. The first reply with Edit set
// edits the message whose button was pressed when that is possible (same
// kind of message, fits one message); otherwise, and for all other replies,
// new messages are sent. Replies are adapted to the chat first (forChat),
// and the reply keyboard is handled as replyKeyboard describes. A blocked
// chat or an expired context stops the remaining replies; other failures
// are logged by the Sender and the next reply is still tried.
func (a *Adapter) render(ctx context.Context, in incoming, replies []bot.Reply) {
	editable := in.pressed
	replyTo := in.replyTo
	kb := &replyKeyboard{hint: in.msg.Lang}
	if in.contact && in.chatID > 0 && len(replies) > 0 {
		kb.remove = true
		for _, r := range replies {
			if r.AskPhone {
				kb.remove = false // the new keyboard replaces the old one
			}
		}
	}
	if kb.remove && ((replies[0].Edit && editable != nil) || !a.carriesPlain(replies[0])) {
		err := a.note(ctx, in.chatID, a.word(replyLocale(replies[0].Text, kb.hint), textPhoneReceived), a.markup(removeMarkup, nil, ""))
		if err == nil {
			kb.sent(removeMarkup)
		}
		if stop(ctx, err) {
			return
		}
	}
	replies, private := a.splitPrivate(replies, in)
	defer a.sendPrivate(ctx, in, private)
	if len(replies) == 0 {
		return
	}
	for _, r := range replies {
		r = a.forChat(r, in.chatID, kb.hint)
		if r.Edit && editable != nil {
			target := editable
			editable = nil // one message can be edited once per update
			done, err := a.edit(ctx, in.chatID, target, r)
			if done {
				if err == nil && askPhone(r, in.chatID) {
					err = a.promptPhone(ctx, in.chatID, r, kb)
				}
				if err == nil {
					err = a.sendInvoice(ctx, in.chatID, r.Invoice)
				}
				if stop(ctx, err) {
					return
				}
				continue
			}
		}
		err := a.sendReply(ctx, in.chatID, r, replyTo, kb)
		replyTo = 0
		if stop(ctx, err) {
			return
		}
	}
	if kb.remove {
		_ = a.note(ctx, in.chatID, a.word(replyLocale(replies[0].Text, kb.hint), textPhoneReceived), a.markup(removeMarkup, nil, ""))
	}
}

// splitPrivate takes out of replies the toast-only ones (answered with
// the callback) and, in groups, those for the sender's private chat.
func (a *Adapter) splitPrivate(replies []bot.Reply, in incoming) (here, private []bot.Reply) {
	for _, r := range replies {
		switch {
		case r.Toast != "" && strings.TrimSpace(r.Text) == "" && r.Invoice == nil:
		case r.Private && in.chatID < 0:
			private = append(private, r)
		default:
			here = append(here, r)
		}
	}
	return here, private
}

// sendPrivate sends replies to the sender's private chat. A user who never
// started the bot cannot be written to (403): that is expected here, so it
// is only logged at debug level.
func (a *Adapter) sendPrivate(ctx context.Context, in incoming, replies []bot.Reply) {
	if len(replies) == 0 {
		return
	}
	user, err := strconv.ParseInt(in.msg.UserID, 10, 64)
	if err != nil || user <= 0 {
		return // a channel or an anonymous admin has no private chat
	}
	for _, r := range replies {
		r.Private = false
		err := a.sendReply(ctx, user, a.forChat(r, user, in.msg.Lang), 0, &replyKeyboard{hint: in.msg.Lang})
		if errors.Is(err, ErrBlocked) {
			a.log.DebugContext(ctx, "telegram private reply not delivered: the user has not started the bot", "user", a.logChat(user))
			return
		}
		if stop(ctx, err) {
			return
		}
	}
}

func stop(ctx context.Context, err error) bool {
	return errors.Is(err, ErrBlocked) || ctx.Err() != nil
}

// SendReply sends r to a chat as new message(s), through the rate-limited
// Sender: for background jobs (notifications, reminders). chatID is the
// decimal Telegram chat id (bot.Message.ChatID, commerce.Order.ChatID).
// Replies are adapted to the chat as in conversations (group checkout
// links, the contact keyboard for AskPhone in private chats), with the
// adapter's own words in the language of the reply's text.
func (a *Adapter) SendReply(ctx context.Context, chatID string, r bot.Reply) error {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil || id == 0 {
		return errors.New("telegram: invalid chat id")
	}
	return a.sendReply(ctx, id, a.forChat(r, id, ""), 0, &replyKeyboard{})
}

// SendReplyIDs is SendReply returning the ids of the messages sent (a
// picture, text chunks), for replies whose messages are remembered
// (bot.Reply.Conversation: a seller's reply to one answers a question).
func (a *Adapter) SendReplyIDs(ctx context.Context, chatID string, r bot.Reply) ([]string, error) {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil || id == 0 {
		return nil, errors.New("telegram: invalid chat id")
	}
	kb := &replyKeyboard{}
	err = a.sendReply(ctx, id, a.forChat(r, id, ""), 0, kb)
	ids := make([]string, 0, len(kb.ids))
	for _, m := range kb.ids {
		if m != 0 {
			ids = append(ids, strconv.Itoa(m))
		}
	}
	return ids, err
}

// promptPhone sends the contact keyboard on its own short message, for a
// reply whose last message could not carry it.
func (a *Adapter) promptPhone(ctx context.Context, chatID int64, r bot.Reply, kb *replyKeyboard) error {
	locale := replyLocale(r.Text, kb.hint)
	err := a.note(ctx, chatID, a.word(locale, textPhonePrompt), a.markup(contactMarkup, nil, locale))
	if err == nil {
		kb.sent(contactMarkup)
	}
	return err
}

// edit tries to edit target in place. done is false when a new message
// must be sent instead (different kind of message, too long, or Telegram
// refused the edit with 400). An edit that would leave target as it is —
// its text or caption and inline keyboard, as the callback query carries
// them — is not made (Telegram would answer 400 "message is not
// modified"); should Telegram answer that anyway (a press raced another
// edit), the edit counts as done as well.
func (a *Adapter) edit(ctx context.Context, chatID int64, target *tgbotapi.Message, r bot.Reply) (done bool, err error) {
	isPhoto := len(target.Photo) > 0
	wantPhoto := a.hasPhoto(r.Image)
	limit := MaxTextLen
	if isPhoto {
		limit = MaxCaptionLen
	}
	text := clean(r.Text)
	if isPhoto != wantPhoto || strings.TrimSpace(text) == "" || utf16Len(text) > limit {
		return false, nil
	}
	markup := a.keyboard(ctx, r.Buttons)
	if shows(target, text, markup) {
		a.event(EventEditUnchanged)
		return true, nil
	}
	base := tgbotapi.BaseEdit{ChatID: chatID, MessageID: target.MessageID, ReplyMarkup: markup}
	var c tgbotapi.Chattable
	if isPhoto {
		c = tgbotapi.EditMessageCaptionConfig{BaseEdit: base, Caption: escapeHTML(text), ParseMode: tgbotapi.ModeHTML}
	} else {
		c = tgbotapi.EditMessageTextConfig{BaseEdit: base, Text: escapeHTML(text), ParseMode: tgbotapi.ModeHTML, DisableWebPagePreview: true}
	}
	_, err = a.sender.run(ctx, call{method: methodName(c), chatID: chatID, limited: true, tolerant: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }})
	code, _ := classify(err)
	switch {
	case err == nil:
		return true, nil
	case code == 400 && isNotModified(err):
		a.event(EventEditUnchanged)
		return true, nil // the message changed since the press, into this
	case code == 400:
		// Too old, deleted, or not ours to edit: send a new message.
		a.event(EventEditFallback)
		a.log.DebugContext(ctx, "telegram edit refused, sending a new message", "chat", a.logChat(chatID), "err", err)
		return false, nil
	}
	return true, err
}

// isNotModified reports Telegram's 400 for an edit that changes nothing.
func isNotModified(err error) bool {
	return strings.Contains(apiDescription(err), "message is not modified")
}

// shows reports whether m already shows text (or, for a photo, the
// caption text) with the inline keyboard kb. Telegram returns a message's
// text unescaped (what text is before escapeHTML) and trimmed.
func shows(m *tgbotapi.Message, text string, kb *tgbotapi.InlineKeyboardMarkup) bool {
	cur := m.Text
	if len(m.Photo) > 0 {
		cur = m.Caption
	}
	if strings.TrimSpace(cur) != strings.TrimSpace(text) {
		return false
	}
	var have [][]tgbotapi.InlineKeyboardButton
	if m.ReplyMarkup != nil {
		have = m.ReplyMarkup.InlineKeyboard
	}
	var want [][]tgbotapi.InlineKeyboardButton
	if kb != nil {
		want = kb.InlineKeyboard
	}
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		if len(have[i]) != len(want[i]) {
			return false
		}
		for j := range have[i] {
			if !sameButton(have[i][j], want[i][j]) {
				return false
			}
		}
	}
	return true
}

// sameButton compares the fields the adapter sets (text, callback data,
// URL); a button with any other field is never one of ours.
func sameButton(a, b tgbotapi.InlineKeyboardButton) bool {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	other := func(x tgbotapi.InlineKeyboardButton) bool {
		return x.LoginURL != nil || x.SwitchInlineQuery != nil || x.SwitchInlineQueryCurrentChat != nil || x.CallbackGame != nil || x.Pay
	}
	return a.Text == b.Text && str(a.CallbackData) == str(b.CallbackData) && str(a.URL) == str(b.URL) && !other(a) && !other(b)
}

// layout cuts r into the messages sendReply sends: a photo (r.Image, ""
// for none) with the start of the text as caption, then text chunks of at
// most 4096 characters, blank ones left out.
func (a *Adapter) layout(r bot.Reply) (photo, caption string, chunks []string) {
	text := clean(r.Text)
	if a.hasPhoto(r.Image) {
		photo = r.Image
		caption, rest := cutText(text, MaxCaptionLen)
		return photo, strings.TrimSpace(caption), nonBlank(splitText(rest, MaxTextLen))
	}
	return "", "", nonBlank(splitText(text, MaxTextLen))
}

// sendReply sends r as new message(s): a photo with the text as caption
// (the rest as text when over 1024 characters), or text split into messages
// of ≤ 4096 characters, then r's invoice, if any (sendInvoice). Inline buttons — or, for AskPhone in a private chat,
// the contact keyboard — go on the last message; a contact keyboard that
// cannot goes on a short message of its own after it (see replyKeyboard).
func (a *Adapter) sendReply(ctx context.Context, chatID int64, r bot.Reply, replyTo int, kb *replyKeyboard) error {
	inline := a.keyboard(ctx, r.Buttons)
	ask := askPhone(r, chatID)
	locale := replyLocale(r.Text, kb.hint)
	asked := false
	pick := func(last bool) markupKind { return kb.pick(last, inline != nil, ask) }
	sent := func(m markupKind) {
		kb.sent(m)
		asked = asked || m == contactMarkup
	}
	photo, caption, chunks := a.layout(r)
	if photo != "" {
		p := tgbotapi.NewPhoto(chatID, nil)
		p.Caption, p.ParseMode = escapeHTML(caption), tgbotapi.ModeHTML
		p.ReplyToMessageID, p.AllowSendingWithoutReply = replyTo, replyTo != 0
		mk := pick(len(chunks) == 0)
		p.ReplyMarkup = a.markup(mk, inline, locale)
		pm, err := a.sendPhoto(ctx, chatID, photo, p)
		if refusedPicture(err) {
			// Telegram could not fetch or use the picture, or it could
			// not be read: the text alone still lets the buyer shop.
			a.event(EventPhotoFallback)
			a.log.WarnContext(ctx, "telegram photo refused, sending text only", "chat", a.logChat(chatID), "image", r.Image, "err", err)
			chunks = nonBlank(splitText(clean(r.Text), MaxTextLen))
		} else if err != nil {
			return err
		} else {
			sent(mk)
			kb.ids = append(kb.ids, pm.MessageID)
			replyTo = 0
		}
	}
	if len(chunks) == 0 && photo == "" && inline != nil && r.Invoice == nil {
		a.log.WarnContext(ctx, "telegram reply without text not sent", "chat", a.logChat(chatID))
	}
	for i, chunk := range chunks {
		m := tgbotapi.NewMessage(chatID, escapeHTML(chunk))
		m.ParseMode, m.DisableWebPagePreview = tgbotapi.ModeHTML, true
		if i == 0 && replyTo != 0 {
			m.ReplyToMessageID, m.AllowSendingWithoutReply = replyTo, true
		}
		mk := pick(i == len(chunks)-1)
		m.ReplyMarkup = a.markup(mk, inline, locale)
		tm, err := a.sender.Send(ctx, chatID, m)
		if err != nil {
			return err
		}
		sent(mk)
		kb.ids = append(kb.ids, tm.MessageID)
	}
	if ask && !asked {
		if err := a.promptPhone(ctx, chatID, r, kb); err != nil {
			return err
		}
	}
	return a.sendInvoice(ctx, chatID, r.Invoice)
}

// keyboard maps reply buttons to an inline keyboard. A button whose action
// does not fit callback_data (1–64 bytes) or whose URL is not http(s)/tg is
// dropped and logged rather than failing the whole message.
func (a *Adapter) keyboard(ctx context.Context, rows [][]bot.Button) *tgbotapi.InlineKeyboardMarkup {
	var kb [][]tgbotapi.InlineKeyboardButton
	for _, row := range rows {
		var out []tgbotapi.InlineKeyboardButton
		for _, b := range row {
			text := strings.TrimSpace(clean(b.Text))
			switch {
			case text == "":
				a.dropButton(ctx, "empty label", b)
			case b.URL != "":
				if !linkOK(b.URL) {
					a.dropButton(ctx, "bad url", b)
					continue
				}
				out = append(out, tgbotapi.NewInlineKeyboardButtonURL(text, b.URL))
			case b.Action == "" || len(b.Action) > bot.MaxActionLen || !utf8.ValidString(b.Action):
				a.dropButton(ctx, "callback_data not 1–64 bytes", b)
			default:
				out = append(out, tgbotapi.NewInlineKeyboardButtonData(text, b.Action))
			}
		}
		if len(out) > 0 {
			kb = append(kb, out)
		}
	}
	if len(kb) == 0 {
		return nil
	}
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: kb}
}

func (a *Adapter) dropButton(ctx context.Context, why string, b bot.Button) {
	a.event(EventButtonDropped)
	a.log.WarnContext(ctx, "telegram button dropped", "why", why, "action_bytes", len(b.Action))
}

func linkOK(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "https", "http":
		return u.Host != ""
	case "tg":
		return true
	}
	return false
}

// imageURL makes a reply's site-relative picture absolute on the public base
// URL, or "" when pictures cannot be fetched by Telegram (no public URL, or
// it names a loopback or private address; see uploadable then).
func (a *Adapter) imageURL(img string) string {
	if img == "" {
		return ""
	}
	if strings.HasPrefix(img, "https://") || strings.HasPrefix(img, "http://") {
		return img
	}
	if a.publicBase == "" {
		return ""
	}
	if !strings.HasPrefix(img, "/") {
		img = "/" + img
	}
	return a.publicBase + img
}

// publicPhotoBase returns the base URL Telegram can fetch pictures from, or
// "" when publicURL is not reachable from the Internet.
func publicPhotoBase(publicURL string) string {
	u, err := url.Parse(strings.TrimRight(publicURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast()) {
		return ""
	}
	return u.String()
}

// escapeHTML escapes text for parse_mode HTML: Telegram requires &, < and >
// as entities; " is escaped too so text can never end up in an attribute.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// clean makes s valid UTF-8 (Telegram rejects anything else).
func clean(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// utf16Len is the length Telegram measures: UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// splitText cuts s into pieces of at most limit UTF-16 units, preferring a
// line break, then a space, in the second half of each piece, else cutting
// between runes (and not before a combining mark or inside a ZWJ sequence).
// Splitting happens before HTML escaping, so no entity is ever cut; the
// pieces concatenate back to s.
func splitText(s string, limit int) []string {
	var out []string
	for s != "" {
		head, rest := cutText(s, limit)
		out = append(out, head)
		s = rest
	}
	return out
}

// cutText returns the first piece of s as splitText would cut it, and the rest.
func cutText(s string, limit int) (string, string) {
	if utf16Len(s) <= limit {
		return s, ""
	}
	// The longest prefix within limit.
	n, cut := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > limit {
			break
		}
		n += w
		cut = i + utf8.RuneLen(r)
	}
	if cut == 0 { // limit below one character: never loop forever
		_, cut = utf8.DecodeRuneInString(s)
	}
	head := s[:cut]
	if i := strings.LastIndexByte(head, '\n'); i >= 0 && i+1 >= len(head)/2 {
		cut = i + 1
	} else if i := strings.LastIndexByte(head, ' '); i >= 0 && i+1 >= len(head)/2 {
		cut = i + 1
	} else {
		cut = graphemeSafe(s, cut)
	}
	return s[:cut], s[cut:]
}

// graphemeSafe moves a hard cut back (a few runes at most) so it does not
// separate a combining mark, a variation selector or a zero-width joiner
// from the character before it.
func graphemeSafe(s string, cut int) int {
	orig := cut
	for range 8 {
		next, _ := utf8.DecodeRuneInString(s[cut:])
		prev, size := utf8.DecodeLastRuneInString(s[:cut])
		if !(unicode.Is(unicode.Mn, next) || unicode.Is(unicode.Me, next) || next == '\u200d' || next == '\ufe0f' || prev == '\u200d') || cut-size <= 0 {
			return cut
		}
		cut -= size
	}
	return orig
}

func nonBlank(chunks []string) []string {
	out := chunks[:0]
	for _, c := range chunks {
		if strings.TrimSpace(c) != "" {
			out = append(out, c)
		}
	}
	return out
}
