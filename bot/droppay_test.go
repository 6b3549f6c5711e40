package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
)

// TestDropOrderWaitsForPayment: with online payment configured, a drop
// reservation becomes a pending order shown as the checkout's review (its
// payment choice), held until the reservation's end; unpaid, it expires and
// its units go back to the drop.
func TestDropOrderWaitsForPayment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{drops: true})
	pay := commerce.NewPayments(commerce.PaymentsOptions{Store: h.store, Clock: h.clock, Telegram: true})
	h.drops.UsePayments(pay)
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
	if !strings.HasPrefix(done[0].Text, "Order №"+o.Number+" — your items are reserved for 10 min.") {
		t.Fatalf("after the phone: %q; want the order review", done[0].Text)
	}
	if h.placed.Load() != 1 {
		t.Fatalf("placed events %d; want 1", h.placed.Load())
	}
	if st := h.dropStats(d); st.Drop.Left != 1 {
		t.Fatalf("left %d; want 1", st.Drop.Left)
	}
	// Not paid by the reservation's end: the order expires, the unit is back.
	h.clock.Set(o.ExpiresAt)
	if ok, err := h.shop.ExpireOrder(h.ctx, o.ID); err != nil || !ok {
		t.Fatalf("ExpireOrder = %v, %v", ok, err)
	}
	if st := h.dropStats(d); st.Drop.Left != 2 || st.Sold != 0 {
		t.Fatalf("after the expiry left %d sold %d; want 2, 0", st.Drop.Left, st.Sold)
	}
}
