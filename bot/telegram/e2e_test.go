package telegram

import (
	"context"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/commerce"
)

// TestEndToEndOrder walks a buyer through the demo shop in a private chat —
// /start → shop → category → product → + → add → cart → checkout (pickup
// point, typed name, shared contact) → confirm — through the webhook, a real
// router on SQLite and the fake Bot API, pressing the buttons the fake
// received.
func TestEndToEndOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	chat := alice.ID
	upd := 1000
	next := func() int { upd++; return upd }
	press := func(prefix string) fakeMsg {
		t.Helper()
		m, data, ok := e.api.WithButton(chat, prefix)
		if !ok {
			ms := e.api.Messages(chat)
			t.Fatalf("no button %q; last message: %+v", prefix, ms[len(ms)-1])
		}
		e.press(t, next(), alice, m, data)
		return m
	}
	last := func() fakeMsg {
		ms := e.api.Messages(chat)
		return ms[len(ms)-1]
	}

	e.deliver(t, textUpdate(next(), private(alice), alice, "/start"))
	if !strings.Contains(last().Text, "Welcome, Alice") {
		t.Fatalf("welcome = %q", last().Text)
	}
	press("cats")
	catList := press("cat:")
	// The category page replaced the category list in place.
	if n := e.api.Count("editMessageText"); n != 1 {
		t.Errorf("category page: %d edits, want 1", n)
	}
	if page, ok := e.api.Message(chat, catList.ID); !ok || !hasButton(page, "p:") {
		t.Fatalf("category list not edited into a product list")
	}
	press("p:")
	card := last()
	if card.Photo != testPublic+"/img/demo:COS-001.png" || !strings.Contains(card.Caption, "Hyaluronic") {
		t.Fatalf("product card = %+v", card)
	}
	// "+" edits the card's caption in place.
	var plus string
	for _, b := range card.Markup[0] {
		if b.Text == "+" {
			plus = b.CallbackData
		}
	}
	e.press(t, next(), alice, card, plus)
	if n := e.api.Count("editMessageCaption"); n != 1 {
		t.Fatalf("stepper: %d caption edits, want 1", n)
	}
	press("add:")
	if !strings.Contains(last().Text, "Added 2") {
		t.Fatalf("added = %q", last().Text)
	}
	press("cart")
	if !strings.Contains(last().Text, "Your cart") {
		t.Fatalf("cart = %q", last().Text)
	}
	press("co")
	press("cp:")
	e.deliver(t, textUpdate(next(), private(alice), alice, "Alice Liddell"))
	// The phone comes from Telegram's contact sharing.
	contact := textUpdate(next(), private(alice), alice, "")
	contact.Message.Contact = &tgbotapi.Contact{PhoneNumber: "8613800138000", FirstName: "Alice", UserID: alice.ID}
	e.deliver(t, contact)
	// The order review carries inline buttons, so a short note before it
	// removes the request_contact keyboard.
	if ms := e.api.Messages(chat); len(ms) < 2 || !ms[len(ms)-2].RemoveKeyboard || !hasButton(ms[len(ms)-1], "oc:") || e.api.ReplyKeyboard(chat) != nil {
		t.Errorf("after the shared contact: %+v", ms[len(ms)-2:])
	}
	press("oc:")

	orders, err := e.shop.Orders(context.Background(), commerce.Buyer{Channel: "tg", UserID: "1001"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 {
		t.Fatalf("%d orders, want 1", len(orders))
	}
	o := orders[0]
	if o.Status != commerce.StatusConfirmed || o.ContactName != "Alice Liddell" || o.Phone != "+8613800138000" ||
		len(o.Lines) != 1 || o.Lines[0].Qty != 2 || o.ChatID != "1001" {
		t.Errorf("order = %+v", o)
	}
	if !strings.Contains(last().Text, o.Number) {
		t.Errorf("confirmation %q lacks the order number %s", last().Text, o.Number)
	}

	// Telegram redelivers the confirming callback: nothing changes.
	before := len(e.api.Calls("sendMessage", "sendPhoto", "editMessageText", "editMessageCaption"))
	m, data, _ := e.api.WithButton(chat, "oc:")
	cb := tgbotapi.Update{UpdateID: upd, CallbackQuery: &tgbotapi.CallbackQuery{ID: "cbq" + itoa(int64(upd)), From: alice, Message: e.api.asMessage(m), Data: data}}
	e.deliver(t, cb)
	if after := len(e.api.Calls("sendMessage", "sendPhoto", "editMessageText", "editMessageCaption")); after != before {
		t.Errorf("redelivered callback sent %d messages", after-before)
	}

	// Every button press was answered; the fake saw no flood-limit violation
	// and no parse error; nothing failed.
	callbacks := 0
	for _, c := range e.api.Calls("answerCallbackQuery") {
		if c.Status == 200 {
			callbacks++
		}
	}
	if callbacks != 10 {
		t.Errorf("answered %d callbacks, want 10", callbacks)
	}
	if v := e.api.Violations(); v != 0 {
		t.Errorf("%d rate-limit violations", v)
	}
	for _, c := range e.api.Calls() {
		if c.Status != 200 {
			t.Errorf("%s answered %d", c.Method, c.Status)
		}
	}
	if n := e.events.get(EventSendFailed) + e.events.get(EventButtonDropped) + e.events.get(EventPanic); n != 0 {
		t.Errorf("events %v", e.events.n)
	}
}

func hasButton(m fakeMsg, prefix string) bool {
	for _, row := range m.Markup {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				return true
			}
		}
	}
	return false
}
