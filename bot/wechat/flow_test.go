package wechat_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/bot/wechat"
)

// Options are numbered; a typed number (full-width too) runs the button's
// action; numbers without current options stay text.
func TestNumberedOptionsRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cats, err := h.store.Categories(t.Context())
	if err != nil || len(cats) < 2 {
		t.Fatalf("categories: %v %v", cats, err)
	}
	welcome := h.event("oNum", "subscribe", "")
	if got := options(welcome); len(got) != 5 || got[0] != zh("btn_shop", nil) {
		t.Fatalf("welcome options %q in:\n%s", got, welcome)
	}
	if !strings.HasSuffix(welcome, "回复数字 1–5 选择") {
		t.Fatalf("no prompt:\n%s", welcome)
	}
	list := h.send("oNum", h.pick(welcome, zh("btn_shop", nil)))
	if !strings.HasPrefix(list, zh("categories", nil)) {
		t.Fatalf("1 → %q", list)
	}
	if got := options(list); len(got) != len(cats)+2 || got[0] != cats[0].Title.In("zh-CN") {
		t.Fatalf("category options %q", got)
	}
	if page := h.send("oNum", "２"); !strings.HasPrefix(page, cats[1].Title.In("zh-CN")) { // full-width 2
		t.Fatalf("２ → %q", page)
	}
	if got := h.send("oNum", "99"); !strings.HasPrefix(got, zh("help_unknown", nil)) {
		t.Fatalf("99 → %q", got)
	}
	// The last answer (help) has its own options; after ChoicesTTL they are gone.
	h.clock.Advance(wechat.ChoicesTTL + time.Minute)
	if got := h.send("oNum", "1"); !strings.HasPrefix(got, zh("help_unknown", nil)) {
		t.Fatalf("1 after the options expired → %q", got)
	}
}

// A flow slower than the budget: "success" at once, then the answer as a
// customer-service msgmenu, whose taps map back to the actions; a WeChat
// retry meanwhile is not processed twice.
func TestSlowRouterRepliesByCustomerService(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *wechat.Options) { o.ReplyBudget = 100 * time.Millisecond })
	// The router takes 3 s; the answer must come at the 100 ms budget, far
	// before it (the margin keeps a loaded machine from failing the test).
	h.slow.delay.Store(int64(3 * time.Second))

	ev := eventXML("oSlow", "subscribe", "", h.clock.Now().Unix())
	start := time.Now()
	var wg sync.WaitGroup
	recs := make([]int, 2)
	bodies := make([]string, 2)
	for i := range 2 { // the callback and WeChat's retry of it
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := h.post(ev)
			recs[i], bodies[i] = rec.Code, rec.Body.String()
		}()
	}
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("callbacks took %v with a 100 ms budget", took)
	}
	for i := range 2 {
		if recs[i] != http.StatusOK || bodies[i] != "success" {
			t.Fatalf("answer %d: %d %q", i, recs[i], bodies[i])
		}
	}
	h.wait()
	kf := h.api.KF()
	if len(kf) != 1 || kf[0]["msgtype"] != "msgmenu" || kf[0]["touser"] != "oSlow" || h.routed.Load() != 1 {
		t.Fatalf("late delivery: routed %d, %v", h.routed.Load(), kf)
	}
	if h.ev.get(wechat.EventLate) != 2 {
		t.Fatalf("late replies counted %d", h.ev.get(wechat.EventLate))
	}
	menu := kf[0]["msgmenu"].(map[string]any)
	items := menu["list"].([]any)
	if !strings.HasPrefix(menu["head_content"].(string), zh("welcome", map[string]any{"Name": ""})) || len(items) != 5 {
		t.Fatalf("msgmenu: %v", menu)
	}
	first := items[0].(map[string]any)
	if first["content"] != zh("btn_shop", nil) {
		t.Fatalf("first item %v", first)
	}

	// The user taps "Shop": a text with bizmsgmenuid.
	h.slow.delay.Store(0)
	tap := func(id any, label string) string {
		x := textXML("oSlow", label, h.msgID.Add(1), h.clock.Now().Unix())
		x = strings.Replace(x, "</xml>", fmt.Sprintf("<bizmsgmenuid>%v</bizmsgmenuid></xml>", id), 1)
		return h.open(h.post(x)).Content
	}
	if got := tap(first["id"], zh("btn_shop", nil)); !strings.HasPrefix(got, zh("categories", nil)) {
		t.Fatalf("tap → %q", got)
	}
	// The same (now outdated) menu tapped again is a stale button.
	if got := tap(first["id"], zh("btn_shop", nil)); !strings.HasPrefix(got, zh("err_stale", nil)) {
		t.Fatalf("stale tap → %q", got)
	}
}
