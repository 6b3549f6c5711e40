package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/orderio"
	"shopbot/templates"
)

// fakeWeChat is WeChat Pay as Payments sees it: transactions are created,
// closed and refunded at once, and remembered.
type fakeWeChat struct {
	mu      sync.Mutex
	closed  []string
	refunds []commerce.RefundCall
}

func (f *fakeWeChat) Prepay(_ context.Context, p commerce.Prepay) (string, error) {
	return "weixin://wxpay/bizpayurl?pr=" + p.OutTradeNo, nil
}

func (f *fakeWeChat) Query(_ context.Context, no string) (commerce.ProviderPayment, error) {
	return commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: no, State: "NOTPAY"}, nil
}

func (f *fakeWeChat) Close(_ context.Context, no string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = append(f.closed, no)
	return nil
}

func (f *fakeWeChat) Refund(_ context.Context, r commerce.RefundCall) (commerce.ProviderRefund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds = append(f.refunds, r)
	return commerce.ProviderRefund{OutRefundNo: r.OutRefundNo, RefundID: "50300" + r.OutRefundNo, State: "PROCESSING"}, nil
}

func (f *fakeWeChat) QueryRefund(_ context.Context, no string) (commerce.ProviderRefund, error) {
	return commerce.ProviderRefund{OutRefundNo: no, State: "PROCESSING"}, nil
}

func (f *fakeWeChat) calls() (closed []string, refunds []commerce.RefundCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.closed), slices.Clone(f.refunds)
}

// payEnv is the console with Options.Payments over the env's store and a
// fake WeChat Pay.
type payEnv struct {
	*env
	pay    *commerce.Payments
	wechat *fakeWeChat
}

func newPayEnv(t *testing.T) *payEnv {
	t.Helper()
	e := newEnv(t)
	pe := &payEnv{env: e, wechat: &fakeWeChat{}}
	pe.pay = commerce.NewPayments(commerce.PaymentsOptions{Store: e.st, Flow: e.st, Clock: commerce.ClockFunc(e.clock.Now), WeChat: pe.wechat})
	e.shop.UsePayments(pe.pay)
	opts := e.console.o
	opts.Payments = pe.pay
	var err error
	if e.console, err = New(opts); err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.console.Register(e.mux)
	return pe
}

// awaiting places a pending order of two lines (qty 2 and 1) and starts
// paying it with WeChat Pay (Native).
func (e *payEnv) awaiting() (commerce.Order, commerce.PayAttempt) {
	e.t.Helper()
	e.mu.Lock()
	e.orders++
	n := e.orders
	e.mu.Unlock()
	a, b := e.product("COS-001"), e.product("COS-002")
	pts, err := e.st.PickupPoints(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	buyer := commerce.Buyer{Channel: "web", UserID: fmt.Sprintf("payer%d", n)}
	o, _, err := e.st.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: buyer, ChatID: buyer.UserID, Lang: "en",
		Status: commerce.StatusPending, PickupPointID: pts[0].ID, ContactName: "Payer", Phone: "+8613800000099",
		IdempotencyKey: fmt.Sprintf("console-pay-%d", n), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: a.ID, SKU: a.SKU, Title: a.Title, UnitPrice: a.Price, Qty: 2},
			{ProductID: b.ID, SKU: b.SKU, Title: b.Title, UnitPrice: b.Price, Qty: 1}},
		Total: commerce.Money{Amount: 2*a.Price.Amount + b.Price.Amount, Currency: a.Price.Currency}}, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatal(err)
	}
	o, at, err := e.pay.Begin(e.ctx, buyer, o.ID, commerce.PayWeChat, commerce.TradeNative, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return o, at
}

// paid is an order paid with WeChat Pay (transaction …123456).
func (e *payEnv) paid() commerce.Order {
	e.t.Helper()
	o, at := e.awaiting()
	res, err := e.pay.Apply(e.ctx, commerce.ProviderPayment{Method: commerce.PayWeChat, OutTradeNo: at.OutTradeNo,
		TransactionID: "4200002026112500123456", State: "SUCCESS", Amount: o.Total, At: e.clock.Now()})
	if err != nil || res.Outcome != commerce.PayRecorded {
		e.t.Fatalf("Apply = %+v, %v", res, err)
	}
	return res.Order
}

func (e *payEnv) refunds(o commerce.Order) []commerce.Refund {
	e.t.Helper()
	rs, err := e.pay.Refunds(e.ctx, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

var nonceValue = regexp.MustCompile(`name="nonce" value="([^"]*)"`)

// nonce is the refund form's nonce on the order page.
func nonce(t *testing.T, page string) string {
	t.Helper()
	m := nonceValue.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no refund form:\n%s", page)
	}
	return m[1]
}

// TestOrderRefunds: a WeChat Pay order's page shows how it was paid and
// its transaction's last digits; units are refunded at the provider once
// per form however often it is sent, then everything left; more is refused;
// bad forms change nothing.
func TestOrderRefunds(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o := e.paid()
	b := e.signIn("en")
	csrf := b.csrf()
	path := "/admin/orders/" + o.Number
	page := b.get(path)
	wantStatus(t, "paid order", page, http.StatusOK, tx("en", "console_pay_transaction", map[string]any{"Tail": "123456"}),
		tx("en", "console_refund_left", map[string]any{"Amount": templates.FormatMoney("en", o.Total)}), `name="qty_2"`)
	if strings.Contains(page.Body.String(), "4200002026112500123456") {
		t.Error("the page shows the whole transaction id")
	}
	n := nonce(t, page.Body.String())
	form := url.Values{"csrf": {csrf}, "nonce": {n}, "reason": {"one jar broken"}, "qty_1": {"1"}}
	for i := range 2 { // sent twice: one refund
		if w := b.post(path+"/refund", form); w.Code != http.StatusSeeOther || w.Header().Get("Location") != path+"?done=refunded" {
			t.Fatalf("refund #%d: %d %s", i, w.Code, w.Body)
		}
	}
	unit := o.Lines[0].UnitPrice
	rs := e.refunds(o)
	if len(rs) != 1 || rs[0].Amount != unit || rs[0].State != commerce.RefundProcessing || rs[0].By != seller || rs[0].Reason != "one jar broken" ||
		len(rs[0].Lines) != 1 || rs[0].Lines[0] != (commerce.RefundLine{LineNo: 1, Qty: 1}) {
		t.Fatalf("refunds %+v; want one of a unit, processing", rs)
	}
	if _, calls := e.wechat.calls(); len(calls) != 1 || calls[0].Refund != unit || calls[0].Total != o.Total {
		t.Fatalf("provider refunds %+v", calls)
	}
	wantStatus(t, "after the refund", b.get(path+"?done=refunded"), http.StatusOK, tx("en", "console_order_done_refunded", nil),
		rs[0].OutRefundNo, tx("en", "console_refund_state_processing", nil))

	for name, bad := range map[string]url.Values{
		"no reason":         {"csrf": {csrf}, "nonce": {"abcdefgh1"}, "qty_1": {"1"}},
		"a forged nonce":    {"csrf": {csrf}, "nonce": {"<x>"}, "reason": {"r"}, "qty_1": {"1"}},
		"too many units":    {"csrf": {csrf}, "nonce": {"abcdefgh2"}, "reason": {"r"}, "qty_2": {"2"}},
		"not a number":      {"csrf": {csrf}, "nonce": {"abcdefgh3"}, "reason": {"r"}, "qty_1": {"one"}},
		"a reason too long": {"csrf": {csrf}, "nonce": {"abcdefgh4"}, "reason": {strings.Repeat("r", MaxRefundReason+1)}, "all": {"1"}},
	} {
		wantStatus(t, name, b.post(path+"/refund", bad), http.StatusUnprocessableEntity, tx("en", "console_err_invalid", nil))
	}
	wantStatus(t, "no units", b.post(path+"/refund", url.Values{"csrf": {csrf}, "nonce": {"abcdefgh5"}, "reason": {"r"}}),
		http.StatusUnprocessableEntity, tx("en", "console_refund_nothing", nil))
	wantStatus(t, "no token", b.post(path+"/refund", url.Values{"nonce": {"abcdefgh6"}, "reason": {"r"}, "all": {"1"}}), http.StatusForbidden)
	if rs := e.refunds(o); len(rs) != 1 {
		t.Fatalf("refused forms made refunds: %+v", rs)
	}

	// Everything left, then nothing is left: no form, and a stale form is refused.
	all := url.Values{"csrf": {csrf}, "nonce": {nonce(t, b.get(path).Body.String())}, "reason": {"cancelled by phone"}, "all": {"1"}}
	for range 2 {
		if w := b.post(path+"/refund", all); w.Code != http.StatusSeeOther {
			t.Fatalf("refund all: %d %s", w.Code, w.Body)
		}
	}
	if rs := e.refunds(o); len(rs) != 2 || rs[1].Amount.Amount != o.Total.Amount-unit.Amount {
		t.Fatalf("refunds %+v; want the rest refunded once", rs)
	}
	if strings.Contains(b.get(path).Body.String(), `name="nonce"`) {
		t.Error("a refund form with nothing left to refund")
	}
	all.Set("nonce", "abcdefgh7")
	wantStatus(t, "more than left", b.post(path+"/refund", all), http.StatusConflict, tx("en", "console_refund_too_much", nil))
	wantStatus(t, "an unknown order", b.post("/admin/orders/ZZZZZZ/refund", all), http.StatusNotFound)
}

// TestManualRefundMarkedDone: a payment taken at the counter is refunded
// by hand: the page says so and the seller marks it made, once; another
// order's refund cannot be marked through this one.
func TestManualRefundMarkedDone(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o := e.place("Ann", "+8613800000001", "COS-001", 1)
	other := e.place("Bob", "+8613800000002", "COS-001", 1)
	if _, _, err := e.st.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: o.Total, By: "tg:9"}); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("zh-CN")
	csrf := b.csrf()
	path := "/admin/orders/" + o.Number
	form := url.Values{"csrf": {csrf}, "nonce": {nonce(t, b.get(path).Body.String())}, "reason": {"退货"}, "all": {"1"}}
	if w := b.post(path+"/refund", form); w.Code != http.StatusSeeOther {
		t.Fatalf("refund: %d %s", w.Code, w.Body)
	}
	rs := e.refunds(o)
	if len(rs) != 1 || rs[0].State != commerce.RefundManual || rs[0].Amount != o.Total {
		t.Fatalf("refunds %+v; want one manual refund of the whole order", rs)
	}
	if _, calls := e.wechat.calls(); len(calls) != 0 {
		t.Fatalf("a cash payment refunded at WeChat Pay: %+v", calls)
	}
	mark := path + "/refunds/" + rs[0].OutRefundNo + "/done"
	wantStatus(t, "manual refund", b.get(path), http.StatusOK, tx("zh-CN", "console_refund_manual_hint", nil),
		tx("zh-CN", "console_refund_state_manual", nil), `action="`+mark+`"`)
	wantStatus(t, "through another order", b.post("/admin/orders/"+other.Number+"/refunds/"+rs[0].OutRefundNo+"/done", url.Values{"csrf": {csrf}}), http.StatusNotFound)
	wantStatus(t, "mark without the token", b.post(mark, url.Values{}), http.StatusForbidden)
	if rs := e.refunds(o); rs[0].State != commerce.RefundManual {
		t.Fatalf("refused marks changed the refund: %+v", rs[0])
	}
	for range 2 {
		if w := b.post(mark, url.Values{"csrf": {csrf}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != path+"?done=marked" {
			t.Fatalf("mark: %d %s", w.Code, w.Body)
		}
	}
	if rs := e.refunds(o); rs[0].State != commerce.RefundSucceeded || rs[0].DoneAt.IsZero() {
		t.Fatalf("after marking: %+v", rs[0])
	}
	page := b.get(path + "?done=marked").Body.String()
	if strings.Contains(page, `action="`+mark+`"`) || !strings.Contains(page, tx("zh-CN", "console_refund_state_succeeded", nil)) {
		t.Errorf("marked refund page:\n%s", page)
	}
}

// TestCancelThroughPayments: an order awaiting payment is closed at the
// provider before it is cancelled; a paid one is cancelled and refunded.
func TestCancelThroughPayments(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	waiting, at := e.awaiting()
	paid := e.paid()
	b := e.signIn("en")
	csrf := b.csrf()
	wantStatus(t, "awaiting payment", b.get("/admin/orders/"+waiting.Number), http.StatusOK, tx("en", "console_pay_awaiting", nil),
		`action="/admin/orders/`+waiting.Number+`/cancel"`)
	wantStatus(t, "list", b.get("/admin/orders"), http.StatusOK, tx("en", "console_pay_awaiting", nil),
		tx("en", "console_pay_paid", map[string]any{"Method": e.console.methodLabel("en", commerce.PayWeChat)}))
	for _, o := range []commerce.Order{waiting, paid} {
		if w := b.post("/admin/orders/"+o.Number+"/cancel", url.Values{"csrf": {csrf}, "reason": {"out of stock"}}); w.Code != http.StatusSeeOther {
			t.Fatalf("cancel %s: %d %s", o.Status, w.Code, w.Body)
		}
		if got := e.status(o.Number); got.Status != commerce.StatusCancelled || got.CancelReason != "out of stock" {
			t.Fatalf("after cancel: %+v", got)
		}
	}
	if closed, _ := e.wechat.calls(); !slices.Contains(closed, at.OutTradeNo) {
		t.Fatalf("closed %v; want %s closed at the provider", closed, at.OutTradeNo)
	}
	if rs := e.refunds(paid); len(rs) != 1 || rs[0].Amount != paid.Total {
		t.Fatalf("refunds of the cancelled paid order %+v", rs)
	}
}

// TestRefundsInCSV: the console's export carries what was refunded and
// what is being refunded.
func TestRefundsInCSV(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o := e.paid()
	if _, _, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, Lines: []commerce.RefundLine{{LineNo: 2, Qty: 1}}, Reason: "r", By: seller, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	w := e.signIn("en").get("/admin/orders.csv")
	rows, err := csv.NewReader(bytes.NewReader(w.Body.Bytes()[3:])).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("rows %q, %v", rows, err)
	}
	col := func(row []string, name string) string { return row[slices.Index(orderio.Header, name)] }
	if col(rows[1], "refunded") != "0.00" || col(rows[1], "refund_pending") != decimal(o.Lines[1].UnitPrice) || col(rows[1], "paid") != "paid" {
		t.Fatalf("row %q", rows[1])
	}
}

// TestNoRefundsWithoutPayments: without Options.Payments the order page
// offers no refund and the refund routes do not exist.
func TestNoRefundsWithoutPayments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.place("Ann", "+8613800000001", "COS-001", 1)
	if _, _, err := e.st.RecordPayment(e.ctx, o.ID, commerce.Payment{At: e.clock.Now(), Method: commerce.PayCash, Amount: o.Total, By: "tg:9"}); err != nil {
		t.Fatal(err)
	}
	b := e.signIn("en")
	if page := b.get("/admin/orders/" + o.Number).Body.String(); strings.Contains(page, "/refund") || strings.Contains(page, `name="nonce"`) {
		t.Errorf("a refund form without payments:\n%s", page)
	}
	if w := b.post("/admin/orders/"+o.Number+"/refund", url.Values{"csrf": {b.csrf()}, "all": {"1"}}); w.Code != http.StatusNotFound && w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("refund route without payments: %d", w.Code)
	}
}

// TestGoldenOrderPayment: the order page of a WeChat Pay order with a
// refund made, as a seller sees it (number, token and nonce blanked).
func TestGoldenOrderPayment(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t)
	o := e.paid()
	if _, _, err := e.pay.Refund(e.ctx, commerce.RefundInput{Number: o.Number, Lines: []commerce.RefundLine{{LineNo: 1, Qty: 1}}, Reason: "broken jar", By: seller, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	w := e.signIn("en").get("/admin/orders/" + o.Number)
	if w.Code != http.StatusOK {
		t.Fatalf("%d", w.Code)
	}
	got := csrfValue.ReplaceAllString(w.Body.String(), `name="csrf" value="CSRF"`)
	got = nonceValue.ReplaceAllString(got, `name="nonce" value="NONCE"`)
	got = strings.ReplaceAll(got, o.Number, "NUMBER")
	path := filepath.Join("testdata", "order_payment.en.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./admin -update)", err)
	}
	if string(want) != got {
		t.Errorf("the order page differs from %s (go test ./admin -update, then review the diff):\n%s", path, got)
	}
}

// TestCancelOverdue: an order waiting at its point may be cancelled only
// past its hold period; then its stock comes back.
func TestCancelOverdue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.place("Ann", "+8613800000001", "COS-001", 2)
	b := e.signIn("en")
	csrf := b.csrf()
	path := "/admin/orders/" + o.Number
	for _, step := range []string{"/ship", "/arrive"} {
		if w := b.post(path+step, url.Values{"csrf": {csrf}}); w.Code != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step, w.Code, w.Body)
		}
	}
	if st := e.status(o.Number).Status; st != commerce.StatusReadyForPickup {
		t.Fatalf("status %s; want ready for pickup", st)
	}
	cancelForm := `action="` + path + `/cancel"`
	if strings.Contains(b.get(path).Body.String(), cancelForm) {
		t.Error("a cancel form within the hold period")
	}
	form := url.Values{"csrf": {csrf}, "reason": {"not collected"}}
	wantStatus(t, "within the hold", b.post(path+"/cancel", form), http.StatusConflict, tx("en", "console_hold_not_over", nil))
	stock := e.product("COS-001").Stock
	e.clock.Advance(7*24*time.Hour + time.Minute)
	b = e.signIn("en") // the session ran out meanwhile
	form.Set("csrf", b.csrf())
	wantStatus(t, "overdue", b.get(path), http.StatusOK, cancelForm)
	if w := b.post(path+"/cancel", form); w.Code != http.StatusSeeOther {
		t.Fatalf("cancel overdue: %d %s", w.Code, w.Body)
	}
	if got := e.status(o.Number); got.Status != commerce.StatusCancelled || got.CancelReason != "not collected" {
		t.Fatalf("after cancel: %+v", got)
	}
	if got := e.product("COS-001").Stock; got != stock+2 {
		t.Fatalf("stock %d; want %d", got, stock+2)
	}
}
