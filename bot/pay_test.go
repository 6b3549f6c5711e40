package bot_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"shopbot/bot"
	"shopbot/commerce"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// fakeWeChat is WeChat Pay as commerce needs it (commerce.WeChatPayer): a
// Native prepay answers a code_url; it records what it was asked, and
// down makes every call fail as an unreachable provider does.
type fakeWeChat struct {
	mu      sync.Mutex
	prepays []commerce.Prepay
	closed  []string
	refunds []commerce.RefundCall
	down    bool
	// onClose runs inside Close, before it answers (the stock must still
	// be held then).
	onClose func(outTradeNo string)
}

func (f *fakeWeChat) setDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *fakeWeChat) Prepay(_ context.Context, p commerce.Prepay) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", fmt.Errorf("prepay: connection refused: %w", commerce.ErrProvider)
	}
	f.prepays = append(f.prepays, p)
	return "weixin://wxpay/bizpayurl?pr=" + p.OutTradeNo, nil
}

func (f *fakeWeChat) Query(_ context.Context, outTradeNo string) (commerce.ProviderPayment, error) {
	return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: outTradeNo, State: "NOTPAY"}, nil
}

func (f *fakeWeChat) Close(_ context.Context, outTradeNo string) error {
	f.mu.Lock()
	down, hook := f.down, f.onClose
	if !down {
		f.closed = append(f.closed, outTradeNo)
	}
	f.mu.Unlock()
	if down {
		return fmt.Errorf("close: connection refused: %w", commerce.ErrProvider)
	}
	if hook != nil {
		hook(outTradeNo)
	}
	return nil
}

func (f *fakeWeChat) Refund(_ context.Context, r commerce.RefundCall) (commerce.ProviderRefund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return commerce.ProviderRefund{}, fmt.Errorf("refund: connection refused: %w", commerce.ErrProvider)
	}
	f.refunds = append(f.refunds, r)
	return commerce.ProviderRefund{OutRefundNo: r.OutRefundNo, RefundID: "503000" + strconv.Itoa(len(f.refunds)), State: "PROCESSING"}, nil
}

func (f *fakeWeChat) QueryRefund(_ context.Context, outRefundNo string) (commerce.ProviderRefund, error) {
	return commerce.ProviderRefund{OutRefundNo: outRefundNo, State: "PROCESSING"}, nil
}

func (f *fakeWeChat) calls() (prepays []commerce.Prepay, closed []string, refunds []commerce.RefundCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.prepays), slices.Clone(f.closed), slices.Clone(f.refunds)
}

// payEnv is a harness with online payment on: WeChat Pay (the fake),
// Telegram Payments when asked, the pay page of an order, and the shop
// refusing pay at pickup where it is not offered (UsePayments).
type payEnv struct {
	*harness
	pay    *commerce.Payments
	wechat *fakeWeChat
}

// payPage is the test's pay page of an order.
func payPage(o commerce.Order) string { return "https://shop.test/pay/o/" + o.Number }

// withPayments switches online payment on in a harness (skipping the test
// while the store keeps no payments).
func withPayments(t *testing.T, env *payEnv, wechat, telegram bool) func(h *harness, o *bot.Options) {
	return func(h *harness, o *bot.Options) {
		flow, ok := any(h.store).(commerce.PaymentFlowStore)
		if !ok {
			t.Skip("the store keeps no payments yet")
		}
		env.wechat = &fakeWeChat{}
		po := commerce.PaymentsOptions{Store: h.store, Flow: flow, Clock: h.clock, Telegram: telegram}
		if wechat {
			po.WeChat = env.wechat
		}
		env.pay = commerce.NewPayments(po)
		h.shop.UsePayments(env.pay)
		o.Payments, o.PayPage = env.pay, payPage
	}
}

func newPayEnv(t *testing.T, telegram bool) *payEnv {
	t.Helper()
	env := &payEnv{}
	env.harness = newHarness(t, harnessOptions{admins: []string{"web:" + seller}, options: withPayments(t, env, true, telegram)})
	return env
}

// place puts qty of each SKU in the cart, checks out and returns the
// order and the reply that shows it.
func (e *payEnv) place(c *chat, items ...any) (commerce.Order, bot.Reply) {
	c.t.Helper()
	for i := 0; i+1 < len(items); i += 2 {
		c.add(items[i].(string), items[i+1].(int))
	}
	c.toPhoneStep(e.points[0])
	r := c.send(c.ownPhone())
	return e.orders(c)[0], r[0]
}

// attempt is the order's newest payment attempt.
func (e *payEnv) attempt(o commerce.Order) commerce.PayAttempt {
	e.t.Helper()
	list, err := e.pay.Attempts(e.ctx, o.ID)
	if err != nil || len(list) == 0 {
		e.t.Fatalf("attempts of %s: %v, %v", o.Number, list, err)
	}
	return list[len(list)-1]
}

// paid is what the provider says about a payment of attempt a.
func paid(a commerce.PayAttempt, tx string, amount commerce.Money) commerce.ProviderPayment {
	return commerce.ProviderPayment{Method: a.Method, OutTradeNo: a.OutTradeNo, TransactionID: tx, State: "SUCCESS",
		Amount: amount, Payer: "oPayer", ProviderRef: "ch_" + tx}
}

// apply records a provider's payment.
func (e *payEnv) apply(p commerce.ProviderPayment) commerce.PayResult {
	e.t.Helper()
	res, err := e.pay.Apply(e.ctx, p)
	if err != nil {
		e.t.Fatalf("apply %+v: %v", p, err)
	}
	return res
}

func (e *payEnv) notice(n bot.Notice) []bot.Reply {
	e.t.Helper()
	r, err := e.router.RenderNotice(e.ctx, n)
	if err != nil {
		e.t.Fatalf("RenderNotice(%+v): %v", n, err)
	}
	checkReplies(e.t, bot.Message{Text: "notice " + n.Kind}, r)
	checkRoutes(e.t, e.router, bot.Message{Text: "notice " + n.Kind}, r)
	return r
}

func buyerNotice(c *chat, kind string, o commerce.Order) bot.Notice {
	return bot.Notice{Kind: kind, Channel: c.base.Channel, ChatID: c.base.ChatID, UserID: c.base.UserID, OrderID: o.ID}
}

func sellerNotice(kind string, o commerce.Order) bot.Notice {
	return bot.Notice{Kind: kind, Channel: bot.ChannelWeb, ChatID: seller, UserID: seller, Lang: "en", OrderID: o.ID}
}

// buttonURL is the URL of the reply's button labelled text, "" for none.
func buttonURL(r bot.Reply, text string) string {
	for _, row := range r.Buttons {
		for _, b := range row {
			if b.Text == text {
				return b.URL
			}
		}
	}
	return ""
}

func hasPrefixAction(r bot.Reply, prefix string) bool {
	for _, row := range r.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, prefix) {
				return true
			}
		}
	}
	return false
}

// A placed order offers the ways to pay it in its chat: Telegram gets
// the invoice, WeChat Pay and pay at pickup; WeChat the pay page (a URL:
// JSAPI needs the page) and pay at pickup; the web chat WeChat Pay by QR
// and pay at pickup. Cross-border goods are paid with WeChat Pay only,
// and the buyer is told why; pay at pickup pressed anyway is refused.
func TestPayChoicesPerChannel(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	for _, tc := range []struct {
		name, sku                        string
		user                             func(t *testing.T) *chat
		wechat, page, telegram, atPickup bool
		cross                            bool
	}{
		{"telegram", "SNK-002", func(t *testing.T) *chat { return e.tgUser(t, "71", "en") }, true, false, true, true, false},
		{"wechat", "SNK-002", func(t *testing.T) *chat { return e.wxUser(t, "oWx1", "en") }, false, true, false, true, false},
		{"web", "SNK-002", func(t *testing.T) *chat { return e.user(t, "web-1", "en") }, true, false, false, true, false},
		{"telegram cross-border", "COS-001", func(t *testing.T) *chat { return e.tgUser(t, "72", "en") }, true, false, false, false, true},
		{"wechat cross-border", "COS-001", func(t *testing.T) *chat { return e.wxUser(t, "oWx2", "en") }, false, true, false, false, true},
		{"web cross-border", "COS-001", func(t *testing.T) *chat { return e.user(t, "web-2", "en") }, true, false, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.user(t)
			o, r := e.place(u, tc.sku, 1)
			id := strconv.FormatInt(o.ID, 10)
			if got := hasAction(r, "pyw:"+id); got != tc.wechat {
				t.Errorf("WeChat Pay button %v; want %v (%v)", got, tc.wechat, actions(r))
			}
			if got := buttonURL(r, u.tx("pay_btn_wechat", nil)) == payPage(o); got != tc.page {
				t.Errorf("pay page button %v; want %v", got, tc.page)
			}
			if got := hasAction(r, "pyt:"+id); got != tc.telegram {
				t.Errorf("Telegram button %v; want %v (%v)", got, tc.telegram, actions(r))
			}
			if got := hasAction(r, "oc:"+id); got != tc.atPickup {
				t.Errorf("pay at pickup button %v; want %v (%v)", got, tc.atPickup, actions(r))
			}
			if !hasAction(r, "ox:"+id) {
				t.Errorf("no cancel button: %v", actions(r))
			}
			note := ""
			if tc.cross {
				note = u.tx("pay_cross_border", nil)
			}
			if want := "\n\n" + u.tx("pay_choose_short", map[string]any{"Note": note}); !strings.HasSuffix(r.Text, want) {
				t.Errorf("review:\n%s\nwant it to end with\n%s", r.Text, want)
			}
			if strings.Contains(r.Text, "Please confirm") {
				t.Errorf("review asks to confirm:\n%s", r.Text)
			}
			if tc.cross {
				wantText(t, u.press("oc:"+id), 0, u.tx("pay_err_method", nil))
				if o := e.order(o.ID); o.Status != commerce.StatusPending {
					t.Errorf("cross-border order paid at pickup: %s", o.Status)
				}
			} else {
				u.press("oc:" + id)
				r := u.press("os:" + id)
				if o := e.order(o.ID); o.Status != commerce.StatusConfirmed {
					t.Errorf("pay at pickup: order is %s", o.Status)
				}
				if want := u.tx("pay_at_pickup_line", map[string]any{"Total": o.Total}); !strings.HasSuffix(r[0].Text, want) {
					t.Errorf("confirmed:\n%s\nwant it to end with %q", r[0].Text, want)
				}
			}
		})
	}
}

// WeChat Pay in the web chat is a QR code of a Native transaction to scan
// (with the pay page for a phone), the amount and the time left; asking
// again shows the same transaction. The order, awaiting payment, offers
// Pay (the choices again, without pay at pickup) and Cancel.
func TestPayWeChatQR(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "qr-buyer", "en")
	o, _ := e.place(u, "SNK-002", 2)
	id := strconv.FormatInt(o.ID, 10)

	r := u.press("pyw:" + id)
	a := e.attempt(o)
	if a.Method != commerce.PayWeChat || a.TradeType != commerce.TradeNative || a.State != commerce.AttemptOpen {
		t.Fatalf("attempt %+v", a)
	}
	wantText(t, r, 0, u.tx("pay_qr", map[string]any{"Number": o.Number, "Amount": o.Total, "Minutes": 15}))
	if want := "/pay/qr/" + a.OutTradeNo + ".png"; r[0].Image != want {
		t.Errorf("image %q; want %q", r[0].Image, want)
	}
	if got := buttonURL(r[0], u.tx("pay_btn_page", nil)); got != payPage(o) {
		t.Errorf("pay page button %q", got)
	}
	if !hasAction(r[0], "os:"+id) || !hasAction(r[0], "ox:"+id) {
		t.Errorf("buttons %v", actions(r[0]))
	}
	if o := e.order(o.ID); o.Status != commerce.StatusAwaitingPayment {
		t.Fatalf("order is %s", o.Status)
	}

	// Again: the same open transaction, no second prepay.
	e.clock.Advance(5 * time.Minute)
	r = u.press("pyw:" + id)
	if r[0].Image != "/pay/qr/"+a.OutTradeNo+".png" {
		t.Errorf("second QR %q", r[0].Image)
	}
	wantText(t, r, 0, u.tx("pay_qr", map[string]any{"Number": o.Number, "Amount": o.Total, "Minutes": 10}))
	if prepays, _, _ := e.wechat.calls(); len(prepays) != 1 || prepays[0].TradeType != commerce.TradeNative || prepays[0].Amount != o.Total {
		t.Errorf("prepays %+v", prepays)
	}

	card := u.press("os:" + id)
	if !hasAction(card[0], "py:"+id) || !hasAction(card[0], "ox:"+id) || hasAction(card[0], "oc:"+id) {
		t.Errorf("card of an order awaiting payment: %v", actions(card[0]))
	}
	if want := u.tx("pay_awaiting", map[string]any{"Minutes": 10, "Total": o.Total}); !strings.Contains(card[0].Text, want) {
		t.Errorf("card:\n%s\nlacks %q", card[0].Text, want)
	}
	again := u.press("py:" + id)
	if !hasAction(again[0], "pyw:"+id) || hasAction(again[0], "oc:"+id) {
		t.Errorf("choices again: %v", actions(again[0]))
	}

	// A Telegram invoice is not offered here, and forged is stale.
	wantText(t, u.press("pyt:"+id), 0, u.tx("err_stale", nil))
}

// The provider down: the buyer is told to try again in a minute, with a
// button that does, and no Go error; the order is as it was.
func TestPayProviderDown(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "down-buyer", "en")
	o, _ := e.place(u, "SNK-002", 1)
	id := strconv.FormatInt(o.ID, 10)
	e.wechat.setDown(true)
	r := u.press("pyw:" + id)
	wantText(t, r, 0, u.tx("pay_err_provider", nil))
	if !hasAction(r[0], "pyw:"+id) {
		t.Errorf("no retry: %v", actions(r[0]))
	}
	e.wechat.setDown(false)
	r = u.press("pyw:" + id)
	if !strings.HasPrefix(r[0].Image, "/pay/qr/") {
		t.Fatalf("retry: %+v", r[0])
	}
	// Cancelling while the provider cannot close the transaction keeps
	// the order and its stock.
	e.wechat.setDown(true)
	stock := e.stock("SNK-002")
	wantText(t, u.press("oxy:"+id), 0, u.tx("pay_err_provider", nil))
	if o := e.order(o.ID); o.Status != commerce.StatusAwaitingPayment || e.stock("SNK-002") != stock {
		t.Fatalf("order %s, stock %d (was %d)", o.Status, e.stock("SNK-002"), stock)
	}
}

// Cancelling an order awaiting payment closes its WeChat Pay transaction
// at the provider before the stock goes back.
func TestPayCancelClosesFirst(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "cancel-buyer", "en")
	before := e.stock("COS-001")
	o, _ := e.place(u, "COS-001", 2)
	id := strconv.FormatInt(o.ID, 10)
	u.press("pyw:" + id)
	a := e.attempt(o)
	var atClose []int
	e.wechat.onClose = func(string) { atClose = append(atClose, e.stock("COS-001")) }

	wantText(t, u.press("ox:"+id), 0, u.tx("order_cancel_ask", map[string]any{"Number": o.Number}))
	r := u.press("oxy:" + id)
	if !strings.HasPrefix(r[0].Text, u.tx("order_cancelled", map[string]any{"Number": o.Number})) {
		t.Fatalf("cancel:\n%s", r[0].Text)
	}
	if _, closed, _ := e.wechat.calls(); !slices.Equal(closed, []string{a.OutTradeNo}) {
		t.Errorf("closed %v; want %s", closed, a.OutTradeNo)
	}
	if !slices.Equal(atClose, []int{before - 2}) {
		t.Errorf("stock at close %v; want [%d]: released before the close", atClose, before-2)
	}
	if o := e.order(o.ID); o.Status != commerce.StatusCancelled || e.stock("COS-001") != before {
		t.Fatalf("order %s, stock %d; want cancelled, %d", o.Status, e.stock("COS-001"), before)
	}
	if a := e.attempt(o); a.State != commerce.AttemptClosed {
		t.Errorf("attempt %s", a.State)
	}
}

// A Telegram invoice: the attempt's out_trade_no as payload, the shop's
// currency, one price a line adding up to the total, a title and a
// description within Telegram's bounds.
func TestPayTelegramInvoice(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	u := e.tgUser(t, "7301", "ru")
	o, _ := e.place(u, "SNK-002", 2, "BAB-003", 1)
	id := strconv.FormatInt(o.ID, 10)
	r := u.press("pyt:" + id)
	a := e.attempt(o)
	if a.Method != commerce.PayTelegram || a.TradeType != commerce.TradeInvoice {
		t.Fatalf("attempt %+v", a)
	}
	inv := r[0].Invoice
	if inv == nil {
		t.Fatalf("no invoice: %+v", r[0])
	}
	if inv.Payload != a.OutTradeNo || inv.Currency != "CNY" {
		t.Errorf("invoice %+v", inv)
	}
	if n := utf8.RuneCountInString(inv.Title); n < 1 || n > 32 {
		t.Errorf("title %q: %d characters", inv.Title, n)
	}
	if n := utf8.RuneCountInString(inv.Description); n < 1 || n > 255 {
		t.Errorf("description %q: %d characters", inv.Description, n)
	}
	var sum int64
	for _, p := range inv.Prices {
		sum += p.Amount
	}
	if len(inv.Prices) != 2 || sum != o.Total.Amount {
		t.Errorf("prices %+v; want 2 adding up to %d", inv.Prices, o.Total.Amount)
	}
	wantText(t, r, 0, u.tx("pay_invoice", map[string]any{"Number": o.Number, "Amount": o.Total, "Minutes": 15}))
	if _, _, err := e.pay.Begin(e.ctx, u.buyer(), o.ID, commerce.PayTelegram, commerce.TradeInvoice, ""); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.pay.Attempts(e.ctx, o.ID); len(list) != 1 {
		t.Errorf("%d attempts; the open one is reused", len(list))
	}
}

// The receipt of an order paid online: its lines with quantities and
// amounts, the amount paid, the method, the transaction's last six
// characters, the number, and what happens next.
func TestPayReceiptNotice(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "receipt-buyer", "en")
	o, _ := e.place(u, "SNK-002", 2, "BAB-003", 1)
	u.press(bot.VerbPayWeChat.Of(o.ID))
	a := e.attempt(o)
	if res := e.apply(paid(a, "4200001234202605018123AB", a.Amount)); res.Outcome != commerce.PayRecorded {
		t.Fatalf("apply: %s", res.Outcome)
	}
	n := buyerNotice(u, bot.NoticePaid, o)
	n.AttemptID = a.ID
	r := e.notice(n)
	if len(r) != 1 || !hasAction(r[0], bot.VerbOrder.Of(o.ID)) {
		t.Fatalf("receipt %+v", r)
	}
	checkGolden(t, "pay_receipt.en.golden", strings.ReplaceAll(r[0].Text, o.Number, "NUMBER"))

	// The order card says how it was paid; Cancel is the seller's now.
	card := u.press(bot.VerbOrder.Of(o.ID))
	if want := u.tx("pay_paid_line", map[string]any{"Amount": o.Total, "Method": "WeChat Pay", "Tail": "8123AB"}); !strings.Contains(card[0].Text, want) {
		t.Errorf("card:\n%s\nlacks %q", card[0].Text, want)
	}
	if hasAction(card[0], bot.VerbOrderCancel.Of(o.ID)) {
		t.Errorf("a paid order offers the buyer Cancel: %v", actions(card[0]))
	}
	wantText(t, u.press(bot.VerbOrderCancelOK.Of(o.ID)), 0, u.tx("pay_cancel_paid", map[string]any{"Number": o.Number}))
	// Pay again: already paid.
	r = u.press(bot.VerbPayWeChat.Of(o.ID))
	wantText(t, r, 0, u.tx("pay_err_already_paid", nil))

	// A receipt for another buyer's chat, or for an attempt that did not pay, says nothing.
	other := n
	other.UserID, other.ChatID = "someone-else", "someone-else"
	if r := e.notice(other); len(r) != 0 {
		t.Errorf("receipt to another buyer: %+v", r)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("text differs from %s:\n%s\nwant\n%s", path, got, want)
	}
}

// Payments configured with no online method: everything as before.
func TestPayOfflineAsBefore(t *testing.T) {
	t.Parallel()
	env := &payEnv{}
	env.harness = newHarness(t, harnessOptions{options: withPayments(t, env, false, false)})
	u := env.user(t, "offline", "en")
	o, r := env.place(u, "COS-001", 1)
	id := strconv.FormatInt(o.ID, 10)
	if !hasAction(r, "oc:"+id) || hasPrefixAction(r, "py") || !strings.Contains(r.Text, "Please confirm") {
		t.Fatalf("review:\n%s\n%v", r.Text, actions(r))
	}
	u.press("oc:" + id)
	if o := env.order(o.ID); o.Status != commerce.StatusConfirmed {
		t.Fatalf("order %s", o.Status)
	}
}

// TestPayCounterReceipt: a payment staff or the seller record (cash at the
// counter) gets the buyer a receipt too, without a transaction id; an
// online receipt notice for such an order without an attempt says nothing.
func TestPayCounterReceipt(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	u := e.user(t, "counter-buyer", "en")
	o, _ := e.place(u, "SNK-002", 1)
	u.press(bot.VerbOrderConfirm.Of(o.ID))
	n := buyerNotice(u, bot.NoticePaid, o)
	if r := e.notice(n); len(r) != 0 {
		t.Fatalf("receipt of an unpaid order: %+v", r)
	}
	paidOrder, recorded, err := e.desk.RecordPayment(e.ctx, o.Number, commerce.PayCash, o.Total, "cli")
	if err != nil || !recorded {
		t.Fatalf("record payment: %v %v", recorded, err)
	}
	r := e.notice(n)
	if len(r) != 1 || !hasAction(r[0], bot.VerbOrder.Of(o.ID)) {
		t.Fatalf("counter receipt %+v", r)
	}
	if want := u.tx("pay_method_cash", nil); !strings.Contains(r[0].Text, want) || !strings.Contains(r[0].Text, paidOrder.Paid.Amount.Decimal()) {
		t.Errorf("counter receipt lacks the method %q or the amount %s:\n%s", want, paidOrder.Paid.Amount.Decimal(), r[0].Text)
	}
	if strings.Contains(r[0].Text, "transaction") {
		t.Errorf("counter receipt names a transaction:\n%s", r[0].Text)
	}
}
