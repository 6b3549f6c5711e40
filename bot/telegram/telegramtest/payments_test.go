package telegramtest

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake checks invoices and pre-checkout answers as Telegram does.
func TestFakePayments(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)
	f := NewFakeAPIWith(Options{Clock: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	defer f.Close()
	invoice := func(mod func(url.Values)) url.Values {
		p := url.Values{"chat_id": {"5"}, "title": {"Order K7Q2M9"}, "description": {"Wipes × 2"}, "payload": {"K7Q2M9P1"},
			"provider_token": {"tok"}, "currency": {"CNY"}, "prices": {`[{"label":"Wipes × 2","amount":19800}]`}, "start_parameter": {"shop"}}
		if mod != nil {
			mod(p)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		mod  func(url.Values)
		want int
	}{
		{"valid", nil, 200},
		{"title of 32 characters", func(p url.Values) { p.Set("title", strings.Repeat("я", 32)) }, 200},
		{"title of 33", func(p url.Values) { p.Set("title", strings.Repeat("я", 33)) }, 400},
		{"no title", func(p url.Values) { p.Del("title") }, 400},
		{"description of 256", func(p url.Values) { p.Set("description", strings.Repeat("d", 256)) }, 400},
		{"payload of 129 bytes", func(p url.Values) { p.Set("payload", strings.Repeat("p", 129)) }, 400},
		{"no provider token", func(p url.Values) { p.Del("provider_token") }, 400},
		{"bad currency", func(p url.Values) { p.Set("currency", "yuan") }, 400},
		{"no prices", func(p url.Values) { p.Set("prices", `[]`) }, 400},
		{"blank label", func(p url.Values) { p.Set("prices", `[{"label":" ","amount":1}]`) }, 400},
		{"nothing to pay", func(p url.Values) { p.Set("prices", `[{"label":"a","amount":100},{"label":"b","amount":-100}]`) }, 400},
		{"no chat", func(p url.Values) { p.Del("chat_id") }, 400},
	} {
		if got, body := call(t, f, Token, "sendInvoice", invoice(tc.mod)); got != tc.want {
			t.Errorf("%s: %d %v; want %d", tc.name, got, body, tc.want)
		}
	}
	invs := f.Invoices(5)
	if len(invs) != 2 || invs[0].Payload != "K7Q2M9P1" || invs[0].ProviderToken != "tok" || invs[0].Total() != 19800 || invs[0].StartParameter != "shop" {
		t.Fatalf("invoices %+v", invs)
	}
	last, _ := f.Last(5)
	if last.Invoice == nil || last.Text != "" {
		t.Errorf("last message %+v; want the invoice", last)
	}
	var res struct {
		Invoice struct {
			Total int64 `json:"total_amount"`
		} `json:"invoice"`
	}
	if err := json.Unmarshal(f.MessageJSON(last), &res); err != nil || res.Invoice.Total != 19800 {
		t.Errorf("the invoice message as Telegram shows it: %+v %v", res, err)
	}

	// Pre-checkout answers: ok needs no reason, a refusal does; one answer
	// a query; none after 10 s.
	f.PreCheckoutUpdate(1, 5, "K7Q2M9P1", "CNY", 19800, "en")
	f.PreCheckoutUpdate(2, 5, "K7Q2M9P1", "CNY", 19800, "en")
	f.PreCheckoutUpdate(3, 5, "K7Q2M9P1", "CNY", 19800, "en")
	answer := func(id, ok, reason string) int {
		p := url.Values{"pre_checkout_query_id": {id}}
		if ok != "" {
			p.Set("ok", ok)
		}
		if reason != "" {
			p.Set("error_message", reason)
		}
		got, _ := call(t, f, Token, "answerPreCheckoutQuery", p)
		return got
	}
	for _, tc := range []struct {
		name, id, ok, reason string
		want                 int
	}{
		{"ok", PreCheckoutQueryID(1), "true", "", 200},
		{"answered twice", PreCheckoutQueryID(1), "true", "", 400},
		{"ok left out", PreCheckoutQueryID(2), "", "", 400},
		{"refused without a reason", PreCheckoutQueryID(2), "false", "", 400},
		{"refused", PreCheckoutQueryID(2), "false", "Sold out", 200},
		{"no id", "", "true", "", 400},
	} {
		if got := answer(tc.id, tc.ok, tc.reason); got != tc.want {
			t.Errorf("%s: %d; want %d", tc.name, got, tc.want)
		}
	}
	mu.Lock()
	now = now.Add(PreCheckoutWindow + time.Millisecond)
	mu.Unlock()
	if got := answer(PreCheckoutQueryID(3), "true", ""); got != 400 {
		t.Errorf("an answer after %v: %d; want 400", PreCheckoutWindow, got)
	}
	ans := f.PreCheckoutAnswers()
	if len(ans) != 2 || !ans[0].OK || ans[1].OK || ans[1].Error != "Sold out" || ans[0].After != 0 {
		t.Fatalf("answers %+v", ans)
	}
}
