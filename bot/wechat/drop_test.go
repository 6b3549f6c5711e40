package wechat_test

import (
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/commerce"
)

// A drop's parametric QR code (scene d_<code>) opens the drop card, for
// new and existing followers alike.
func TestDropScene(t *testing.T) {
	t.Parallel()
	var drops *commerce.DropService
	h := newRouterHarness(t, func(h *harness, o *bot.Options) {
		drops = commerce.NewDropService(commerce.DropServiceOptions{Store: h.store, Clock: h.clock})
		o.Drops = drops
	})
	products, _ := h.store.Products(t.Context(), commerceFilterAll())
	serum := productBySKU(t, products, "COS-001")
	d, err := drops.Create(t.Context(), commerce.Drop{ProductID: serum.ID, Units: 5, Price: commerce.CNY(9900),
		StartsAt: h.clock.Now().Add(time.Hour), PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ event, key string }{{"subscribe", "qrscene_d_" + d.Code}, {"SCAN", "d_" + d.Code}} {
		got := h.event("oDrop", tc.event, tc.key)
		if !strings.Contains(got, "🔥 "+serum.Title.In("zh-CN")) || !strings.Contains(got, "距开抢还有 1 小时 0 分钟") {
			t.Fatalf("%s %s: %q", tc.event, tc.key, got)
		}
	}
}
