package wechat_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot/wechat"
)

// A rejected token (40001) is renewed once and the call retried once.
func TestTokenRenewedOnceOnInvalidToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *wechat.Options) { o.KFQuotaEvent = 50 })
	ctx := t.Context()
	h.event("oTok", "subscribe", "") // opens the customer-service window

	notify := func() error { return h.a.Notify(ctx, "oTok", "order_arrived", "Your order has arrived.", nil) }
	if err := notify(); err != nil {
		t.Fatal(err)
	}
	if calls, _, _ := h.api.Counts(); calls != 1 {
		t.Fatalf("stable_token called %d times", calls)
	}
	if err := notify(); err != nil { // cached token reused
		t.Fatal(err)
	}

	// Another party forced a refresh: our cached token is now invalid.
	h.api.Invalidate(false)
	if err := notify(); err != nil {
		t.Fatalf("after invalidation: %v", err)
	}
	if calls, forced, rejected := h.api.Counts(); calls != 2 || forced != 0 || rejected != 1 {
		t.Fatalf("token calls %d (forced %d), rejected %d; want 2, 0, 1", calls, forced, rejected)
	}

	// The stable endpoint hands back the rejected token: force a new one.
	h.api.Invalidate(true)
	if err := notify(); err != nil {
		t.Fatalf("after invalidation with a stale stable token: %v", err)
	}
	if calls, forced, rejected := h.api.Counts(); calls != 4 || forced != 1 || rejected != 2 {
		t.Fatalf("token calls %d (forced %d), rejected %d; want 4, 1, 2", calls, forced, rejected)
	}
	if n := len(h.api.KF()); n != 4 || h.ev.get(wechat.EventTokenRejected) != 2 {
		t.Fatalf("kf sent %d, token rejections %d", n, h.ev.get(wechat.EventTokenRejected))
	}
	if logs := h.logs.String(); strings.Contains(logs, "TOKEN-") || strings.Contains(logs, secret) {
		t.Fatalf("token or secret logged: %s", logs)
	}
}

// A token that is rejected again after renewal is not retried forever.
func TestTokenRetriedOnlyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A cache that always hands out a token the API rejects.
	h2 := newHarness(t, func(o *wechat.Options) {
		o.APIBase, o.TokenCache = h.api.URL(), stuckCache{wechat.NewMemoryTokenCache(nil)}
	})
	err := h2.a.CreateMenu(t.Context())
	var apiErr *wechat.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 40001 {
		t.Fatalf("err = %v; want APIError 40001", err)
	}
	if _, _, rejected := h.api.Counts(); rejected != 2 {
		t.Fatalf("rejected %d calls; want 2 (call + one retry)", rejected)
	}
	if strings.Contains(err.Error(), "STUCK") {
		t.Fatalf("error shows the token: %v", err)
	}
}

// stuckCache always returns the same bad token.
type stuckCache struct{ *wechat.MemoryTokenCache }

func (stuckCache) GetContext(context.Context, string) any { return "STUCK-TOKEN" }

// Replicas sharing a cache fetch the token once between them.
func TestTokenSharedByReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	shared := wechat.NewMemoryTokenCache(nil)
	var adapters []*wechat.Adapter
	for range 3 {
		o := h.opts
		o.TokenCache = shared
		a, err := wechat.New(o)
		if err != nil {
			t.Fatal(err)
		}
		adapters = append(adapters, a)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := adapters[i%3].CreateMenu(t.Context()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if calls, _, _ := h.api.Counts(); calls != 1 {
		t.Fatalf("stable_token called %d times by 3 replicas", calls)
	}
	if got := shared.Get(wechat.TokenCacheKey(appID)); got != "TOKEN-1" {
		t.Fatalf("cached token %v under the library's key", got)
	}
}

// Notify: customer-service text inside the window and its quota, template
// message outside.
func TestNotifyChoosesChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	data := map[string]string{"first": "Order 123 arrived", "keyword1": "Shanghai"}

	// Never interacted: template.
	if err := h.a.Notify(ctx, "oN", "order_arrived", "Your order arrived.", data); err != nil {
		t.Fatal(err)
	}
	tpl := h.api.Templates()
	if len(tpl) != 1 || tpl[0]["template_id"] != "TPL-ARRIVED" || tpl[0]["touser"] != "oN" ||
		tpl[0]["data"].(map[string]any)["keyword1"].(map[string]any)["value"] != "Shanghai" {
		t.Fatalf("template: %v", tpl)
	}
	if err := h.a.Notify(ctx, "oN", "no_such_kind", "x", nil); !errors.Is(err, wechat.ErrNoTemplate) {
		t.Fatalf("unknown kind: %v", err)
	}

	// The user writes: the window opens with a quota of 5.
	h.send("oN", "/help")
	for i := range 5 {
		if err := h.a.Notify(ctx, "oN", "order_arrived", "Your order arrived.", data); err != nil {
			t.Fatal(err)
		}
		if n := len(h.api.KF()); n != i+1 {
			t.Fatalf("notification %d: kf sent %d", i+1, n)
		}
	}
	if err := h.a.Notify(ctx, "oN", "order_arrived", "Your order arrived.", data); err != nil {
		t.Fatal(err)
	}
	if len(h.api.KF()) != 5 || len(h.api.Templates()) != 2 || h.ev.get(wechat.EventKFQuota) != 3 { // the two before the window opened, and this one
		t.Fatalf("over quota: kf %d, templates %d, %v", len(h.api.KF()), len(h.api.Templates()), h.ev.snapshot())
	}

	// A new message reopens it; 48 hours later it is closed.
	h.send("oN", "/help")
	if err := h.a.Notify(ctx, "oN", "order_arrived", "Your order arrived.", data); err != nil || len(h.api.KF()) != 6 {
		t.Fatalf("reopened window: %v, kf %d", err, len(h.api.KF()))
	}
	h.clock.Advance(wechat.KFWindow)
	if err := h.a.Notify(ctx, "oN", "order_arrived", "Your order arrived.", data); err != nil || len(h.api.Templates()) != 3 {
		t.Fatalf("closed window: %v, templates %d", err, len(h.api.Templates()))
	}

	// WeChat says the window is closed (45015): template, and no more kf tries.
	h.send("oN", "/help")
	h.api.SetKFError(45015)
	if err := h.a.Notify(ctx, "oN", "order_arrived", "Your order arrived.", data); err != nil || len(h.api.Templates()) != 4 {
		t.Fatalf("45015: %v, templates %d", err, len(h.api.Templates()))
	}
	h.api.SetKFError(0)
	if err := h.a.Notify(ctx, "oN", "order_arrived", "x", data); err != nil || len(h.api.Templates()) != 5 {
		t.Fatalf("after 45015: %v, templates %d", err, len(h.api.Templates()))
	}

	if err := h.a.Notify(ctx, "not an openid!", "order_arrived", "x", nil); !errors.Is(err, wechat.ErrInvalidOpenID) {
		t.Fatalf("bad openid: %v", err)
	}
	h.api.SetTemplateFail(true)
	err := h.a.Notify(ctx, "oN", "order_arrived", "x", data)
	if err == nil || strings.Contains(err.Error(), "TOKEN-") || strings.Contains(err.Error(), secret) {
		t.Fatalf("failed template: %v", err)
	}
}

func TestCreateMenu(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if err := h.a.CreateMenu(t.Context()); err != nil {
		t.Fatal(err)
	}
	menus := h.api.Menus()
	if len(menus) != 1 {
		t.Fatalf("menus: %v", menus)
	}
	var got []string
	for _, b := range menus[0]["button"].([]any) {
		m := b.(map[string]any)
		got = append(got, m["type"].(string)+" "+m["name"].(string)+" "+m["key"].(string))
	}
	if strings.Join(got, ", ") != "click 商城 SHOP, click 购物车 CART, click 我的订单 ORDERS" {
		t.Fatalf("menu: %v", got)
	}
}

func TestQRCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	for _, bad := range []string{"", strings.Repeat("p", 65), "p 1", "商品", "p_1?x=1"} {
		if _, err := h.a.QRCode(ctx, bad, true); !errors.Is(err, wechat.ErrInvalidScene) {
			t.Errorf("scene %q: %v", bad, err)
		}
	}
	tmp, err := h.a.QRCode(ctx, "p_12", true)
	if err != nil {
		t.Fatal(err)
	}
	perm, err := h.a.QRCode(ctx, strings.Repeat("d", 64), false)
	if err != nil {
		t.Fatal(err)
	}
	qrs := h.api.QRs()
	if len(qrs) != 2 {
		t.Fatalf("qrcode/create called %d times", len(qrs))
	}
	scene := func(m map[string]any) string {
		return m["action_info"].(map[string]any)["scene"].(map[string]any)["scene_str"].(string)
	}
	if qrs[0]["action_name"] != "QR_STR_SCENE" || qrs[0]["expire_seconds"] != float64(2592000) || scene(qrs[0]) != "p_12" {
		t.Fatalf("temporary: %v", qrs[0])
	}
	if _, has := qrs[1]["expire_seconds"]; qrs[1]["action_name"] != "QR_LIMIT_STR_SCENE" || has || scene(qrs[1]) != strings.Repeat("d", 64) {
		t.Fatalf("permanent: %v", qrs[1])
	}
	for _, raw := range []string{tmp, perm} {
		if !strings.HasPrefix(raw, h.api.URL()+"/cgi-bin/showqrcode?ticket=") || strings.Contains(raw, "==") {
			t.Fatalf("QR URL %q (ticket must be escaped)", raw)
		}
		resp, err := http.Get(raw)
		if err != nil {
			t.Fatal(err)
		}
		img, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(img), "\x89PNG") {
			t.Fatalf("showqrcode: %d", resp.StatusCode)
		}
	}
}

// Transport errors do not carry the URL (it holds the access token).
func TestErrorsHideToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	failing := &http.Client{Timeout: 5 * time.Second, Transport: failAfterToken{base: http.DefaultTransport}}
	h2 := newHarness(t, func(o *wechat.Options) { o.APIBase, o.HTTPClient = h.api.URL(), failing })
	err := h2.a.CreateMenu(t.Context())
	if err == nil || strings.Contains(err.Error(), "TOKEN-") || strings.Contains(err.Error(), "access_token") {
		t.Fatalf("err = %v", err)
	}
}

// failAfterToken lets stable_token through and fails every other call.
type failAfterToken struct{ base http.RoundTripper }

func (f failAfterToken) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/stable_token") {
		return f.base.RoundTrip(r)
	}
	return nil, errors.New("connection reset")
}

// TestQRContent: a permanent string-scene code, and what it encodes.
func TestQRContent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	if _, err := h.a.QRContent(ctx, "p 1"); !errors.Is(err, wechat.ErrInvalidScene) {
		t.Fatalf("bad scene: %v", err)
	}
	got, err := h.a.QRContent(ctx, "p_7")
	if err != nil || got != "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI" {
		t.Fatalf("QRContent = %q, %v", got, err)
	}
	qrs := h.api.QRs()
	if len(qrs) != 1 || qrs[0]["action_name"] != "QR_LIMIT_STR_SCENE" ||
		qrs[0]["action_info"].(map[string]any)["scene"].(map[string]any)["scene_str"] != "p_7" {
		t.Fatalf("qrcode/create: %v", qrs)
	}
}
