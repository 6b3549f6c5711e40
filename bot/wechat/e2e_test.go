package wechat_test

import (
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/demo"
)

// A buyer orders from the demo shop through encrypted callbacks only:
// follow → numbered choices through the catalog → product → quantity → add
// → checkout → pickup point → name → phone → confirm.
func TestEndToEndOrderInSafeMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	const user = "oE2E_buyer-0001"
	products, err := h.store.Products(ctx, commerceFilterAll())
	if err != nil {
		t.Fatal(err)
	}
	serum := productBySKU(t, products, "COS-001")
	cats, _ := h.store.Categories(ctx)
	var cosmetics commerce.Category
	for _, c := range cats {
		if c.Slug == demo.SlugCosmetics {
			cosmetics = c
		}
	}

	step := func(r, want string) string {
		t.Helper()
		if !strings.HasPrefix(r, want) {
			t.Fatalf("expected %q…, got:\n%s", want, r)
		}
		return r
	}
	r := step(h.event(user, "subscribe", ""), zh("welcome", map[string]any{"Name": ""}))
	r = step(h.send(user, h.pick(r, zh("btn_shop", nil))), zh("categories", nil))
	r = step(h.send(user, h.pick(r, cosmetics.Title.In("zh-CN"))), cosmetics.Title.In("zh-CN"))
	r = step(h.send(user, h.pick(r, serum.Title.In("zh-CN"))), serum.Title.In("zh-CN"))
	if kf := h.api.KF(); len(kf) != 1 || kf[0]["msgtype"] != "news" {
		t.Fatalf("product card not sent before the reply: %v", kf)
	}
	r = step(h.send(user, h.pick(r, "+")), serum.Title.In("zh-CN")) // quantity 2
	r = step(h.send(user, h.pick(r, zh("btn_add", map[string]any{"Qty": 2, "Total": serum.Price.Mul(2)}))),
		zh("added", map[string]any{"Qty": 2, "Title": serum.Title.In("zh-CN"), "Units": 2, "Total": serum.Price.Mul(2)}))
	r = step(h.send(user, h.pick(r, zh("btn_checkout", nil))), zh("checkout_point", map[string]any{"Total": serum.Price.Mul(2), "Units": 2}))
	if len(options(r)) < 2 {
		t.Fatalf("no pickup points offered:\n%s", r)
	}
	step(h.send(user, "1"), "自提点：")
	step(h.send(user, "张三"), zh("checkout_phone", map[string]any{"Name": "张三"}))
	r = step(h.send(user, "+86 138 0013 8000"), "订单 №")
	r = step(h.send(user, h.pick(r, zh("btn_confirm", nil))), "✅ 订单 №")

	orders, err := h.shop.Orders(ctx, commerce.Buyer{Channel: bot.ChannelWeChat, UserID: user}, 10)
	if err != nil || len(orders) != 1 {
		t.Fatalf("orders: %v, %v", orders, err)
	}
	o := orders[0]
	if o.Status != commerce.StatusConfirmed || o.Total != serum.Price.Mul(2) || o.ContactName != "张三" || len(o.Lines) != 1 || o.Lines[0].Qty != 2 {
		t.Fatalf("order: %+v", o)
	}
	if !strings.Contains(r, o.Number) || h.placed.Load() != 1 {
		t.Fatalf("confirmation does not name order %s (placed %d):\n%s", o.Number, h.placed.Load(), r)
	}
	if after := productBySKU(t, mustProducts(t, h), "COS-001"); after.Stock != serum.Stock-2 {
		t.Fatalf("stock %d → %d", serum.Stock, after.Stock)
	}
	// Nothing personal or secret reached the logs.
	logs := h.logs.String()
	for _, s := range []string{"张三", "13800138000", "0013", secret, aesKey, "TOKEN-"} {
		if strings.Contains(logs, s) {
			t.Fatalf("logs contain %q:\n%s", s, logs)
		}
	}
}

func mustProducts(t *testing.T, h *harness) []commerce.Product {
	t.Helper()
	ps, err := h.store.Products(t.Context(), commerceFilterAll())
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
