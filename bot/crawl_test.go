package bot_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/store/sqlstore"
)

// TestCrawlEveryButton walks the conversation as a buyer, a seller and
// pickup staff would, with every feature on: from each command it presses
// every button it is shown, breadth first, a few times per verb. Every
// reply passes checkReplies (no internals, no bare keys) and checkRoutes
// (every button it shows has a route), and no press is an internal error.
// It fails, too, when the walk reaches fewer verbs than it should: a
// button that stopped appearing is a feature lost.
func TestCrawlEveryButton(t *testing.T) {
	t.Parallel()
	pay := &payEnv{}
	ho := harnessOptions{pickup: &commerce.PickupOptions{}, drops: true, broadcasts: true, persons: true, questions: true,
		admins: []string{"web:" + seller}}
	_, payments := any((*sqlstore.Store)(nil)).(commerce.PaymentFlowStore)
	if payments {
		ho.options = withPayments(t, pay, true, true)
	}
	h := newHarness(t, ho)
	h.shop.UsePayments(nil) // readyOrder confirms a cross-border order as if paid at pickup
	ctx := h.ctx
	// Something in every state: a drop on sale, one to come, an order
	// waiting at its point, staff at that point.
	pt := h.point("SH-JINGAN")
	if _, err := h.drops.Create(ctx, commerce.Drop{ProductID: h.id("COS-001"), Units: 5, Price: commerce.CNY(9900),
		StartsAt: h.clock.Now(), PerBuyerLimit: 2, ReservationTTL: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.drops.Create(ctx, commerce.Drop{ProductID: h.id("COS-003"), Units: 3, Price: commerce.CNY(4900),
		StartsAt: h.clock.Now().Add(48 * time.Hour), PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	buyer := h.user(t, "crawl-buyer", "en")
	ready := buyer.readyOrder(pt)             // paid by transfer: refunded by hand
	buyer.linkWith(h.tgUser(t, "7999", "en")) // a person of two: its links' buttons show
	sellerEntries := []string{"/start", "/help", "/products", "/drops", "/newdrop", "/points", "/broadcast", "/staff", "/questions"}
	if payments {
		// An order awaiting payment, one paid online, and a refund to
		// make by hand (Mark refunded) of the order paid by transfer.
		buyer.add("SNK-002", 1)
		pay.harness = h
		buyer.press(bot.VerbPayWeChat.Of(buyer.checkout().ID))
		paidOrder, _ := pay.payOrder(buyer, "4200000000CRAWL1", "BAB-003", 1)
		if _, _, err := pay.pay.Refund(ctx, commerce.RefundInput{Number: ready.Number, Amount: commerce.CNY(100), By: "cli", Key: "crawl"}); err != nil {
			t.Fatal(err)
		}
		sellerEntries = append(sellerEntries, "/order "+paidOrder.Number, "/order "+ready.Number)
	}
	staffID := "crawl-staff"
	s := h.user(t, seller, "en")
	s.send("/point " + pt.Code + " staff add web:" + staffID)

	pressed := map[bot.Verb]int{}
	crawl := func(c *chat, entries ...string) {
		queue := []string{}
		for _, e := range entries {
			queue = append(queue, c.sendQueue(t, e)...)
		}
		for len(queue) > 0 {
			a := queue[0]
			queue = queue[1:]
			verb, _, _ := strings.Cut(a, ":")
			if pressed[bot.Verb(verb)] >= 4 {
				continue
			}
			pressed[bot.Verb(verb)]++
			queue = append(queue, c.pressQueue(t, a)...)
		}
	}
	drops, err := h.drops.List(ctx, 10)
	if err != nil || len(drops) != 2 {
		t.Fatalf("drops %v, %v", drops, err)
	}
	crawl(buyer, "/start", "/shop", "/cart", "/orders", "/help", "/lang", "/drop "+drops[0].Code, "/drop "+drops[1].Code,
		"/start d_"+drops[0].Code, fmt.Sprintf("/start pt_%d", pt.ID), "/link", "serum", "no such thing", "/human Do you deliver to Moscow?")
	crawl(h.user(t, staffID, "en"), "/staff")
	crawl(s, sellerEntries...)

	var verbs []string
	for v := range pressed {
		verbs = append(verbs, string(v))
	}
	sort.Strings(verbs)
	t.Logf("%d verbs pressed: %s", len(verbs), strings.Join(verbs, " "))
	// Verbs a crawl from these entries must reach (more are reached; these
	// are the ones every release has shown).
	for _, v := range []bot.Verb{bot.VerbAskSeller, bot.VerbAskDone, bot.VerbQuestionShow, bot.VerbQuestionAnswer, bot.VerbQuestionCancel,
		bot.VerbCategories, bot.VerbCategory, bot.VerbProduct, bot.VerbQuantity, bot.VerbQtyNoop,
		bot.VerbAdd, bot.VerbCart, bot.VerbCartMore, bot.VerbCartLess, bot.VerbCheckout, bot.VerbCheckoutPoint,
		bot.VerbOrders, bot.VerbOrder, bot.VerbPickupSlots, bot.VerbBookPickup, bot.VerbPickupCode,
		bot.VerbDropCard, bot.VerbDropBuy, bot.VerbDropNotify, bot.VerbDropStats, bot.VerbDropEdit,
		bot.VerbSellerProducts, bot.VerbSellerCard, bot.VerbSellerEdit, bot.VerbDropNew, bot.VerbLanguage, bot.VerbHelp,
		bot.VerbLinkEnter, bot.VerbNoticeTo, bot.VerbUnlinkAsk, bot.VerbUnlinkConfirm} {
		if pressed[v] == 0 {
			t.Errorf("the crawl never reached a %q button", v)
		}
	}
	for _, v := range []bot.Verb{bot.VerbPayWeChat, bot.VerbPayChoose, bot.VerbPayRefund, bot.VerbPayRefundAll, bot.VerbPayRefundLines,
		bot.VerbPayRefundQty, bot.VerbPayRefundOK, bot.VerbPayMarkRefunded} {
		if payments && pressed[v] == 0 {
			t.Errorf("the crawl never reached a %q button", v)
		}
	}
}

// sendQueue sends text and returns the actions of the buttons shown.
func (c *chat) sendQueue(t *testing.T, text string) []string {
	t.Helper()
	m := c.base
	m.Text = text
	return c.queueOf(t, m)
}

// pressQueue presses a button and returns the actions of the buttons shown.
func (c *chat) pressQueue(t *testing.T, action string) []string {
	t.Helper()
	m := c.base
	m.Action = action
	return c.queueOf(t, m)
}

func (c *chat) queueOf(t *testing.T, m bot.Message) []string {
	t.Helper()
	replies, err := c.handle(m)
	if err != nil {
		t.Errorf("%q/%q: %v", m.Text, m.Action, err)
	}
	var out []string
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Action != "" {
					out = append(out, b.Action)
				}
			}
		}
	}
	return out
}

// A checkout that was half done when the session was saved in the old
// (version 1) shape goes on after the upgrade: the typed phone places the
// order at the point and name the old session held.
func TestOldSessionContinues(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u := h.user(t, "old-session", "en")
	pt := h.points[0]
	p := h.product("COS-001")
	v1 := fmt.Sprintf(`{"lang":"en","step":"co_phone","cart":{"lines":[{"p":%d,"q":2,"s":{"amount":%d,"currency":"CNY"}}]},`+
		`"co":{"n":"0a1b2c3d4e","pt":%d,"nm":"Old Name"},"ln":"Old Name","seen":1}`, p.ID, p.Price.Amount, pt.ID)
	if _, err := h.store.SaveSession(h.ctx, bot.SessionKey(u.base), []byte(v1), 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	r := u.send("+86 138 0000 0000")
	orders, err := h.shop.Orders(h.ctx, commerce.Buyer{Channel: bot.ChannelWeb, UserID: "old-session"}, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders %v, %v; reply %q", orders, err, r[0].Text)
	}
	o := orders[0]
	if o.ContactName != "Old Name" || o.PickupPointID != pt.ID || len(o.Lines) != 1 || o.Lines[0].Qty != 2 {
		t.Fatalf("order %+v", o)
	}
	data, _, err := h.store.LoadSession(h.ctx, bot.SessionKey(u.base))
	if err != nil || !strings.HasPrefix(string(data), `{"v":2,`) {
		t.Fatalf("saved back as %s, %v", data, err)
	}
}
