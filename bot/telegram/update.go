package telegram

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

// incoming is an update converted for the router, plus what rendering the
// replies needs.
type incoming struct {
	msg    bot.Message
	chatID int64
	// pressed is the message whose inline button was pressed (the target of
	// Reply.Edit); nil for typed messages.
	pressed *tgbotapi.Message
	// replyTo quotes the triggering message in groups, so it is clear whom
	// the bot answers.
	replyTo int
	// contact: the user shared their phone number (the request_contact
	// keyboard did its job and is removed with the replies).
	contact bool
	// photo is the picture to download into msg.Photo before routing.
	photo photoRef
}

// Reasons an update is acknowledged but not routed (logged at debug level).
const (
	ignoreEdited       = "edited"
	ignoreUnsupported  = "unsupported update type"
	ignoreNoChat       = "no chat"
	ignoreChatType     = "unknown chat type"
	ignoreBot          = "sent by a bot"
	ignoreAnonymous    = "no sender"
	ignoreForward      = "forwarded"
	ignoreSticker      = "sticker"
	ignoreService      = "service message"
	ignoreMedia        = "media without text"
	ignoreContact      = "contact of someone else or in a group"
	ignoreOtherBot     = "command for another bot"
	ignoreGroupChatter = "group message not addressed to the bot"
	ignoreInline       = "callback without a chat message"
	ignoreNoData       = "callback without data"
)

// convert maps an update to a router message, or says why it is ignored.
//
//   - message, channel_post: private chats always; groups, supergroups and
//     channels only for commands (bare or /cmd@ThisBot), mentions of the bot
//     and replies to the bot.
//   - a reply to one of the bot's messages carries its id as ReplyTo.
//   - callback_query: always (only our own messages carry our buttons);
//     Action = data, UpdateID = "cb:" + callback id.
//   - a photo, or a PNG/JPEG sent as a file, in a private chat: routed
//     with Photo (downloaded by process) and the caption as Text.
//   - a successful_payment (a service message): routed with Paid, from
//     the payer, in any chat (see payments.go). A pre_checkout_query is
//     no message: process answers it (fromPreCheckout).
//   - edited messages, stickers, service messages, other media, media in
//     groups, forwards, messages of other bots and every other update
//     type: ignored.
func (a *Adapter) convert(u *tgbotapi.Update) (incoming, string) {
	switch {
	case u.CallbackQuery != nil:
		return a.fromCallback(u.CallbackQuery)
	case u.Message != nil:
		return a.fromMessage(u.UpdateID, u.Message)
	case u.ChannelPost != nil:
		return a.fromMessage(u.UpdateID, u.ChannelPost)
	case u.EditedMessage != nil, u.EditedChannelPost != nil:
		return incoming{}, ignoreEdited
	}
	return incoming{}, ignoreUnsupported
}

func isGroup(chatType string) (group, ok bool) {
	switch chatType {
	case "private":
		return false, true
	case "group", "supergroup", "channel":
		return true, true
	}
	return false, false
}

func (a *Adapter) fromCallback(cb *tgbotapi.CallbackQuery) (incoming, string) {
	switch {
	case cb.Message == nil || cb.Message.Chat == nil:
		return incoming{}, ignoreInline
	case cb.From == nil:
		return incoming{}, ignoreAnonymous
	case cb.Data == "" || cb.ID == "":
		return incoming{}, ignoreNoData
	}
	group, ok := isGroup(cb.Message.Chat.Type)
	if !ok {
		return incoming{}, ignoreChatType
	}
	chat := cb.Message.Chat.ID
	return incoming{
		msg: bot.Message{
			Channel: bot.ChannelTelegram, ChatID: itoa(chat), UserID: itoa(cb.From.ID),
			FirstName: cb.From.FirstName, Action: cb.Data, Lang: cb.From.LanguageCode,
			UpdateID: "cb:" + cb.ID, Group: group,
		},
		chatID:  chat,
		pressed: cb.Message,
	}, ""
}

func (a *Adapter) fromMessage(updateID int, m *tgbotapi.Message) (incoming, string) {
	if m.Chat == nil {
		return incoming{}, ignoreNoChat
	}
	group, ok := isGroup(m.Chat.Type)
	if !ok {
		return incoming{}, ignoreChatType
	}
	if m.SuccessfulPayment != nil {
		return a.fromPayment(updateID, m, group)
	}
	// Who sent it: a user, or a chat (a channel's post, an anonymous admin).
	var user int64
	var first, lang string
	switch {
	case m.IsAutomaticForward:
		return incoming{}, ignoreForward
	case m.SenderChat != nil && group:
		user, first = m.SenderChat.ID, m.SenderChat.Title
	case m.From == nil:
		return incoming{}, ignoreAnonymous
	case m.From.IsBot:
		return incoming{}, ignoreBot
	default:
		user, first, lang = m.From.ID, m.From.FirstName, m.From.LanguageCode
	}
	if m.ForwardFrom != nil || m.ForwardFromChat != nil || m.ForwardSenderName != "" || m.ForwardDate != 0 {
		return incoming{}, ignoreForward
	}

	text, contact := m.Text, false
	var photo photoRef
	switch {
	case m.Contact != nil:
		// Only the user's own number, shared in the private chat (the
		// request_contact button), fills the phone; personal data never
		// comes from a group.
		if group || m.From == nil || m.Contact.UserID != m.From.ID || m.Contact.PhoneNumber == "" {
			return incoming{}, ignoreContact
		}
		text = contactPhone(m.Contact.PhoneNumber)
		contact = true
	case text == "" && !group && (len(m.Photo) > 0 || m.Document != nil):
		var ok bool
		if photo, ok = photoOf(m); !ok {
			return incoming{}, ignoreMedia
		}
		text = strings.TrimSpace(m.Caption)
	case text == "":
		switch {
		case m.Sticker != nil:
			return incoming{}, ignoreSticker
		case isService(m):
			return incoming{}, ignoreService
		}
		return incoming{}, ignoreMedia
	default:
		var why string
		if text, why = a.normalizeText(m, group); why != "" {
			return incoming{}, why
		}
	}
	in := incoming{
		msg: bot.Message{
			Channel: bot.ChannelTelegram, ChatID: itoa(m.Chat.ID), UserID: itoa(user),
			FirstName: first, Text: text, Lang: lang, UpdateID: strconv.Itoa(updateID), Group: group,
		},
		chatID:  m.Chat.ID,
		contact: contact,
		photo:   photo,
	}
	if group {
		in.replyTo = m.MessageID
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.ID == a.botID && r.MessageID != 0 && !contact {
		// A reply to one of our messages: a seller answering a buyer's
		// question replies to the message that passed it on.
		in.msg.ReplyTo = strconv.Itoa(r.MessageID)
	}
	return in, ""
}

// contactPhone puts the "+" back on the all-digit international numbers
// Telegram shares.
func contactPhone(p string) string {
	p = strings.TrimSpace(p)
	if p != "" && strings.Trim(p, "0123456789") == "" {
		return "+" + p
	}
	return p
}

func isService(m *tgbotapi.Message) bool {
	return len(m.NewChatMembers) > 0 || m.LeftChatMember != nil || m.NewChatTitle != "" ||
		len(m.NewChatPhoto) > 0 || m.DeleteChatPhoto || m.GroupChatCreated || m.SuperGroupChatCreated ||
		m.ChannelChatCreated || m.MigrateToChatID != 0 || m.MigrateFromChatID != 0 || m.PinnedMessage != nil ||
		m.MessageAutoDeleteTimerChanged != nil || m.VoiceChatStarted != nil || m.VoiceChatEnded != nil ||
		m.VoiceChatScheduled != nil || m.VoiceChatParticipantsInvited != nil || m.ProximityAlertTriggered != nil ||
		m.SuccessfulPayment != nil || m.ConnectedWebsite != ""
}

// normalizeText applies the group rules and cleans commands: "/cmd@ThisBot
// args" becomes "/cmd args", a /start payload that is not a valid deep-link
// payload is dropped, mentions of the bot are removed.
func (a *Adapter) normalizeText(m *tgbotapi.Message, group bool) (string, string) {
	text := strings.TrimSpace(m.Text)
	if strings.HasPrefix(text, "/") {
		return a.normalizeCommand(text)
	}
	if !group {
		return text, ""
	}
	mentioned := a.mentionRe.MatchString(text) || a.textMentioned(m)
	repliedToBot := m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == a.botID
	if !mentioned && !repliedToBot {
		return "", ignoreGroupChatter
	}
	text = strings.Join(strings.Fields(a.mentionRe.ReplaceAllString(text, " ")), " ")
	switch {
	case text == "":
		return "/start", "" // a bare mention opens the menu
	case strings.HasPrefix(text, "/"):
		return a.normalizeCommand(text)
	}
	return text, ""
}

func (a *Adapter) textMentioned(m *tgbotapi.Message) bool {
	for _, e := range m.Entities {
		if e.Type == "text_mention" && e.User != nil && e.User.ID == a.botID {
			return true
		}
	}
	return false
}

func (a *Adapter) normalizeCommand(text string) (string, string) {
	cmd, rest := text, ""
	if i := strings.IndexAny(text, " \t\n"); i >= 0 {
		cmd, rest = text[:i], strings.TrimSpace(text[i+1:])
	}
	name, target, addressed := strings.Cut(cmd, "@")
	if addressed && !strings.EqualFold(target, a.username) {
		return "", ignoreOtherBot
	}
	if strings.EqualFold(name, "/start") && rest != "" && !ValidPayload(rest) {
		rest = "" // a tampered or foreign deep link opens the menu
	}
	if rest == "" {
		return name, ""
	}
	return name + " " + rest, ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var (
	payloadRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	usernameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
	secretRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)
)

// MinWebhookSecret is the shortest webhook secret accepted. Telegram takes
// one character; the secret is all that tells Telegram's calls from
// anyone's, so it must not be guessable.
const MinWebhookSecret = 16

// ValidPayload reports whether p is a valid deep-link start payload: 1–64
// characters of A-Z a-z 0-9 _ -.
func ValidPayload(p string) bool { return payloadRe.MatchString(p) }

// DeepLink returns the t.me link that opens the bot's private chat with
// "/start payload" (payloads the router knows: "p_<id>" a product, "c_<id>"
// a category).
func DeepLink(botUsername, payload string) (string, error) {
	botUsername = strings.TrimPrefix(botUsername, "@")
	if !usernameRe.MatchString(botUsername) {
		return "", errors.New("telegram: invalid bot username")
	}
	if !ValidPayload(payload) {
		return "", errors.New("telegram: deep-link payload must be 1–64 characters of A-Z a-z 0-9 _ -")
	}
	return "https://t.me/" + botUsername + "?start=" + payload, nil
}
