package telegram

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
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

// FuzzPaymentUpdates builds pre_checkout_query and successful_payment
// updates from arbitrary field values, as Telegram's JSON, and converts
// them: never a panic; a payment is routed with exactly the figures it
// carried (nothing clipped or cleaned: the domain compares them), a
// pre-checkout likewise.
func FuzzPaymentUpdates(f *testing.F) {
	e := newEnv(f, noRouter())
	f.Add(int64(1001), "K7Q2M9P1", "CNY", int64(55700), "tg-charge-1", "prov-1", "en")
	f.Add(int64(-5), "", "", int64(-1), "", "", "")
	f.Add(int64(0), "\x00\xff", "💴", int64(1<<53+1), strings.Repeat("x", 300), "p", "zh-hans")
	f.Fuzz(func(t *testing.T, user int64, payload, currency string, total int64, charge, provider, lang string) {
		for _, body := range [][]byte{
			telegramtest.SuccessfulPaymentUpdate(7, user, payload, currency, total, charge, provider, lang),
			e.api.PreCheckoutUpdate(8, user, payload, currency, total, lang),
		} {
			u, status := decodeUpdate(strings.NewReader(string(body)))
			if status != 0 {
				return // not representable as Telegram's JSON (an int overflow): refused as 400
			}
			if q := u.PreCheckoutQuery; q != nil {
				m := fromPreCheckout(q)
				if m.PreCheckout.Payload != q.InvoicePayload || m.PreCheckout.Total != int64(q.TotalAmount) || m.PreCheckout.Currency != q.Currency {
					t.Fatalf("pre-checkout %+v from %+v", m.PreCheckout, q)
				}
				continue
			}
			in, why := e.a.convert(&u)
			if why != "" {
				if user > 0 && !u.Message.From.IsBot {
					t.Fatalf("payment of user %d ignored: %s", user, why)
				}
				continue
			}
			sp := u.Message.SuccessfulPayment
			p := in.msg.Paid
			if p == nil || p.Payload != sp.InvoicePayload || p.ChargeID != sp.TelegramPaymentChargeID || p.ProviderChargeID != sp.ProviderPaymentChargeID ||
				p.Total != int64(sp.TotalAmount) || p.Currency != sp.Currency || in.msg.UpdateID != "7" {
				t.Fatalf("paid %+v from %+v", p, sp)
			}
		}
	})
}

// FuzzInvoiceParams: whatever the router puts in an invoice, what is sent
// fits Telegram's limits as valid UTF-8, and the payload is sent as it is
// or not at all.
func FuzzInvoiceParams(f *testing.F) {
	f.Add("Order K7Q2M9", "Baby wipes × 2", "K7Q2M9P1", "CNY", "Baby wipes × 2", int64(19800))
	f.Add(strings.Repeat("🎁", 40), strings.Repeat("e\u0301", 300), strings.Repeat("P", 129), "cny", " ", int64(0))
	f.Fuzz(func(t *testing.T, title, desc, payload, currency, label string, amount int64) {
		inv := &bot.Invoice{Title: title, Description: desc, Payload: payload, Currency: currency,
			Prices: []bot.InvoicePrice{{Label: label, Amount: amount}}}
		p, err := invoiceParams(1, inv, testProviderToken)
		if err != nil {
			return
		}
		for _, k := range []string{"title", "description"} {
			if !utf8.ValidString(p[k]) || strings.TrimSpace(p[k]) == "" {
				t.Fatalf("%s %q", k, p[k])
			}
		}
		if utf16Len(p["title"]) > MaxInvoiceTitle || utf16Len(p["description"]) > MaxInvoiceDescription || p["payload"] != payload {
			t.Fatalf("params %q", p)
		}
	})
}
