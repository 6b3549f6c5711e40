package bot_test

import (
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
)

// A seller looks an order up with /order NUMBER, presses Cancel, types
// the reason: the order is cancelled, its stock is back, and the notice
// to the buyer carries the reason. Buyers have no /order; a shipped order
// can no longer be cancelled.
func TestSellerCancelsOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{admins: []string{"web:seller"}, pickup: &commerce.PickupOptions{}})
	buyer := h.user(t, "cancel-buyer", "ru")
	buyer.add("COS-001", 2)
	o := buyer.checkout()
	buyer.press(bot.VerbOrderConfirm.Of(o.ID))
	stock := h.stock("COS-001")

	// Not for buyers.
	wantText(t, buyer.send("/order "+o.Number), 0, buyer.tx("help_unknown", nil))

	seller := h.user(t, "seller", "en")
	wantText(t, seller.send("/order"), 0, seller.tx("seller_order_usage", nil))
	wantText(t, seller.send("/order zzzzzz"), 0, seller.tx("seller_order_unknown", map[string]any{"Number": "ZZZZZZ"}))
	r := seller.send("/order " + strings.ToLower(o.Number))
	if !strings.HasPrefix(r[0].Text, "Order №"+o.Number+" · confirmed") {
		t.Fatalf("seller view:\n%s", r[0].Text)
	}
	ask := seller.press(findAction(t, r[0], bot.VerbSellerCancel.Of(o.ID)))
	wantText(t, ask, 0, seller.tx("seller_cancel_ask", map[string]any{"Number": o.Number, "Max": commerce.MaxCancelReason}))
	// Keep it after all: nothing changes, the reason is no longer awaited.
	seller.press(findAction(t, ask[0], bot.VerbSellerCancelKeep.Of(o.ID)))
	wantText(t, seller.send("out of stock"), 0, seller.nothingFound())

	seller.press(bot.VerbSellerCancel.Of(o.ID))
	wantText(t, seller.send(strings.Repeat("x", commerce.MaxCancelReason+1)), 0,
		seller.tx("seller_cancel_reason_bad", map[string]any{"Max": commerce.MaxCancelReason}))
	const reason = "The warehouse lost this parcel"
	wantText(t, seller.send(reason), 0, seller.tx("seller_order_cancelled", map[string]any{"Number": o.Number, "Reason": reason}))
	cur := h.order(o.ID)
	if cur.Status != commerce.StatusCancelled || cur.CancelReason != reason || cur.CancelledBy != "web:seller" {
		t.Fatalf("order after the cancellation: %+v", cur)
	}
	if s := h.stock("COS-001"); s != stock+2 {
		t.Fatalf("stock %d; want %d", s, stock+2)
	}
	// The Cancel button of an earlier view is answered, not acted on twice.
	wantText(t, seller.press(findAction(t, r[0], bot.VerbSellerCancel.Of(o.ID))), 0,
		seller.tx("seller_cancel_already", map[string]any{"Number": o.Number}))

	// The buyer's notice, in their language, with the reason.
	n, err := h.notice(bot.NoticeOrderCancelled, cur, cur.Lang, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, n, 0, buyer.tx("order_cancelled_by_seller", map[string]any{"Number": o.Number, "Reason": reason}))
	// Addressed to someone else, it says nothing.
	if r, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeOrderCancelled, Channel: "web", ChatID: "x", UserID: "mallory", OrderID: o.ID}); err != nil || len(r) != 0 {
		t.Fatalf("notice to another user: %+v, %v", r, err)
	}

	// Once shipped, too late.
	buyer.add("COS-001", 1)
	shipped := buyer.checkout()
	buyer.press(bot.VerbOrderConfirm.Of(shipped.ID))
	if rep, err := h.pickup.Ship(h.ctx, commerce.Shipment{PointID: shipped.PickupPointID, Numbers: []string{shipped.Number}}); err != nil || len(rep.Moved) != 1 {
		t.Fatalf("Ship = %+v, %v", rep, err)
	}
	r = seller.send("/order " + shipped.Number)
	if hasAction(r[0], bot.VerbSellerCancel.Of(shipped.ID)) {
		t.Fatal("a shipped order offers Cancel")
	}
	wantText(t, seller.press(bot.VerbSellerCancel.Of(shipped.ID)), 0, seller.tx("seller_cancel_too_late",
		map[string]any{"Number": shipped.Number, "Status": seller.tx("status_shipped", nil)}))
}
