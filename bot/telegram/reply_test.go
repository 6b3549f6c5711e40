package telegram

import (
	"context"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

// TestConvertReplyTo: a reply to one of the bot's messages carries that
// message's id (a seller answering a passed-on question); a reply to
// anyone else's, or no reply, carries none.
func TestConvertReplyTo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	botUser := &tgbotapi.User{ID: fakeBotID, IsBot: true, FirstName: "Shop", UserName: fakeBotName}
	for _, tc := range []struct {
		name string
		to   *tgbotapi.Message
		want string
	}{
		{"reply to the bot", &tgbotapi.Message{MessageID: 4711, From: botUser, Text: "Question #3"}, "4711"},
		{"reply to a person", &tgbotapi.Message{MessageID: 4712, From: boris, Text: "hi"}, ""},
		{"reply without a sender", &tgbotapi.Message{MessageID: 4713, Text: "?"}, ""},
		{"no reply", nil, ""},
	} {
		u := textUpdate(9, private(alice), alice, "Yes, we deliver")
		if tc.to != nil {
			tc.to.Chat = u.Message.Chat
		}
		u.Message.ReplyToMessage = tc.to
		in, why := e.a.convert(&u)
		if why != "" || in.msg.Text != "Yes, we deliver" || in.msg.ReplyTo != tc.want {
			t.Errorf("%s: converted to %+v (%q); want ReplyTo %q", tc.name, in.msg, why, tc.want)
		}
	}
}

// TestSendReplyIDs: the ids of the messages a reply was sent as (text
// split at Telegram's limit), which the app remembers for a question.
func TestSendReplyIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	long := strings.Repeat("Вопрос покупателя. ", 400) // over 4096 characters: two messages
	ids, err := e.a.SendReplyIDs(context.Background(), "555", bot.Reply{Text: long, Conversation: 7})
	if err != nil || len(ids) != 2 {
		t.Fatalf("SendReplyIDs = %v, %v; want two message ids", ids, err)
	}
	for _, id := range ids {
		n, _ := strconv.Atoi(id)
		if m, ok := e.api.Message(555, n); !ok || m.Text == "" {
			t.Fatalf("message %s is not one the fake holds", id)
		}
	}
	if _, err := e.a.SendReplyIDs(context.Background(), "not-a-chat", bot.Reply{Text: "x"}); err == nil {
		t.Fatal("an invalid chat id accepted")
	}
}
