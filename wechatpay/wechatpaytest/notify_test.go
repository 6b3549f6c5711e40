package wechatpaytest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

// TestRefunds: partial refunds, idempotency, limits, completion with its
// notification, the query.
func TestRefunds(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{})
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000011", 1000)); err != nil {
		t.Fatal(err)
	}
	req := wechatpay.RefundRequest{OutTradeNo: "SB-000011", OutRefundNo: "R-11-1", Reason: "缺货",
		NotifyURL: notifyURL, Amount: wechatpay.RefundAmount{Refund: 600, Total: 1000}}
	if _, err := c.Refund(ctx, req); !wechatpay.IsCode(err, wechatpay.CodeInvalidRequest) {
		t.Errorf("refund of an unpaid order: %v", err)
	}
	if _, err := s.Pay("SB-000011", "oBuyer1"); err != nil {
		t.Fatal(err)
	}
	r1, err := c.Refund(ctx, req)
	if err != nil || r1.Status != wechatpay.RefundProcessing || r1.Amount.Refund != 600 || r1.RefundID == "" {
		t.Fatalf("refund: %+v, %v", r1, err)
	}
	if again, err := c.Refund(ctx, req); err != nil || again.RefundID != r1.RefundID {
		t.Errorf("same refund again: %+v, %v", again, err)
	}
	changed := req
	changed.Amount.Refund = 500
	if _, err := c.Refund(ctx, changed); !wechatpay.IsCode(err, wechatpay.CodeInvalidRequest) {
		t.Errorf("same refund number, other amount: %v", err)
	}
	more := req
	more.OutRefundNo, more.Amount.Refund = "R-11-2", 401
	if _, err := c.Refund(ctx, more); !wechatpay.IsCode(err, wechatpay.CodeInvalidRequest) {
		t.Errorf("refund beyond what is left: %v", err)
	}
	wrongTotal := req
	wrongTotal.OutRefundNo, wrongTotal.Amount = "R-11-3", wechatpay.RefundAmount{Refund: 1, Total: 999}
	if _, err := c.Refund(ctx, wrongTotal); !wechatpay.IsCode(err, wechatpay.CodeParamError) {
		t.Errorf("refund with another total: %v", err)
	}
	if tr, _ := c.QueryByOutTradeNo(ctx, "SB-000011"); tr.TradeState != wechatpay.TradeRefund || !tr.Paid() {
		t.Errorf("order after a refund: %s", tr.TradeState)
	}

	status, err := s.CompleteRefund("R-11-1", "")
	if err != nil || status != 204 {
		t.Fatalf("CompleteRefund = %d, %v", status, err)
	}
	n, err := rc.last(t)
	if err != nil || n.EventType != wechatpay.EventRefundSuccess || n.Refund.OutRefundNo != "R-11-1" ||
		n.Refund.Amount.Refund != 600 || n.Refund.OutTradeNo != "SB-000011" || n.Refund.SuccessTime.IsZero() {
		t.Fatalf("refund notification %+v, %v", n, err)
	}
	if q, err := c.QueryRefund(ctx, "R-11-1"); err != nil || q.Status != wechatpay.RefundSuccess || q.SuccessTime.IsZero() {
		t.Errorf("QueryRefund: %+v, %v", q, err)
	}
	if _, err := c.QueryRefund(ctx, "R-NOSUCH"); !wechatpay.IsNotFound(err) {
		t.Errorf("unknown refund: %v", err)
	}

	// The rest, by transaction_id, closed: its amount may be refunded again.
	rest := wechatpay.RefundRequest{TransactionID: n.Refund.TransactionID, OutRefundNo: "R-11-4", NotifyURL: notifyURL,
		Amount: wechatpay.RefundAmount{Refund: 400, Total: 1000}}
	if _, err := c.Refund(ctx, rest); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteRefund("R-11-4", wechatpay.RefundClosed); err != nil {
		t.Fatal(err)
	}
	if n, _ := rc.last(t); n.EventType != wechatpay.EventRefundClosed || n.Refund.RefundStatus != wechatpay.RefundClosed {
		t.Errorf("closed refund notification %+v", n)
	}
	rest.OutRefundNo = "R-11-5"
	if r, err := c.Refund(ctx, rest); err != nil || r.Status != wechatpay.RefundProcessing {
		t.Errorf("refund after a closed one: %+v, %v", r, err)
	}
}

func TestRefundImmediately(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{RefundImmediately: true, RefundNotifyURL: notifyURL})
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000012", 300)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pay("SB-000012", "oBuyer1"); err != nil {
		t.Fatal(err)
	}
	r, err := c.Refund(ctx, wechatpay.RefundRequest{OutTradeNo: "SB-000012", OutRefundNo: "R-12",
		Amount: wechatpay.RefundAmount{Refund: 300, Total: 300}})
	if err != nil || r.Status != wechatpay.RefundSuccess || r.SuccessTime.IsZero() {
		t.Fatalf("refund: %+v, %v", r, err)
	}
	if _, err := s.NotifyRefund("R-12"); err != nil {
		t.Fatal(err)
	}
	if n, err := rc.last(t); err != nil || n.Refund == nil || n.Refund.OutRefundNo != "R-12" {
		t.Errorf("notification %+v, %v", n, err)
	}
}

// TestTamperedNotifications: each variant is refused by the client with
// its reason; WrongAmount passes the client (only the shop can tell).
func TestTamperedNotifications(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{RefundImmediately: true})
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000013", 700)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pay("SB-000013", "oBuyer1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refund(ctx, wechatpay.RefundRequest{OutTradeNo: "SB-000013", OutRefundNo: "R-13", NotifyURL: notifyURL,
		Amount: wechatpay.RefundAmount{Refund: 100, Total: 700}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tamper wechatpaytest.Tamper
		want   error
	}{
		{wechatpaytest.Genuine, nil},
		{wechatpaytest.Forged, wechatpay.ErrBadSignature},
		{wechatpaytest.Stale, wechatpay.ErrStale},
		{wechatpaytest.WrongSerial, wechatpay.ErrUnknownSerial},
		{wechatpaytest.BodyChanged, wechatpay.ErrBadSignature},
		{wechatpaytest.WrongAPIv3Key, wechatpay.ErrDecrypt},
		{wechatpaytest.WrongMerchant, wechatpay.ErrWrongMerchant},
		{wechatpaytest.WrongAppID, wechatpay.ErrWrongMerchant},
		{wechatpaytest.WrongAmount, nil},
	} {
		for _, kind := range []string{"transaction", "refund"} {
			var r *http.Request
			var err error
			if kind == "transaction" {
				r, err = s.TransactionNotification("SB-000013", tc.tamper)
			} else {
				r, err = s.RefundNotification("R-13", tc.tamper)
			}
			if kind == "refund" && tc.tamper == wechatpaytest.WrongAppID {
				if err == nil {
					t.Error("a refund notification with another appid")
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			status, err := s.Deliver(r)
			if err != nil {
				t.Fatal(err)
			}
			n, got := rc.last(t)
			if !errors.Is(got, tc.want) || (tc.want == nil) != (got == nil) {
				t.Errorf("%s %v: %v, want %v", kind, tc.tamper, got, tc.want)
				continue
			}
			if want := map[bool]int{true: 204, false: 400}[tc.want == nil]; status != want {
				t.Errorf("%s %v: receiver answered %d", kind, tc.tamper, status)
			}
			if tc.tamper == wechatpaytest.WrongAmount {
				if kind == "transaction" && n.Transaction.Amount.Total != 701 {
					t.Errorf("wrong amount %d", n.Transaction.Amount.Total)
				}
				if kind == "refund" && n.Refund.Amount.Refund != 101 {
					t.Errorf("wrong refund %d", n.Refund.Amount.Refund)
				}
			}
		}
	}
}

// TestDroppedNotifications: the shop hears nothing and must query.
func TestDroppedNotifications(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{})
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000014", 100)); err != nil {
		t.Fatal(err)
	}
	s.DropNotifications(true)
	if status, err := s.Pay("SB-000014", "oBuyer1"); status != 0 || err != nil {
		t.Fatalf("Pay = %d, %v", status, err)
	}
	if len(rc.got)+len(rc.errs) != 0 {
		t.Error("a dropped notification arrived")
	}
	d := s.Deliveries()
	if len(d) != 1 || d[0].Status != 0 || d[0].OutNo != "SB-000014" || d[0].EventType != wechatpay.EventTransactionSuccess {
		t.Errorf("deliveries %+v", d)
	}
	if tr, err := c.QueryByOutTradeNo(ctx, "SB-000014"); err != nil || tr.TradeState != wechatpay.TradeSuccess {
		t.Errorf("query: %+v, %v", tr, err)
	}
	s.DropNotifications(false)
	rc.status = 500 // the shop fails: WeChat Pay would try again
	if status, err := s.NotifyTransaction("SB-000014"); status != 500 || err != nil {
		t.Errorf("NotifyTransaction to a failing shop = %d, %v", status, err)
	}
}

// TestNetworkDelivery: without a handler, notifications are POSTed to
// notify_url.
func TestNetworkDelivery(t *testing.T) {
	t.Parallel()
	var rc *receiver
	shop := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pay/wechat/notify" || r.Method != "POST" {
			http.NotFound(w, r)
			return
		}
		rc.ServeHTTP(w, r)
	}))
	defer shop.Close()
	s := wechatpaytest.New(t, wechatpaytest.Options{NotifyClient: shop.Client()})
	c := s.Client()
	rc = &receiver{client: c}
	p := prepay("SB-000015", 100)
	p.NotifyURL = shop.URL + "/pay/wechat/notify"
	if _, err := c.PrepayJSAPI(ctx, p); err != nil {
		t.Fatal(err)
	}
	if status, err := s.Pay("SB-000015", "oBuyer1"); err != nil || status != 204 {
		t.Fatalf("Pay = %d, %v", status, err)
	}
	if n, err := rc.last(t); err != nil || n.Transaction.OutTradeNo != "SB-000015" {
		t.Errorf("received %+v, %v", n, err)
	}
}
