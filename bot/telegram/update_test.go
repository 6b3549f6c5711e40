package telegram

import (
	"reflect"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

func TestConvert(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	botUser := &tgbotapi.User{ID: fakeBotID, IsBot: true, FirstName: "Shop", UserName: fakeBotName}
	otherBot := &tgbotapi.User{ID: 777, IsBot: true, FirstName: "Other", UserName: "OtherBot"}
	anonAdmin := &tgbotapi.User{ID: 1087968824, IsBot: true, FirstName: "Group", UserName: "GroupAnonymousBot"}
	channel := &tgbotapi.Chat{ID: -1009999, Type: "channel", Title: "Drops"}
	msg := func(chat *tgbotapi.Chat, from *tgbotapi.User, text string, mod ...func(*tgbotapi.Message)) tgbotapi.Update {
		u := textUpdate(9, chat, from, text)
		for _, f := range mod {
			f(u.Message)
		}
		return u
	}
	replyTo := func(from *tgbotapi.User) func(*tgbotapi.Message) {
		return func(m *tgbotapi.Message) {
			m.ReplyToMessage = &tgbotapi.Message{MessageID: 1, From: from, Chat: m.Chat, Text: "earlier"}
		}
	}
	post := func(chat *tgbotapi.Chat, text string) tgbotapi.Update {
		return tgbotapi.Update{UpdateID: 9, ChannelPost: &tgbotapi.Message{MessageID: 1, SenderChat: chat, Chat: chat, Text: text}}
	}
	contact := func(chat *tgbotapi.Chat, owner int64, phone string) tgbotapi.Update {
		u := textUpdate(9, chat, alice, "")
		u.Message.Contact = &tgbotapi.Contact{PhoneNumber: phone, FirstName: "Alice", UserID: owner}
		return u
	}
	callback := func(chat *tgbotapi.Chat, data string) tgbotapi.Update {
		return tgbotapi.Update{UpdateID: 9, CallbackQuery: &tgbotapi.CallbackQuery{ID: "77", From: boris, Data: data,
			Message: &tgbotapi.Message{MessageID: 5, Chat: chat, From: botUser, Text: "menu"}}}
	}
	edited := msg(private(alice), alice, "/start")
	edited.EditedMessage, edited.Message = edited.Message, nil

	for _, tc := range []struct {
		name string
		u    tgbotapi.Update
		text string // expected Message.Text ("" with why set = ignored)
		why  string
	}{
		// Private chats: everything textual.
		{"private text", msg(private(alice), alice, "  hello  "), "hello", ""},
		{"private command", msg(private(alice), alice, "/cart"), "/cart", ""},
		{"deep link", msg(private(alice), alice, "/start p_12"), "/start p_12", ""},
		{"deep link with dash", msg(private(alice), alice, "/start drop-2024_x"), "/start drop-2024_x", ""},
		{"bad payload chars", msg(private(alice), alice, "/start p_1<script>"), "/start", ""},
		{"payload with spaces", msg(private(alice), alice, "/start p_1 p_2"), "/start", ""},
		{"payload too long", msg(private(alice), alice, "/start "+strings.Repeat("a", 65)), "/start", ""},
		{"payload at limit", msg(private(alice), alice, "/start "+strings.Repeat("a", 64)), "/start " + strings.Repeat("a", 64), ""},
		{"payload unicode", msg(private(alice), alice, "/start товар"), "/start", ""},
		{"command for us", msg(private(alice), alice, "/shop@"+fakeBotName), "/shop", ""},
		{"command for another bot", msg(private(alice), alice, "/shop@OtherBot"), "", ignoreOtherBot},
		{"own contact", contact(private(alice), alice.ID, "8613800138000"), "+8613800138000", ""},
		{"own contact with plus", contact(private(alice), alice.ID, "+7 912 345-67-89"), "+7 912 345-67-89", ""},
		{"someone else's contact", contact(private(alice), 5555, "8613800138000"), "", ignoreContact},
		{"contact without user", contact(private(alice), 0, "8613800138000"), "", ignoreContact},
		{"contact in a group", contact(group, alice.ID, "8613800138000"), "", ignoreContact},
		{"sticker", msg(private(alice), alice, "", func(m *tgbotapi.Message) { m.Sticker = &tgbotapi.Sticker{FileID: "s"} }), "", ignoreSticker},
		{"photo without caption", msg(private(alice), alice, "", func(m *tgbotapi.Message) { m.Photo = []tgbotapi.PhotoSize{{FileID: "p"}} }), "", ""},
		{"photo with caption", msg(private(alice), alice, "", func(m *tgbotapi.Message) {
			m.Photo, m.Caption = []tgbotapi.PhotoSize{{FileID: "p"}}, " 123 456 "
		}), "123 456", ""},
		{"photo in a group", msg(group, alice, "", func(m *tgbotapi.Message) {
			m.Photo, m.Caption = []tgbotapi.PhotoSize{{FileID: "p"}}, "@"+fakeBotName
		}), "", ignoreMedia},
		{"photo too large", msg(private(alice), alice, "", func(m *tgbotapi.Message) {
			m.Photo = []tgbotapi.PhotoSize{{FileID: "p", FileSize: bot.MaxPhotoBytes + 1}}
		}), "", ignoreMedia},
		{"pdf file", msg(private(alice), alice, "", func(m *tgbotapi.Message) {
			m.Document = &tgbotapi.Document{FileID: "d", MimeType: "application/pdf", FileName: "pass.pdf"}
		}), "", ignoreMedia},
		{"voice", msg(private(alice), alice, "", func(m *tgbotapi.Message) { m.Voice = &tgbotapi.Voice{FileID: "v"} }), "", ignoreMedia},
		{"forwarded", msg(private(alice), alice, "/start p_1", func(m *tgbotapi.Message) { m.ForwardFrom = boris; m.ForwardDate = 5 }), "", ignoreForward},
		{"from a bot", msg(private(alice), otherBot, "/start"), "", ignoreBot},
		{"no sender", msg(private(alice), nil, "/start"), "", ignoreAnonymous},
		{"no chat", msg(nil, alice, "/start"), "", ignoreNoChat},
		{"unknown chat type", msg(&tgbotapi.Chat{ID: 5, Type: "secret"}, alice, "/start"), "", ignoreChatType},
		{"edited", edited, "", ignoreEdited},
		{"inline query", tgbotapi.Update{UpdateID: 9, InlineQuery: &tgbotapi.InlineQuery{ID: "q", From: alice, Query: "serum"}}, "", ignoreUnsupported},
		{"empty update", tgbotapi.Update{UpdateID: 9}, "", ignoreUnsupported},

		// Groups: commands, mentions, replies to the bot; nothing else.
		{"group chatter", msg(group, alice, "who has the serum?"), "", ignoreGroupChatter},
		{"group command", msg(group, alice, "/shop"), "/shop", ""},
		{"group command addressed", msg(group, alice, "/shop@"+fakeBotName), "/shop", ""},
		{"group command any case", msg(group, alice, "/START@shoptestbot p_3"), "/START p_3", ""},
		{"group command other bot", msg(group, alice, "/shop@OtherBot"), "", ignoreOtherBot},
		{"group mention", msg(group, alice, "@"+fakeBotName+" show me   the cart"), "show me the cart", ""},
		{"group mention lower case", msg(group, alice, "hey @shoptestbot /cart"), "hey /cart", ""},
		{"group mention then command", msg(group, alice, "@ShopTestBot /cart"), "/cart", ""},
		{"group bare mention", msg(group, alice, "@"+fakeBotName), "/start", ""},
		{"group longer name is not us", msg(group, alice, "@"+fakeBotName+"X hi"), "", ignoreGroupChatter},
		{"group email is not a mention", msg(group, alice, "mail shop@example.com"), "", ignoreGroupChatter},
		{"group text_mention", msg(group, alice, "Shop, help", func(m *tgbotapi.Message) {
			m.Entities = []tgbotapi.MessageEntity{{Type: "text_mention", Offset: 0, Length: 4, User: botUser}}
		}), "Shop, help", ""},
		{"group entity out of range", msg(group, alice, "hi", func(m *tgbotapi.Message) {
			m.Entities = []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 50, Length: 900}}
		}), "", ignoreGroupChatter},
		{"group reply to the bot", msg(group, alice, "yes please", replyTo(botUser)), "yes please", ""},
		{"group reply to someone else", msg(group, alice, "yes please", replyTo(boris)), "", ignoreGroupChatter},
		{"group service message", msg(group, alice, "", func(m *tgbotapi.Message) { m.NewChatMembers = []tgbotapi.User{*botUser} }), "", ignoreService},
		{"group pinned", msg(group, alice, "", func(m *tgbotapi.Message) { m.PinnedMessage = &tgbotapi.Message{MessageID: 1} }), "", ignoreService},
		{"anonymous admin command", msg(group, anonAdmin, "/shop", func(m *tgbotapi.Message) { m.SenderChat = group }), "/shop", ""},
		{"automatic forward", msg(group, alice, "/shop", func(m *tgbotapi.Message) { m.SenderChat = channel; m.IsAutomaticForward = true }), "", ignoreForward},

		// Channels: the channel's own posts, same rules as groups.
		{"channel command", post(channel, "/start p_4"), "/start p_4", ""},
		{"channel post", post(channel, "New drop tonight!"), "", ignoreGroupChatter},
		{"channel mention", post(channel, "New drop @"+fakeBotName), "New drop", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, why := e.a.convert(&tc.u)
			if why != tc.why {
				t.Fatalf("why = %q, want %q", why, tc.why)
			}
			if why != "" {
				return
			}
			if in.msg.Text != tc.text || in.msg.Action != "" {
				t.Errorf("text = %q action = %q, want text %q", in.msg.Text, in.msg.Action, tc.text)
			}
			if in.msg.Channel != bot.ChannelTelegram || in.msg.UpdateID != "9" {
				t.Errorf("channel %q update id %q", in.msg.Channel, in.msg.UpdateID)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		u := msg(private(boris), boris, "привет")
		in, _ := e.a.convert(&u)
		want := bot.Message{Channel: "tg", ChatID: "1002", UserID: "1002", FirstName: "Борис", Text: "привет", Lang: "ru", UpdateID: "9"}
		if !reflect.DeepEqual(in.msg, want) || in.chatID != 1002 || in.replyTo != 0 || in.pressed != nil || in.photo != (photoRef{}) {
			t.Errorf("got %+v", in)
		}
		u = msg(group, alice, "/cart")
		in, _ = e.a.convert(&u)
		want = bot.Message{Channel: "tg", ChatID: "-1001234", UserID: "1001", FirstName: "Alice", Text: "/cart", Lang: "en", UpdateID: "9", Group: true}
		if !reflect.DeepEqual(in.msg, want) || in.replyTo != 90 {
			t.Errorf("got %+v", in)
		}
		u = post(channel, "/shop")
		in, _ = e.a.convert(&u)
		if in.msg.UserID != "-1009999" || in.msg.ChatID != "-1009999" || !in.msg.Group {
			t.Errorf("channel post: %+v", in.msg)
		}
	})

	t.Run("photos", func(t *testing.T) {
		const capped = bot.MaxPhotoBytes
		for _, tc := range []struct {
			name  string
			mod   func(*tgbotapi.Message)
			want  photoRef
			route bool
		}{
			{"largest size within the cap", func(m *tgbotapi.Message) {
				m.Photo = []tgbotapi.PhotoSize{{FileID: "s", Width: 90, Height: 90, FileSize: 1500},
					{FileID: "m", Width: 320, Height: 320, FileSize: 20000}, {FileID: "x", Width: 9000, Height: 9000, FileSize: capped + 1},
					{FileID: "l", Width: 1280, Height: 1280, FileSize: 150000}}
			}, photoRef{"l", 150000}, true},
			{"sizes unknown: most pixels", func(m *tgbotapi.Message) {
				m.Photo = []tgbotapi.PhotoSize{{FileID: "s", Width: 90, Height: 90}, {FileID: "l", Width: 800, Height: 600}, {FileID: "m", Width: 320, Height: 240}}
			}, photoRef{"l", 0}, true},
			{"jpeg file", func(m *tgbotapi.Message) {
				m.Document = &tgbotapi.Document{FileID: "d", MimeType: "image/jpeg", FileSize: 3 << 20}
			}, photoRef{"d", 3 << 20}, true},
			{"png file by name", func(m *tgbotapi.Message) {
				m.Document = &tgbotapi.Document{FileID: "d", FileName: "Pass.PNG"}
			}, photoRef{"d", 0}, true},
			{"gif file", func(m *tgbotapi.Message) {
				m.Document = &tgbotapi.Document{FileID: "d", MimeType: "image/gif", FileName: "a.gif"}
			}, photoRef{}, false},
			{"image file too large", func(m *tgbotapi.Message) {
				m.Document = &tgbotapi.Document{FileID: "d", MimeType: "image/png", FileSize: capped + 1}
			}, photoRef{}, false},
		} {
			u := msg(private(alice), alice, "", tc.mod)
			in, why := e.a.convert(&u)
			if (why == "") != tc.route || in.photo != tc.want {
				t.Errorf("%s: photo %+v, ignored %q; want %+v, routed %v", tc.name, in.photo, why, tc.want, tc.route)
			}
		}
	})

	t.Run("callbacks", func(t *testing.T) {
		for _, tc := range []struct {
			chat  *tgbotapi.Chat
			group bool
		}{{private(boris), false}, {group, true}, {channel, true}} {
			u := callback(tc.chat, "cat:3:0")
			in, why := e.a.convert(&u)
			if why != "" {
				t.Fatalf("%s: ignored: %s", tc.chat.Type, why)
			}
			want := bot.Message{Channel: "tg", ChatID: itoa(tc.chat.ID), UserID: "1002", FirstName: "Борис",
				Action: "cat:3:0", Lang: "ru", UpdateID: "cb:77", Group: tc.group}
			if !reflect.DeepEqual(in.msg, want) || in.pressed == nil || in.pressed.MessageID != 5 {
				t.Errorf("%s: got %+v", tc.chat.Type, in)
			}
		}
		for name, u := range map[string]tgbotapi.Update{
			"inline": {UpdateID: 9, CallbackQuery: &tgbotapi.CallbackQuery{ID: "1", From: boris, InlineMessageID: "x", Data: "cats"}},
			"game":   {UpdateID: 9, CallbackQuery: &tgbotapi.CallbackQuery{ID: "1", From: boris, Message: &tgbotapi.Message{MessageID: 1, Chat: group}}},
		} {
			if _, why := e.a.convert(&u); why == "" {
				t.Errorf("%s callback routed", name)
			}
		}
	})
}

func TestDeepLink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		bot, payload, want string
	}{
		{"ShopTestBot", "p_12", "https://t.me/ShopTestBot?start=p_12"},
		{"@ShopTestBot", "c_3", "https://t.me/ShopTestBot?start=c_3"},
		{"ShopTestBot", strings.Repeat("Z", 64), "https://t.me/ShopTestBot?start=" + strings.Repeat("Z", 64)},
		{"ShopTestBot", strings.Repeat("Z", 65), ""},
		{"ShopTestBot", "", ""},
		{"ShopTestBot", "p 1", ""},
		{"ShopTestBot", "p_1&x=2", ""},
		{"", "p_1", ""},
		{"bad name!", "p_1", ""},
	} {
		got, err := DeepLink(tc.bot, tc.payload)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("DeepLink(%q, %q) = %q, %v; want %q", tc.bot, tc.payload, got, err, tc.want)
		}
	}
}
