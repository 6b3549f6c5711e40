package telegram

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// FuzzWebhook feeds arbitrary bodies (with the right secret) through the
// webhook, a real router and the fake Bot API: the handler must never panic
// (not even recovered) and never answer 5xx (a payment is asked for again
// only when the store fails, and it does not here). Seeds include
// pre-checkout queries and successful payments.
func FuzzWebhook(f *testing.F) {
	e := newEnv(f)
	photo := fakeMsg{ID: 1, Chat: alice.ID, Photo: "https://shop.example/img/x.png", Caption: "card",
		Markup: [][]fakeButton{{{Text: "+", CallbackData: "q:1:2"}}}}
	seeds := []tgbotapi.Update{
		textUpdate(1, private(alice), alice, "/start"),
		textUpdate(2, private(alice), alice, "/start p_1"),
		textUpdate(3, group, alice, "@ShopTestBot /cart"),
		textUpdate(4, private(boris), boris, "Иван Петров"),
		{UpdateID: 5, CallbackQuery: &tgbotapi.CallbackQuery{ID: "c5", From: alice, Message: e.api.asMessage(photo), Data: "q:1:3"}},
		{UpdateID: 6, CallbackQuery: &tgbotapi.CallbackQuery{ID: "c6", From: alice, Message: e.api.asMessage(photo), Data: "add:1:2:12900"}},
		{UpdateID: 7, ChannelPost: &tgbotapi.Message{MessageID: 1, SenderChat: group, Chat: group, Text: "/shop"}},
		{UpdateID: 8, MyChatMember: &tgbotapi.ChatMemberUpdated{Chat: *private(alice), NewChatMember: tgbotapi.ChatMember{Status: "kicked"}}},
	}
	for _, u := range seeds {
		b, _ := json.Marshal(u)
		f.Add(b)
	}
	for _, s := range []string{
		`{"update_id":9,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"x"},"text":"/start","entities":[{"type":"bot_command","offset":0,"length":99}]}}`,
		`{"update_id":10,"message":{"message_id":1,"chat":{"id":-5,"type":"group"},"from":{"id":5,"first_name":"x"},"text":"@ShopTestBot","reply_to_message":{"message_id":2,"chat":{"id":-5,"type":"group"}}}}`,
		`{"update_id":11,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"x"},"contact":{"phone_number":"+86 138 0013 8000","first_name":"x","user_id":5}}}`,
		`{"update_id":12,"callback_query":{"id":"q","from":{"id":5,"first_name":"x"},"data":"cp::1"}}`,
		`{"update_id":13,"edited_message":{"message_id":1,"chat":{"id":5,"type":"private"},"text":"x"}}`,
		`{"update_id":15,"pre_checkout_query":{"id":"q15","from":{"id":5,"first_name":"x"},"currency":"CNY","total_amount":55700,"invoice_payload":"K7Q2M9P1"}}`,
		`{"update_id":16,"pre_checkout_query":{"id":"","currency":"","total_amount":-1,"invoice_payload":"\u0000"}}`,
		`{"update_id":17,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"x"},"successful_payment":{"currency":"CNY","total_amount":55700,"invoice_payload":"K7Q2M9P1","telegram_payment_charge_id":"tg1","provider_payment_charge_id":"p1"}}}`,
		`{"update_id":18,"message":{"message_id":1,"chat":{"id":-5,"type":"group"},"successful_payment":{"total_amount":9007199254740993,"invoice_payload":""}}}`,
		`{"update_id":14}`, `{}`, `null`, `[]`, `{"update_id":1e2}`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := e.post(string(body), testSecret)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if n := e.events.get(EventPanic); n != 0 {
			t.Fatalf("processing panicked:\n%s", lastLines(e.logs.String(), 30))
		}
	})
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
