package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// TestDropOrderWaitsForPayment: with online payment configured, a drop
// reservation becomes a pending order shown with the checkout's payment
// choice, held until the reservation's end; the buyer starts paying with
// WeChat Pay and does not pay: the transaction is closed at the provider,
// the order cancelled and its unit back in the drop.
func TestDropOrderWaitsForPayment(t *testing.T) {
	t.Parallel()
	env := &payEnv{}
	pay := withPayments(t, env, true, false)
	h := newHarness(t, harnessOptions{drops: true, options: func(h *harness, o *bot.Options) {
		pay(h, o)
		h.drops.UsePayments(env.pay)
	}})
	env.harness = h
	sku := firstSKU(h)
	d := h.newDrop(sku, 2, 2, time.Minute)
	h.clock.Advance(time.Minute)
	c := h.user(t, "pay", "en")

	card := c.press(fmt.Sprintf("dc:%d", d.ID))
	c.press(findAction(t, card[0], fmt.Sprintf("dby:%d:1:", d.ID)))
	reserved := h.clock.Now()
	card = c.press(fmt.Sprintf("dc:%d", d.ID))
	pts := c.press(findAction(t, card[0], "dfo:"))
	c.press(findAction(t, pts[0], "dpt:"))
	c.send("Ann Lee")
	h.clock.Advance(5 * time.Minute)
	done := c.send("+86 138 0000 1234")

	orders := h.orders(c)
	if len(orders) != 1 || orders[0].Status != commerce.StatusPending || !orders[0].ExpiresAt.Equal(reserved.Add(15*time.Minute)) {
		t.Fatalf("orders %+v; want one pending until the reservation's end", orders)
	}
	o := orders[0]
	if !strings.HasPrefix(done[0].Text, "Order №"+o.Number+" — your items are reserved for 10 min.") ||
		!strings.Contains(done[0].Text, c.tx("pay_choose_short", map[string]any{"Note": ""})) {
		t.Fatalf("after the phone: %q; want the review with the payment choice", done[0].Text)
	}
	if h.placed.Load() != 1 {
		t.Fatalf("placed events %d; want 1", h.placed.Load())
	}
	if st := h.dropStats(d); st.Drop.Left != 1 {
		t.Fatalf("left %d; want 1", st.Drop.Left)
	}
	c.press(findAction(t, done[0], "pyw:"))
	o, err := h.store.Order(h.ctx, o.ID)
	if err != nil || o.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("after choosing WeChat Pay: %s, %v", o.Status, err)
	}
	// Not paid in time: closed at the provider first, then the unit is back.
	h.clock.Set(o.ExpiresAt)
	if ok, err := env.pay.Expire(h.ctx, o.ID); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	if _, closed, _ := env.wechat.calls(); len(closed) != 1 {
		t.Fatalf("closed at the provider: %v; want one", closed)
	}
	if st := h.dropStats(d); st.Drop.Left != 2 || st.Sold != 0 {
		t.Fatalf("after the expiry left %d sold %d; want 2, 0", st.Drop.Left, st.Sold)
	}
}
