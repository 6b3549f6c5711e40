package telegram

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/templates"
)

// contactButton returns the single request_contact button of m's reply
// keyboard, or fails.
func contactButton(t *testing.T, m fakeMsg) telegramtest.KeyButton {
	t.Helper()
	if m.Keyboard == nil || len(m.Keyboard.Rows) != 1 || len(m.Keyboard.Rows[0]) != 1 || !m.Keyboard.Rows[0][0].RequestContact {
		t.Fatalf("message %q: keyboard %+v, want one request_contact button", m.Text, m.Keyboard)
	}
	if !m.Keyboard.OneTime || !m.Keyboard.Resize {
		t.Errorf("contact keyboard not one-time and resized: %+v", m.Keyboard)
	}
	if len(m.Markup) != 0 {
		t.Errorf("message %q has both inline buttons and a reply keyboard", m.Text)
	}
	return m.Keyboard.Rows[0][0]
}

func TestAskPhone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cancel := [][]bot.Button{{{Text: "Cancel", Action: "cx"}}}
	in := func(chat int64, lang string) incoming {
		return incoming{chatID: chat, msg: bot.Message{Lang: lang}}
	}

	t.Run("no inline buttons: the keyboard rides on the question", func(t *testing.T) {
		e := newEnv(t, noRouter())
		e.a.render(ctx, in(1001, "en"), []bot.Reply{{Text: "Thanks, Alice. Send a phone number we can reach you at.", AskPhone: true}})
		ms := e.api.Messages(1001)
		if len(ms) != 1 {
			t.Fatalf("%d messages, want 1", len(ms))
		}
		if b := contactButton(t, ms[0]); b.Text != "📱 Share my phone number" {
			t.Errorf("label %q", b.Text)
		}
		if e.api.ReplyKeyboard(1001) == nil {
			t.Error("the chat shows no reply keyboard")
		}
	})

	t.Run("inline buttons stay on the question, the keyboard comes next", func(t *testing.T) {
		e := newEnv(t, noRouter())
		// language_code says English, the reply is Russian (the user chose
		// it with /lang): the reply's language wins.
		e.a.render(ctx, in(1002, "en"), []bot.Reply{{Text: "Спасибо, Борис. Отправьте номер телефона для связи.", Buttons: cancel, AskPhone: true}})
		ms := e.api.Messages(1002)
		if len(ms) != 2 {
			t.Fatalf("%d messages, want 2: %+v", len(ms), ms)
		}
		if len(ms[0].Markup) != 1 || ms[0].Markup[0][0].CallbackData != "cx" || ms[0].Keyboard != nil {
			t.Errorf("question: %+v", ms[0])
		}
		if b := contactButton(t, ms[1]); b.Text != uiWord("ru", textSharePhone) || ms[1].Text != uiWord("ru", textPhonePrompt) {
			t.Errorf("prompt %q, label %q", ms[1].Text, b.Text)
		}
	})

	t.Run("language_code decides when the text does not", func(t *testing.T) {
		e := newEnv(t, noRouter())
		e.a.render(ctx, in(1003, "zh-hans"), []bot.Reply{{Text: "+86 138", AskPhone: true}})
		if b := contactButton(t, e.api.Messages(1003)[0]); b.Text != uiWord("zh-CN", textSharePhone) {
			t.Errorf("label %q", b.Text)
		}
		// Chinese text around a Latin name is Chinese.
		e.a.render(ctx, in(1004, "ru"), []bot.Reply{{Text: "谢谢，Alice Liddell。请发送你的手机号，方便我们联系你。", AskPhone: true}})
		if b := contactButton(t, e.api.Messages(1004)[0]); b.Text != uiWord("zh-CN", textSharePhone) {
			t.Errorf("label %q", b.Text)
		}
	})

	t.Run("an edited question gets the keyboard on a prompt", func(t *testing.T) {
		e := newEnv(t, noRouter())
		if err := e.a.SendReply(ctx, "1005", bot.Reply{Text: "Name?", Buttons: cancel}); err != nil {
			t.Fatal(err)
		}
		q := e.api.asMessage(e.api.Messages(1005)[0])
		e.a.render(ctx, incoming{chatID: 1005, pressed: q}, []bot.Reply{{Text: "Send a phone number.", Buttons: cancel, Edit: true, AskPhone: true}})
		ms := e.api.Messages(1005)
		if e.api.Count("editMessageText") != 1 || len(ms) != 2 {
			t.Fatalf("edits %d, messages %d", e.api.Count("editMessageText"), len(ms))
		}
		contactButton(t, ms[1])
	})

	t.Run("never in groups", func(t *testing.T) {
		e := newEnv(t, noRouter())
		e.a.render(ctx, in(group.ID, "en"), []bot.Reply{{Text: "Send a phone number.", Buttons: cancel, AskPhone: true}})
		if err := e.a.SendReply(ctx, itoa(group.ID), bot.Reply{Text: "Phone?", AskPhone: true}); err != nil {
			t.Fatal(err)
		}
		ms := e.api.Messages(group.ID)
		if len(ms) != 2 || ms[0].Keyboard != nil || ms[1].Keyboard != nil {
			t.Errorf("group got %+v", ms)
		}
	})

	t.Run("background replies too", func(t *testing.T) {
		e := newEnv(t, noRouter())
		if err := e.a.SendReply(ctx, "1006", bot.Reply{Text: "Пожалуйста, отправьте номер телефона.", AskPhone: true}); err != nil {
			t.Fatal(err)
		}
		if b := contactButton(t, e.api.Messages(1006)[0]); b.Text != uiWord("ru", textSharePhone) {
			t.Errorf("label %q", b.Text)
		}
	})
}

func TestSharedContactRemovesKeyboard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	review := bot.Reply{Text: "Order №A-1 — your items are reserved for 15 min. Please confirm the order.",
		Buttons: [][]bot.Button{{{Text: "Confirm", Action: "oc:1"}}}}
	ask := func(e *testEnv, chat int64) {
		t.Helper()
		e.a.render(ctx, incoming{chatID: chat}, []bot.Reply{{Text: "Send a phone number.", AskPhone: true}})
		if e.api.ReplyKeyboard(chat) == nil {
			t.Fatal("no keyboard to remove")
		}
	}
	shared := func(chat int64) incoming {
		return incoming{chatID: chat, contact: true, msg: bot.Message{Lang: "en"}}
	}

	t.Run("a reply with buttons: a short note removes it first", func(t *testing.T) {
		e := newEnv(t, noRouter())
		ask(e, 1001)
		e.a.render(ctx, shared(1001), []bot.Reply{review})
		ms := e.api.Messages(1001)[1:]
		if len(ms) != 2 || !ms[0].RemoveKeyboard || ms[0].Text != uiWord("en", textPhoneReceived) || ms[1].Text != review.Text || len(ms[1].Markup) != 1 {
			t.Fatalf("got %+v", ms)
		}
		if e.api.ReplyKeyboard(1001) != nil {
			t.Error("keyboard still shown")
		}
	})

	t.Run("a reply without buttons carries the removal", func(t *testing.T) {
		e := newEnv(t, noRouter())
		ask(e, 1002)
		e.a.render(ctx, shared(1002), []bot.Reply{{Text: "Saved."}, review})
		ms := e.api.Messages(1002)[1:]
		if len(ms) != 2 || !ms[0].RemoveKeyboard || ms[0].Text != "Saved." || ms[1].RemoveKeyboard {
			t.Fatalf("got %+v", ms)
		}
		if e.api.ReplyKeyboard(1002) != nil {
			t.Error("keyboard still shown")
		}
	})

	t.Run("asked again: the new keyboard replaces it", func(t *testing.T) {
		e := newEnv(t, noRouter())
		ask(e, 1003)
		e.a.render(ctx, shared(1003), []bot.Reply{{Text: "That doesn't look like a phone number.", AskPhone: true}})
		ms := e.api.Messages(1003)[1:]
		if len(ms) != 1 || ms[0].RemoveKeyboard {
			t.Fatalf("got %+v", ms)
		}
		contactButton(t, ms[0])
	})

	t.Run("typed text removes nothing", func(t *testing.T) {
		e := newEnv(t, noRouter())
		ask(e, 1004)
		e.a.render(ctx, incoming{chatID: 1004}, []bot.Reply{{Text: "ok"}})
		if ms := e.api.Messages(1004); ms[len(ms)-1].RemoveKeyboard || e.api.ReplyKeyboard(1004) == nil {
			t.Error("keyboard removed without a contact")
		}
	})
}

func TestGroupCheckoutLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, noRouter())
	buttons := [][]bot.Button{{{Text: "−", Action: "cd:1"}, {Text: "+", Action: "ci:1"}}, {{Text: "✅ Checkout", Action: "co"}}}
	r := bot.Reply{Text: "Корзина: 1 шт.", Buttons: buttons}
	e.a.render(ctx, incoming{chatID: group.ID, replyTo: 7, msg: bot.Message{Lang: "en", Group: true}}, []bot.Reply{r})
	if buttons[1][0].Action != "co" {
		t.Fatal("the router's reply was modified")
	}
	ms := e.api.Messages(group.ID)
	if len(ms) != 1 || len(ms[0].Markup) != 2 {
		t.Fatalf("got %+v", ms)
	}
	want := fakeButton{Text: uiWord("ru", textPrivateChat), URL: "https://t.me/" + fakeBotName}
	if got := ms[0].Markup[1][0]; got != want {
		t.Errorf("checkout button in a group = %+v, want %+v", got, want)
	}
	if got := ms[0].Markup[0][1]; got.CallbackData != "ci:1" {
		t.Errorf("other buttons changed: %+v", ms[0].Markup)
	}
	// Edits (a quantity stepper in the group) get the link too.
	e.a.render(ctx, incoming{chatID: group.ID, pressed: e.api.asMessage(ms[0])}, []bot.Reply{{Text: "Корзина: 2 шт.", Buttons: buttons, Edit: true}})
	if m, _ := e.api.Message(group.ID, ms[0].ID); e.api.Count("editMessageText") != 1 || m.Markup[1][0] != want {
		t.Errorf("edited: %+v", m.Markup)
	}
	// Private chats keep the checkout action.
	if err := e.a.SendReply(ctx, "1001", r); err != nil {
		t.Fatal(err)
	}
	if got := e.api.Messages(1001)[0].Markup[1][0]; got.CallbackData != "co" || got.URL != "" {
		t.Errorf("private checkout button = %+v", got)
	}
}

// TestGroupCheckoutEndToEnd: a buyer fills a cart in a group through the
// real router; the cart's checkout button opens the bot's private chat.
func TestGroupCheckoutEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	upd := 500
	next := func() int { upd++; return upd }
	press := func(prefix string) {
		t.Helper()
		m, data, ok := e.api.WithButton(group.ID, prefix)
		if !ok {
			t.Fatalf("no button %q in the group", prefix)
		}
		e.press(t, next(), alice, m, data)
	}
	e.deliver(t, textUpdate(next(), group, alice, "/shop@"+fakeBotName))
	press("cat:")
	press("p:")
	press("add:")
	press("cart")
	ms := e.api.Messages(group.ID)
	cart := ms[len(ms)-1]
	if !strings.Contains(cart.Text, "Your cart") {
		t.Fatalf("last group message %q", cart.Text)
	}
	var link fakeButton
	for _, row := range cart.Markup {
		for _, b := range row {
			if b.CallbackData == "co" {
				t.Errorf("checkout callback in a group: %+v", b)
			}
			if b.URL != "" {
				link = b
			}
		}
	}
	if link.URL != "https://t.me/"+fakeBotName || link.Text != uiWord("en", textPrivateChat) {
		t.Errorf("cart buttons %+v", cart.Markup)
	}
}

// TestUpdateBuilders: the updates telegramtest builds are what the adapter
// expects from Telegram.
func TestUpdateBuilders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	parse := func(b []byte) incoming {
		t.Helper()
		u, status := decodeUpdate(strings.NewReader(string(b)))
		if status != 0 {
			t.Fatalf("status %d for %s", status, b)
		}
		in, why := e.a.convert(&u)
		if why != "" {
			t.Fatalf("ignored (%s): %s", why, b)
		}
		return in
	}
	in := parse(telegramtest.TextUpdate(7, 1001, 1001, "/start p_1", "ru"))
	if !reflect.DeepEqual(in.msg, bot.Message{Channel: "tg", ChatID: "1001", UserID: "1001", FirstName: "User 1001", Text: "/start p_1", Lang: "ru", UpdateID: "7"}) {
		t.Errorf("text: %+v", in.msg)
	}
	in = parse(telegramtest.TextUpdate(8, group.ID, 1001, "/cart", ""))
	if !in.msg.Group || in.replyTo != 8 {
		t.Errorf("group text: %+v", in)
	}
	in = parse(telegramtest.ContactUpdate(9, 1001, "8613800138000", "en"))
	if in.msg.Text != "+8613800138000" || !in.contact {
		t.Errorf("contact: %+v", in)
	}
	in = parse(telegramtest.CallbackUpdate(10, 1001, 1001, 55, "cats", "en"))
	if in.msg.Action != "cats" || in.msg.UpdateID != "cb:cb10" || in.pressed == nil || in.pressed.MessageID != 55 {
		t.Errorf("callback: %+v", in)
	}
	if err := e.a.SendReply(context.Background(), "1001", bot.Reply{Text: "card", Image: "/img/x.png", Buttons: [][]bot.Button{{{Text: "+", Action: "q:1:2"}}}}); err != nil {
		t.Fatal(err)
	}
	card := e.api.Messages(1001)[0]
	in = parse(e.api.CallbackOn(11, 1001, card, "q:1:2", "en"))
	if in.pressed == nil || in.pressed.MessageID != card.ID || len(in.pressed.Photo) == 0 {
		t.Errorf("callback on a photo: %+v", in.pressed)
	}
}

// TestBench runs telegramtest.Bench through the webhook with a real router:
// every update is acknowledged, presses hit the messages the fake holds.
func TestBench(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withOptions(func(o *Options) {
		o.Limits = SendLimits{Global: Limit{N: -1}, Private: Limit{N: -1}, Group: Limit{N: -1}}
	}))
	res := telegramtest.Bench(t.Context(), e.mux, testSecret, telegramtest.BenchOptions{Updates: 300, Users: 20, API: e.api.FakeAPI})
	t.Log(res)
	if res.Updates != 300 || res.Failed != 0 || res.Callbacks != 100 || res.P50 <= 0 || res.Max < res.P99 {
		t.Errorf("result %+v", res)
	}
	if n := e.events.get(EventUpdate); n != 300 {
		t.Errorf("%d updates processed", n)
	}
	if n := e.events.get(EventIgnored) + e.events.get(EventDuplicate) + e.events.get(EventPanic) + e.events.get(EventSendFailed); n != 0 {
		t.Errorf("events %v", e.events.n)
	}
	if len(e.api.Chats()) != 20 || e.api.Count("answerCallbackQuery") != 100 {
		t.Errorf("chats %d, callbacks answered %d", len(e.api.Chats()), e.api.Count("answerCallbackQuery"))
	}
	// A wrong secret fails every update.
	res = telegramtest.Bench(t.Context(), e.mux, "wrong", telegramtest.BenchOptions{Updates: 10})
	if res.Failed != 10 {
		t.Errorf("wrong secret: %+v", res)
	}
}

// uiWord is one of the adapter's own texts, as the adapter renders it.
func uiWord(locale, key string) string { return templates.MustLoad().Text(locale, key, nil) }
