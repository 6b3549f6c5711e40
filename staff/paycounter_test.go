package staff

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"shopbot/commerce"
	"shopbot/store/sqlstore"
)

// counterWeChat is WeChat Pay as a model for the counter: a transaction
// is NOTPAY until the buyer pays it (pay), no notification arrives by
// itself.
type counterWeChat struct {
	mu  sync.Mutex
	txs map[string]*commerce.ProviderPayment
	n   int
}

func (f *counterWeChat) Prepay(_ context.Context, p commerce.Prepay) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p.TradeType != commerce.TradeNative || p.OpenID != "" {
		return "", fmt.Errorf("prepay %+v at the counter: %w", p, commerce.ErrInvalid)
	}
	if f.txs[p.OutTradeNo] == nil {
		f.txs[p.OutTradeNo] = &commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: p.OutTradeNo, State: "NOTPAY", Amount: p.Amount}
	}
	return "weixin://wxpay/bizpayurl?pr=" + p.OutTradeNo, nil
}

// pay is the buyer scanning and paying outTradeNo; the provider's word.
func (f *counterWeChat) pay(outTradeNo string) commerce.ProviderPayment {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.txs[outTradeNo]
	if tx == nil {
		panic("no transaction " + outTradeNo)
	}
	if tx.State == "NOTPAY" {
		f.n++
		tx.State, tx.TransactionID, tx.Payer = "SUCCESS", fmt.Sprintf("42000%05d", f.n), "oBuyer"
	}
	return *tx
}

func (f *counterWeChat) Query(_ context.Context, outTradeNo string) (commerce.ProviderPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if tx := f.txs[outTradeNo]; tx != nil {
		return *tx, nil
	}
	return commerce.ProviderPayment{}, fmt.Errorf("query %s: %w", outTradeNo, commerce.ErrProvider)
}

func (f *counterWeChat) Close(context.Context, string) error { return nil }

func (f *counterWeChat) Refund(_ context.Context, r commerce.RefundCall) (commerce.ProviderRefund, error) {
	return commerce.ProviderRefund{OutRefundNo: r.OutRefundNo, State: "PROCESSING"}, nil
}

func (f *counterWeChat) QueryRefund(_ context.Context, no string) (commerce.ProviderRefund, error) {
	return commerce.ProviderRefund{OutRefundNo: no, State: "PROCESSING"}, nil
}

// racingStore runs before ahead of each payment staff record: the buyer's
// QR payment landing between the check and the hand-over.
type racingStore struct {
	*sqlstore.Store
	before func()
}

func (s racingStore) RecordPayment(ctx context.Context, orderID int64, p commerce.Payment) (commerce.Order, bool, error) {
	if s.before != nil {
		s.before()
	}
	return s.Store.RecordPayment(ctx, orderID, p)
}

// withWeChat rebuilds the env's page with Payments over a fake WeChat Pay
// (and the Pickup service over store).
func (e *staffEnv) withWeChat(store commerce.PickupServiceStore) (*counterWeChat, *commerce.Payments) {
	e.t.Helper()
	wx := &counterWeChat{txs: map[string]*commerce.ProviderPayment{}}
	pay := commerce.NewPayments(commerce.PaymentsOptions{Store: e.st, Flow: e.st, Clock: e.clock, WeChat: wx})
	var err error
	if e.pickup, err = commerce.NewPickup(commerce.PickupOptions{Store: store, Clock: e.clock, Secret: staffPickupSecret}); err != nil {
		e.t.Fatal(err)
	}
	e.staff, err = New(Options{Pickup: e.pickup, Payments: pay, Key: staffTestKey, Store: e.st, PublicURL: "https://shop.example/",
		Log: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Clock: e.clock.Now, Secure: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.staff.Register(e.mux)
	return wx, pay
}

func (c *staffClient) wechat(point commerce.PickupPoint, code, no string) *http.Response {
	form := url.Values{"point": {fmt.Sprint(point.ID)}, "code": {code}}
	if no != "" {
		form.Set("no", no)
	}
	return c.post("/staff/wechatpay", form).Result()
}

// TestStaffWeChatPayAtCounter: the hand-over of an unpaid order offers
// WeChat Pay's QR next to cash, card and transfer; the QR page shows the
// code and the amount, "Paid? Check" asks the provider, and once paid the
// hand-over asks for no payment. The order's status never changes on the way.
func TestStaffWeChatPayAtCounter(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.unpaid = true
	wx, _ := e.withWeChat(e.st)
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.login("web:staff-jingan")
	wantStaffPage(t, "inspect unpaid", c.inspect(jingan, pass.Code), http.StatusOK, "Not paid yet", `name="payment" value="cash"`,
		`formaction="/staff/wechatpay" formnovalidate>WeChat Pay QR</button>`)

	no := o.Number + "P1"
	show := c.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}, "payment": {"cash"}, "amount": {"318.00"}})
	wantStaffPage(t, "the QR", show, http.StatusOK, "Ask the buyer to scan this code with WeChat", `<p class="number">318.00 CNY</p>`,
		`<img src="/pay/qr/`+no+`.png"`, `action="/staff/wechatpay"`, `name="no" value="`+no+`"`, "Paid? Check",
		`formaction="/staff/inspect">Another way to pay`)
	if strings.Contains(show.Body.String(), `action="/staff/redeem"`) {
		t.Error("the QR page offers the hand-over before the payment")
	}
	if e.status(o.ID) != commerce.StatusReadyForPickup {
		t.Fatalf("status %s after the QR", e.status(o.ID))
	}
	check := func() *http.Response { return c.wechat(jingan, pass.Code, no) }
	r := check()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("check: %d", r.StatusCode)
	}
	wantStaffPage(t, "checked unpaid", c.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}, "no": {no}}),
		http.StatusOK, "Not paid yet. Wait until", `<img src="/pay/qr/`+no+`.png"`)

	wx.pay(no) // the notification is slow: only the check tells
	paid := c.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}, "no": {no}})
	wantStaffPage(t, "checked paid", paid, http.StatusOK, "Paid with WeChat Pay. Hand the order over.", "Paid: 318.00 CNY · WeChat Pay",
		`action="/staff/redeem"`)
	if body := paid.Body.String(); strings.Contains(body, `name="payment"`) || strings.Contains(body, "/pay/qr/") {
		t.Error("a paid order still asks for its payment")
	}
	got, err := e.st.Order(e.ctx, o.ID)
	if err != nil || got.Status != commerce.StatusReadyForPickup || got.Paid.Method != commerce.PayWeChat || got.Paid.By != "provider" {
		t.Fatalf("after the check: %s %+v %v", got.Status, got.Paid, err)
	}
	wantStaffPage(t, "hand over", c.redeem(jingan, pass.Code), http.StatusOK, "Handed over", "Paid: 318.00 CNY · WeChat Pay")
	if e.status(o.ID) != commerce.StatusPickedUp {
		t.Fatalf("status %s after the hand-over", e.status(o.ID))
	}
	wantStaffPage(t, "a collected order", c.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}}),
		http.StatusConflict, "already collected")

	// Forms without the session's CSRF token are refused.
	if w := c.post("/staff/wechatpay", url.Values{"csrf": {"forged"}, "point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}}); w.Code != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", w.Code)
	}
	// Staff of another point get no QR for this point's order.
	o2, pass2 := e.readyOrder("SH-JINGAN", "Bob")
	other := e.login("web:staff-lujiazui")
	if w := other.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass2.Code}}); w.Code != http.StatusForbidden {
		t.Fatalf("staff of another point: %d", w.Code)
	}
	if atts, err := e.st.Attempts(e.ctx, o2.ID); err != nil || len(atts) != 0 {
		t.Fatalf("attempts %v, %v", atts, err)
	}
}

// TestStaffWeChatPaidMeanwhile: the buyer's QR payment lands while staff
// record cash: nothing is recorded or handed over, and the page says the
// order is paid by WeChat Pay, to hand over without taking money.
func TestStaffWeChatPaidMeanwhile(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.unpaid = true
	rs := &racingStore{Store: e.st}
	wx, pay := e.withWeChat(rs)
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.login("web:staff-jingan")
	no := o.Number + "P1"
	wantStaffPage(t, "the QR", c.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}}),
		http.StatusOK, `<img src="/pay/qr/`+no+`.png"`)
	rs.before = func() {
		if _, err := pay.Apply(e.ctx, wx.pay(no)); err != nil {
			t.Error(err)
		}
	}
	form := url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}, "payment": {"cash"}, "amount": {"318.00"}, "currency": {"CNY"}}
	wantStaffPage(t, "cash after the QR was paid", c.post("/staff/redeem", form), http.StatusOK,
		"This order was paid meanwhile", "Paid: 318.00 CNY · WeChat Pay", `action="/staff/redeem"`)
	got, err := e.st.Order(e.ctx, o.ID)
	if err != nil || got.Status != commerce.StatusReadyForPickup || got.Paid.Method != commerce.PayWeChat {
		t.Fatalf("after the lost cash record: %s %+v %v", got.Status, got.Paid, err)
	}
}

// Without WeChat Pay the counter offers no QR, and its form is refused.
func TestStaffWeChatOff(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	e.unpaid = true
	jingan := e.point("SH-JINGAN")
	o, pass := e.readyOrder("SH-JINGAN", "Alice Li")
	c := e.login("web:staff-jingan")
	if w := c.inspect(jingan, pass.Code); strings.Contains(w.Body.String(), "/staff/wechatpay") {
		t.Error("a QR offered without WeChat Pay")
	}
	wantStaffPage(t, "the QR form", c.post("/staff/wechatpay", url.Values{"point": {fmt.Sprint(jingan.ID)}, "code": {pass.Code}}),
		http.StatusConflict, "This way of paying isn&#39;t available")
	if atts, err := e.st.Attempts(e.ctx, o.ID); err != nil || len(atts) != 0 {
		t.Fatalf("attempts %v, %v", atts, err)
	}
}
