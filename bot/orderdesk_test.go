package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// placeOrders has n buyers (of their own chats) each order one serum and
// confirm; it returns the orders, oldest first.
func (h *harness) placeOrders(t *testing.T, prefix string, n int) []commerce.Order {
	t.Helper()
	var out []commerce.Order
	for i := range n {
		buyer := h.user(t, fmt.Sprintf("%s-%d", prefix, i), "en")
		buyer.add("COS-001", 1)
		o := buyer.checkout()
		buyer.press(bot.VerbOrderConfirm.Of(o.ID))
		out = append(out, h.order(o.ID))
	}
	return out
}

// A seller's /orders is the desk: shelves with counts, a shelf's orders
// page by page, search by number and by the phone's last digits, the
// order card with its actions (ship, arrive, a note to the buyer), and
// their own orders a button away. A buyer's /orders is unchanged.
func TestOrderDesk(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{admins: []string{"web:seller"}, pickup: &commerce.PickupOptions{}})
	orders := h.placeOrders(t, "desk-buyer", 10)
	seller := h.user(t, "seller", "en")

	home := seller.send("/orders")
	if !strings.HasPrefix(home[0].Text, "🗂 Order desk\n• 🆕 New (24 h): 10\n• 📦 To ship: 10\n• 🚚 On the way: 0") {
		t.Fatalf("desk:\n%s", home[0].Text)
	}
	// Their own orders, as a buyer, a button away.
	wantText(t, seller.press(findAction(t, home[0], bot.VerbOrders.Of())), 0, seller.tx("orders_empty", nil))

	// To ship, newest first, 8 a page.
	page := seller.press(findAction(t, home[0], bot.VerbDeskList.Of(string(commerce.DeskToShip), 0)))
	if !strings.HasPrefix(page[0].Text, "📦 To ship · 10 · page 1 of 2\n• №"+orders[9].Number) || strings.Contains(page[0].Text, orders[1].Number) {
		t.Fatalf("page 1:\n%s", page[0].Text)
	}
	page = seller.press(findAction(t, page[0], bot.VerbDeskList.Of(string(commerce.DeskToShip), 1)))
	if !strings.Contains(page[0].Text, "page 2 of 2\n• №"+orders[1].Number) || !hasAction(page[0], bot.VerbSellerOrder.Of(orders[0].ID)) {
		t.Fatalf("page 2:\n%s", page[0].Text)
	}

	// Search: by number (any case), by the phone's last 4 digits, nothing, nonsense.
	o := orders[3]
	card := seller.send("/orders " + strings.ToLower(o.Number))
	if !strings.HasPrefix(card[0].Text, "Order №"+o.Number+" · confirmed\n💳 Not paid yet") || !strings.Contains(card[0].Text, o.Phone) {
		t.Fatalf("card:\n%s", card[0].Text)
	}
	r := seller.press(bot.VerbDeskSearch.Of())
	wantText(t, r, 0, seller.tx("desk_search_ask", nil))
	r = seller.send(o.Phone[len(o.Phone)-4:])
	if !strings.HasPrefix(r[0].Text, "Order №"+o.Number) && !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("search by phone digits:\n%s", r[0].Text)
	}
	seller.press(bot.VerbDeskSearch.Of())
	wantText(t, seller.send("??"), 0, seller.tx("desk_search_bad", nil))
	wantText(t, seller.send("0000"), 0, seller.tx("desk_search_none", map[string]any{"Query": "0000"}))
	// /order NUMBER leads to the same card.
	if r := seller.send("/order " + o.Number); r[0].Text != card[0].Text {
		t.Fatalf("/order card:\n%s\nwant\n%s", r[0].Text, card[0].Text)
	}

	// Ship, then arrive; pressing ship again changes nothing.
	r = seller.press(findAction(t, card[0], bot.VerbDeskShip.Of(o.ID)))
	wantText(t, r, 0, seller.tx("desk_shipped", map[string]any{"Number": o.Number}))
	if !strings.HasPrefix(r[1].Text, "Order №"+o.Number+" · on the way") && !strings.Contains(r[1].Text, "Order №"+o.Number) {
		t.Fatalf("card after shipping:\n%s", r[1].Text)
	}
	if h.order(o.ID).Status != commerce.StatusShipped || hasAction(r[1], bot.VerbDeskShip.Of(o.ID)) || hasAction(r[1], bot.VerbSellerCancel.Of(o.ID)) {
		t.Fatalf("after shipping: %s, buttons %v", h.order(o.ID).Status, actions(r[1]))
	}
	wantText(t, seller.press(bot.VerbDeskShip.Of(o.ID)), 0, seller.tx("desk_not_moved",
		map[string]any{"Number": o.Number, "Status": seller.tx("status_shipped", nil)}))
	r = seller.press(findAction(t, r[1], bot.VerbDeskArrive.Of(o.ID)))
	wantText(t, r, 0, seller.tx("desk_arrived", map[string]any{"Number": o.Number}))
	if h.order(o.ID).Status != commerce.StatusReadyForPickup {
		t.Fatalf("after arrival: %s", h.order(o.ID).Status)
	}
	home = seller.send("/orders")
	if !strings.Contains(home[0].Text, "📦 To ship: 9\n") || !strings.Contains(home[0].Text, "🛍 Awaiting pickup: 1\n") {
		t.Fatalf("desk after the moves:\n%s", home[0].Text)
	}

	// A note to the buyer: asked, checked, sent as a notice to their chat.
	r = seller.press(bot.VerbDeskNote.Of(o.ID))
	wantText(t, r, 0, seller.tx("desk_note_ask", map[string]any{"Number": o.Number, "Max": commerce.MaxNote}))
	wantText(t, seller.send(strings.Repeat("x", commerce.MaxNote+1)), 0, seller.tx("desk_note_bad", map[string]any{"Max": commerce.MaxNote}))
	const note = "Your parcel is at the counter; ask for Anna."
	wantText(t, seller.send(note), 0, seller.tx("desk_note_sent", map[string]any{"Number": o.Number}))
	d, err := h.desk.Order(h.ctx, o.ID)
	if err != nil || len(d.Notes) != 1 || d.Notes[0].Body != note || d.Notes[0].By != "web:seller" {
		t.Fatalf("notes: %+v, %v", d.Notes, err)
	}
	n := bot.Notice{Kind: bot.NoticeOrderNote, Channel: o.Buyer.Channel, ChatID: o.ChatID, UserID: o.Buyer.UserID, Lang: "en", OrderID: o.ID, NoteID: d.Notes[0].ID}
	r, err = h.router.RenderNotice(h.ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, r, 0, seller.tx("desk_note_notice", map[string]any{"Number": o.Number, "Note": note}))
	n.UserID = "mallory"
	if r, err := h.router.RenderNotice(h.ctx, n); err != nil || len(r) != 0 {
		t.Fatalf("a note to another buyer: %+v, %v", r, err)
	}
	if c := seller.send("/order " + o.Number); !strings.Contains(c[0].Text, note) {
		t.Fatalf("card without its note:\n%s", c[0].Text)
	}

	// A week and a day later: nothing is new any more, the order at the
	// point is overdue.
	h.clock.Advance(8 * 24 * time.Hour)
	home = seller.send("/orders")
	for _, want := range []string{"🆕 New (24 h): 0\n", "📦 To ship: 9\n", "🛍 Awaiting pickup: 0\n", "⏰ Overdue: 1\n"} {
		if !strings.Contains(home[0].Text, want) {
			t.Fatalf("desk a week later lacks %q:\n%s", want, home[0].Text)
		}
	}
	if r := seller.press(bot.VerbDeskList.Of(string(commerce.DeskOverdue), 0)); !strings.Contains(r[0].Text, "№"+o.Number) {
		t.Fatalf("overdue shelf:\n%s", r[0].Text)
	}
	// Overdue, it may be cancelled from its card: the stock goes back.
	card = seller.send("/order " + o.Number)
	if !hasAction(card[0], bot.VerbSellerCancel.Of(o.ID)) {
		t.Fatalf("the card of an overdue order offers no Cancel: %v", actions(card[0]))
	}
	stock := h.product(o.Lines[0].SKU).Stock
	seller.press(bot.VerbSellerCancel.Of(o.ID))
	wantText(t, seller.send("Not collected within the week"), 0, seller.tx("seller_order_cancelled", map[string]any{"Number": o.Number, "Reason": "Not collected within the week"}))
	if got := h.order(o.ID); got.Status != commerce.StatusCancelled || h.product(o.Lines[0].SKU).Stock != stock+o.Lines[0].Qty {
		t.Fatalf("after the overdue cancel: %s, stock %d (was %d)", got.Status, h.product(o.Lines[0].SKU).Stock, stock)
	}

	// Not for buyers: /orders is their own list, the desk's buttons stale.
	buyer := h.user(t, "desk-buyer-0", "en")
	if r := buyer.send("/orders"); !strings.Contains(r[0].Text, orders[0].Number) {
		t.Fatalf("a buyer's /orders:\n%s", r[0].Text)
	}
	wantText(t, buyer.press(bot.VerbDeskShip.Of(orders[0].ID)), 0, buyer.tx("err_stale", nil))
	if h.order(orders[0].ID).Status != commerce.StatusConfirmed {
		t.Fatal("a buyer shipped an order")
	}
}

// An unpaid order at the counter offers only the payment buttons; the
// plain hand-over is refused until the payment is recorded.
func TestUnpaidOrderNotHandedOver(t *testing.T) {
	t.Parallel()
	h := newPickupHarness(t)
	u := h.user(t, "unpaid-buyer", "en")
	o := u.readyUnpaid(h.point("SH-JINGAN"))
	st := h.staff(t, "staff-jingan")
	r := st.send(u.code(o))
	if anyAction(r, bot.VerbHandOver.Of()+":") != "" {
		t.Fatalf("an unpaid order offers the plain hand-over: %v", actions(r[0]))
	}
	pay := findAction(t, r[0], bot.VerbHandOverPaid.Of()+":")
	nonce := strings.Split(pay, ":")[1]
	wantText(t, st.press(bot.VerbHandOver.Of(nonce)), 0, st.tx("err_payment_required", nil))
	if got := h.order(o.ID); got.Status != commerce.StatusReadyForPickup || got.Paid.IsPaid() {
		t.Fatalf("refused hand-over changed the order: %s %+v", got.Status, got.Paid)
	}
	// The card shows it unpaid; after the payment, paid.
	seller := h.user(t, "seller", "en")
	if c := seller.send("/order " + o.Number); !strings.Contains(c[0].Text, "💳 Not paid yet") {
		t.Fatalf("card:\n%s", c[0].Text)
	}
	r = st.send(u.code(o))
	if r := st.press(findAction(t, r[0], bot.VerbHandOverPaid.Of()+":")); !strings.HasPrefix(r[0].Text, "✅") {
		t.Fatalf("hand-over with the payment:\n%s", r[0].Text)
	}
	if c := seller.send("/order " + o.Number); !strings.Contains(c[0].Text, "💰 Paid ¥159.00 · cash") {
		t.Fatalf("card after payment:\n%s", c[0].Text)
	}
}
