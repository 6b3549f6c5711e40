package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// sellerNotice runs the step of the job (job) telling seller ("web:x") of
// a new order, as jobs.SellerNoticeWorker does: what it would deliver,
// and when it would be asked again.
func (h *harness) sellerNotice(seller string, orderID, job int64) ([]bot.Reply, time.Time) {
	h.t.Helper()
	st, err := h.desk.NewOrderNotice(h.ctx, seller, orderID, job)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(st.Send) == 0 {
		return nil, st.WaitUntil
	}
	channel, user, _ := strings.Cut(seller, ":")
	r, err := h.router.RenderNotice(h.ctx, bot.Notice{Kind: bot.NoticeNewOrders, Channel: channel, ChatID: user, UserID: user, Orders: bot.OrderList(st.Send)})
	if err != nil {
		h.t.Fatal(err)
	}
	checkReplies(h.t, bot.Message{Text: "new-order notice"}, r)
	checkRoutes(h.t, h.router, bot.Message{Channel: channel, ChatID: user, UserID: user}, r)
	if err := h.desk.NoticeSent(h.ctx, seller, job); err != nil {
		h.t.Fatal(err)
	}
	return r, time.Time{}
}

// A seller hears of the first new order at once, with a button that opens
// it; the orders of the next minute wait and come as one summary, listing
// the first of them with buttons; a retried job sends nothing twice.
func TestNewOrderNoticesBatched(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{admins: []string{"web:seller"}, pickup: &commerce.PickupOptions{}, broadcasts: true})
	seller := h.user(t, "seller", "en")
	seller.send("/start") // the seller's language is known from then on
	n := 0
	place := func() commerce.Order {
		n++
		buyer := h.user(t, fmt.Sprintf("notice-buyer-%d", n), "ru")
		buyer.add("COS-001", 1)
		o := buyer.checkout()
		buyer.press(bot.VerbOrderConfirm.Of(o.ID))
		return h.order(o.ID)
	}
	first := place()
	r, wait := h.sellerNotice("web:seller", first.ID, 1)
	if !wait.IsZero() || len(r) != 1 || !strings.HasPrefix(r[0].Text, "🆕 New order №"+first.Number) ||
		!strings.Contains(r[0].Text, first.Phone) {
		t.Fatalf("first notice (wait %v):\n%+v", wait, r)
	}
	open := findAction(t, r[0], bot.VerbSellerOrder.Of(first.ID))
	if card := seller.press(open); !strings.HasPrefix(card[0].Text, "Order №"+first.Number) {
		t.Fatalf("the notice's button opens:\n%s", card[0].Text)
	}
	// A retry of the same job after the send: nothing.
	if r, wait := h.sellerNotice("web:seller", first.ID, 1); r != nil || !wait.IsZero() {
		t.Fatalf("retried job sent %+v (wait %v)", r, wait)
	}

	// Twelve more within the minute: each waits for the minute's end.
	start := h.clock.Now()
	var rush []commerce.Order
	for i := range 12 {
		h.clock.Advance(time.Second)
		o := place()
		rush = append(rush, o)
		if r, wait := h.sellerNotice("web:seller", o.ID, int64(10+i)); r != nil || !wait.Equal(start.Add(commerce.DefaultNoticeWindow)) {
			t.Fatalf("order %d within the minute: %+v, wait %v", i, r, wait)
		}
	}
	h.clock.Set(start.Add(commerce.DefaultNoticeWindow))
	r, _ = h.sellerNotice("web:seller", rush[5].ID, 15)
	if len(r) != 1 || !strings.HasPrefix(r[0].Text, "🆕 12 new orders within a minute:") || !strings.Contains(r[0].Text, "…and 2 more") {
		t.Fatalf("summary:\n%+v", r)
	}
	var opened []string
	for _, row := range r[0].Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, bot.VerbSellerOrder.Of()) {
				opened = append(opened, b.Action)
			}
		}
	}
	want := []string{bot.VerbSellerOrder.Of(rush[0].ID), bot.VerbSellerOrder.Of(rush[1].ID), bot.VerbSellerOrder.Of(rush[2].ID), bot.VerbSellerOrder.Of(rush[3].ID)}
	if !slices.Equal(opened, want) {
		t.Fatalf("summary buttons %v; want %v", opened, want)
	}
	// The other jobs of the minute find their orders told.
	for i, o := range rush {
		if r, wait := h.sellerNotice("web:seller", o.ID, int64(10+i)); r != nil || !wait.IsZero() {
			t.Fatalf("job of order %d after the summary: %+v, wait %v", i, r, wait)
		}
	}
}
