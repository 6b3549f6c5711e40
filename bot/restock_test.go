package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
)

// TestRestock: "Notify me" on a sold-out card in every language, a second
// press, stopping, the cap per buyer, a product back meanwhile, and the
// notice as it renders (back, sold out again, hidden).
func TestRestock(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	soldOut := h.product("COS-004")
	if soldOut.Stock != 0 {
		t.Fatalf("COS-004 has stock %d; the demo's sold-out product changed", soldOut.Stock)
	}
	for _, lang := range []string{"en", "ru", "zh-CN"} {
		u := h.user(t, "rs-"+lang, lang)
		card := u.press(fmt.Sprintf("p:%d", soldOut.ID))
		notify := fmt.Sprintf("rsn:%d", soldOut.ID)
		if got := fmt.Sprint(actions(card[0])); !strings.Contains(got, notify) {
			t.Fatalf("%s sold-out card buttons %s; want %s", lang, got, notify)
		}
		title := soldOut.Title.In(lang)
		wantText(t, u.press(notify), 0, u.tx("restock_subscribed", map[string]any{"Title": title}))
		again := u.press(notify)
		wantText(t, again, 0, u.tx("restock_already", map[string]any{"Title": title}))
		if got, want := fmt.Sprint(actions(again[0])), fmt.Sprintf("[[rsc:%d] [p:%d]]", soldOut.ID, soldOut.ID); got != want {
			t.Errorf("%s: already-subscribed buttons %s; want %s", lang, got, want)
		}
		wantText(t, u.press(fmt.Sprintf("rsc:%d", soldOut.ID)), 0, u.tx("restock_cancelled", map[string]any{"Title": title}))
		wantText(t, u.press(notify), 0, u.tx("restock_subscribed", map[string]any{"Title": title}))
	}

	// The cap: a buyer waits for at most MaxRestockSubscriptions products.
	u := h.user(t, "rs-many", "en")
	cat := h.cats["cosmetics"]
	for i := range commerce.MaxRestockSubscriptions + 1 {
		p, err := h.store.UpsertProduct(h.ctx, commerce.Product{SKU: fmt.Sprintf("RS-%d", i), CategoryID: cat,
			Title: commerce.Text{"en": fmt.Sprintf("Gone %d", i)}, Description: commerce.Text{}, Price: commerce.CNY(1000),
			Origin: commerce.OriginDutyPaid, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		r := u.press(fmt.Sprintf("rsn:%d", p.ID))
		if i < commerce.MaxRestockSubscriptions {
			wantText(t, r, 0, u.tx("restock_subscribed", map[string]any{"Title": p.Title.In("en")}))
		} else {
			wantText(t, r, 0, u.tx("restock_limit", map[string]any{"Max": commerce.MaxRestockSubscriptions}))
		}
	}

	// Back meanwhile: the press shows the card with its buy buttons.
	inStock := h.product("COS-001")
	r := u.press(fmt.Sprintf("rsn:%d", inStock.ID))
	if got := fmt.Sprint(actions(r[0])); !strings.Contains(got, fmt.Sprintf("add:%d:", inStock.ID)) {
		t.Fatalf("notify on a product in stock: %s", got)
	}
	wantText(t, u.press("rsn:abc"), 0, u.tx("err_stale", nil))
	wantText(t, u.press("rsn:999999"), 0, u.tx("err_not_found", nil))

	// The notice: back in stock, with a button to open it.
	n := bot.Notice{Kind: bot.NoticeRestocked, Channel: bot.ChannelWeb, ChatID: "rs-ru", UserID: "rs-ru", Lang: "ru", ProductID: soldOut.ID}
	ru := h.user(t, "rs-ru", "ru")
	replies, err := h.router.RenderNotice(h.ctx, n)
	if err != nil || len(replies) != 1 || !strings.Contains(replies[0].Text, ru.tx("restock_notice_gone", map[string]any{"Title": soldOut.Title.In("ru")})) {
		t.Fatalf("notice of a product sold out again: %+v, %v", replies, err)
	}
	back := h.product("COS-004")
	back.Stock = 4
	if _, err := h.store.UpsertProduct(h.ctx, back); err != nil {
		t.Fatal(err)
	}
	replies, err = h.router.RenderNotice(h.ctx, n)
	want := ru.tx("restock_notice", map[string]any{"Title": back.Title.In("ru"), "Stock": 4, "Price": back.Price})
	if err != nil || len(replies) != 1 || replies[0].Text != want || fmt.Sprint(actions(replies[0])) != fmt.Sprintf("[[p:%d]]", back.ID) {
		t.Fatalf("notice: %+v, %v; want %q", replies, err, want)
	}
	for _, b := range replies[0].Buttons[0] {
		if !h.router.HasRoute(b.Action) {
			t.Errorf("notice button %q has no route", b.Action)
		}
	}
	back.Active = false
	if _, err := h.store.UpsertProduct(h.ctx, back); err != nil {
		t.Fatal(err)
	}
	if replies, err := h.router.RenderNotice(h.ctx, n); err != nil || len(replies) != 0 {
		t.Fatalf("notice of a hidden product: %+v, %v; want nothing", replies, err)
	}
	n.ProductID = 0
	if _, err := h.router.RenderNotice(h.ctx, n); err == nil {
		t.Fatal("a notice without a product rendered")
	}
}
