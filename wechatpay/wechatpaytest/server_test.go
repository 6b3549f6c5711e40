package wechatpaytest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

// receiver is the shop's notification endpoint, as a handler should be:
// parse, answer 4xx with the reason on error, else record and acknowledge.
type receiver struct {
	client *wechatpay.Client
	mu     sync.Mutex
	got    []*wechatpay.Notification
	errs   []error
	status int // answer this instead of 204 when set (the shop failing)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := rc.client.ParseNotification(r)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		rc.errs = append(rc.errs, err)
		wechatpay.WriteFail(w, http.StatusBadRequest, "not verified")
		return
	}
	rc.got = append(rc.got, n)
	if rc.status != 0 {
		wechatpay.WriteFail(w, rc.status, "busy")
		return
	}
	wechatpay.WriteAck(w)
}

func (rc *receiver) last(t *testing.T) (*wechatpay.Notification, error) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch {
	case len(rc.errs) > 0:
		err := rc.errs[len(rc.errs)-1]
		rc.errs = nil
		return nil, err
	case len(rc.got) > 0:
		return rc.got[len(rc.got)-1], nil
	}
	t.Fatal("nothing received")
	return nil, nil
}

// fixture: a fake server, its client, and a receiver wired to it.
func fixture(t *testing.T, o wechatpaytest.Options) (*wechatpaytest.Server, *wechatpay.Client, *receiver) {
	t.Helper()
	s := wechatpaytest.New(t, o)
	c := s.Client()
	rc := &receiver{client: c}
	s.SetNotifyHandler(rc)
	t.Cleanup(func() {
		if n := s.Rejected(); n != 0 {
			t.Errorf("%d requests refused with SIGN_ERROR", n)
		}
	})
	return s, c, rc
}

const notifyURL = "https://shop.example/pay/wechat/notify"

func prepay(no string, total int64) wechatpay.Prepay {
	return wechatpay.Prepay{Description: "tea", OutTradeNo: no, NotifyURL: notifyURL,
		Amount: wechatpay.Amount{Total: total}, PayerOpenID: "oBuyer1"}
}

var ctx = context.Background()

// TestJSAPIPayment: prepay, the page's parameters, the buyer paying, the
// notification verified and decrypted by the receiver, the query.
func TestJSAPIPayment(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{})
	id, err := c.PrepayJSAPI(ctx, prepay("SB-000001", 12800))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.QueryByOutTradeNo(ctx, "SB-000001")
	if err != nil || tr.TradeState != wechatpay.TradeNotPay || tr.Paid() {
		t.Fatalf("query before paying: %+v, %v", tr, err)
	}
	params, err := c.JSAPIParams(id)
	if err != nil {
		t.Fatal(err)
	}
	bad := params
	bad.PaySign = params.PaySign[:10] + "A" + params.PaySign[11:]
	if bad.PaySign != params.PaySign {
		if _, err := s.PayJSAPI(bad, "oBuyer1"); err == nil {
			t.Error("a page with a spoiled paySign pays")
		}
	}
	if _, err := s.PayJSAPI(params, "oSomeoneElse"); err == nil {
		t.Error("another buyer pays a JSAPI order")
	}
	status, err := s.PayJSAPI(params, "oBuyer1")
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("PayJSAPI = %d, %v", status, err)
	}
	n, err := rc.last(t)
	if err != nil {
		t.Fatal(err)
	}
	if n.EventType != wechatpay.EventTransactionSuccess || n.Transaction.OutTradeNo != "SB-000001" ||
		n.Transaction.Amount.Total != 12800 || n.Transaction.Payer.OpenID != "oBuyer1" || n.Transaction.TransactionID == "" {
		t.Errorf("notification %+v %+v", n, n.Transaction)
	}
	tr, err = c.QueryByOutTradeNo(ctx, "SB-000001")
	if err != nil || tr.TradeState != wechatpay.TradeSuccess || tr.TransactionID != n.Transaction.TransactionID ||
		tr.SuccessTime.IsZero() || tr.Amount.PayerTotal != 12800 {
		t.Fatalf("query after paying: %+v, %v", tr, err)
	}
	if _, err := s.Pay("SB-000001", "oBuyer1"); err == nil {
		t.Error("a paid order is paid again")
	}
	if err := c.Close(ctx, "SB-000001"); !wechatpay.IsCode(err, wechatpay.CodeOrderPaid) {
		t.Errorf("close of a paid order: %v", err)
	}
	// Redelivery carries the same notification id.
	if _, err := s.NotifyTransaction("SB-000001"); err != nil {
		t.Fatal(err)
	}
	if again, _ := rc.last(t); again.ID != n.ID {
		t.Errorf("redelivered id %s, first %s", again.ID, n.ID)
	}
}

// TestNativePayment: a QR code's code_url, scanned and paid.
func TestNativePayment(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{})
	p := prepay("SB-000002", 500)
	p.PayerOpenID = ""
	url, err := c.PrepayNative(ctx, p)
	if err != nil || !strings.HasPrefix(url, "weixin://wxpay/bizpayurl?pr=") {
		t.Fatalf("PrepayNative = %q, %v", url, err)
	}
	no, ok := s.OrderByCodeURL(url)
	if !ok || no != "SB-000002" {
		t.Fatalf("OrderByCodeURL = %q, %v", no, ok)
	}
	if status, err := s.Pay(no, "oScanner"); err != nil || status != 204 {
		t.Fatalf("Pay = %d, %v", status, err)
	}
	if n, err := rc.last(t); err != nil || n.Transaction.TradeType != wechatpay.TradeTypeNative || n.Transaction.Payer.OpenID != "oScanner" {
		t.Fatalf("notification %+v, %v", n, err)
	}
}

// TestPrepayIdempotency: the same number and parameters give the same
// prepay_id; other parameters, a closed or a paid order are refused.
func TestPrepayIdempotency(t *testing.T) {
	t.Parallel()
	s, c, _ := fixture(t, wechatpaytest.Options{})
	first, err := c.PrepayJSAPI(ctx, prepay("SB-000003", 100))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.PrepayJSAPI(ctx, prepay("SB-000003", 100)); err != nil || again != first {
		t.Errorf("same parameters: %q, %v; first %q", again, err, first)
	}
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000003", 101)); !wechatpay.IsCode(err, wechatpay.CodeInvalidRequest) {
		t.Errorf("other amount: %v", err)
	}
	native := prepay("SB-000003", 100)
	native.PayerOpenID = ""
	if _, err := c.PrepayNative(ctx, native); !wechatpay.IsCode(err, wechatpay.CodeInvalidRequest) {
		t.Errorf("same number as Native: %v", err)
	}
	if err := c.Close(ctx, "SB-000003"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx, "SB-000003"); err != nil {
		t.Errorf("closing a closed order again: %v", err)
	}
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000003", 100)); !wechatpay.IsCode(err, wechatpay.CodeOrderClosed) {
		t.Errorf("prepay of a closed order: %v", err)
	}
	if _, err := s.Pay("SB-000003", "oBuyer1"); err == nil {
		t.Error("a closed order is paid")
	}

	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000004", 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pay("SB-000004", "oBuyer1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000004", 100)); !wechatpay.IsCode(err, wechatpay.CodeOrderPaid) {
		t.Errorf("prepay of a paid order: %v", err)
	}
	if err := c.Close(ctx, "SB-NOSUCH"); !wechatpay.IsNotFound(err) {
		t.Errorf("close of an unknown order: %v", err)
	}
	if _, err := c.QueryByOutTradeNo(ctx, "SB-NOSUCH"); !wechatpay.IsNotFound(err) {
		t.Errorf("query of an unknown order: %v", err)
	}
}

// TestExpiry: an order past its time_expire cannot be paid.
func TestExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, c, _ := fixture(t, wechatpaytest.Options{Clock: clock})
	p := prepay("SB-000005", 100)
	p.TimeExpire = now.Add(15 * time.Minute)
	if _, err := c.PrepayJSAPI(ctx, p); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(15 * time.Minute)
	mu.Unlock()
	if _, err := s.Pay("SB-000005", "oBuyer1"); err == nil {
		t.Error("an expired order is paid")
	}
	p.OutTradeNo, p.TimeExpire = "SB-000006", now.Add(-time.Second)
	if _, err := c.PrepayJSAPI(ctx, p); !wechatpay.IsCode(err, wechatpay.CodeParamError) {
		t.Errorf("prepay with a past time_expire: %v", err)
	}
}

// TestFaults: injected failures reach the client as WeChat Pay's would.
func TestFaults(t *testing.T) {
	t.Parallel()
	s, c, _ := fixture(t, wechatpaytest.Options{})
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000009", 100)); err != nil {
		t.Fatal(err)
	}
	// Close answers 500 once, not closing; then closes.
	s.Inject(wechatpaytest.OpClose, wechatpaytest.Fault{})
	err := c.Close(ctx, "SB-000009")
	var e *wechatpay.APIError
	if !errors.As(err, &e) || e.Status != 500 || e.Code != wechatpay.CodeSystemError || !e.Temporary() {
		t.Fatalf("injected close: %v", err)
	}
	if o, _ := s.Order("SB-000009"); o.State != wechatpay.TradeNotPay {
		t.Errorf("closed by a failed close: %s", o.State)
	}
	if err := c.Close(ctx, "SB-000009"); err != nil {
		t.Fatal(err)
	}

	// Carried out, then the answer lost.
	if _, err := c.PrepayJSAPI(ctx, prepay("SB-000010", 100)); err != nil {
		t.Fatal(err)
	}
	s.Inject(wechatpaytest.OpClose, wechatpaytest.Fault{After: true, Status: 503, Code: wechatpay.CodeSystemError})
	if err := c.Close(ctx, "SB-000010"); !wechatpay.IsCode(err, wechatpay.CodeSystemError) {
		t.Errorf("close answered 503: %v", err)
	}
	if o, _ := s.Order("SB-000010"); o.State != wechatpay.TradeClosed {
		t.Errorf("state after a lost answer: %s", o.State)
	}

	// Query says USERPAYING; the frequency limit.
	if err := s.SetTradeState("SB-000009", wechatpay.TradeUserPaying); err != nil {
		t.Fatal(err)
	}
	if tr, err := c.QueryByOutTradeNo(ctx, "SB-000009"); err != nil || tr.TradeState != wechatpay.TradeUserPaying {
		t.Errorf("USERPAYING: %+v, %v", tr, err)
	}
	s.Inject(wechatpaytest.OpQuery, wechatpaytest.Fault{Status: 429, Code: wechatpay.CodeFrequencyLimited})
	if _, err := c.QueryByOutTradeNo(ctx, "SB-000009"); !wechatpay.IsCode(err, wechatpay.CodeFrequencyLimited) {
		t.Errorf("frequency limited: %v", err)
	}

	// Spoiled answers are never trusted, whatever they say.
	for _, tc := range []struct {
		f    wechatpaytest.Fault
		want error
	}{
		{wechatpaytest.Fault{Unsigned: true}, wechatpay.ErrUnknownSerial},
		{wechatpaytest.Fault{BadSignature: true}, wechatpay.ErrBadSignature},
		{wechatpaytest.Fault{Stale: true}, wechatpay.ErrStale},
		{wechatpaytest.Fault{BadSignature: true, Status: 400, Code: wechatpay.CodeOrderPaid}, wechatpay.ErrBadSignature},
	} {
		s.Inject(wechatpaytest.OpQuery, tc.f)
		_, err := c.QueryByOutTradeNo(ctx, "SB-000009")
		if !errors.Is(err, tc.want) || errors.As(err, &e) {
			t.Errorf("%+v: %v, want %v", tc.f, err, tc.want)
		}
	}
	if _, err := c.QueryByOutTradeNo(ctx, "SB-000009"); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}

// TestKeyFiles: a configuration from the PEM files the fake writes works.
func TestKeyFiles(t *testing.T) {
	t.Parallel()
	s := wechatpaytest.New(t, wechatpaytest.Options{})
	files, err := s.WriteKeyFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.Config()
	if cfg.PrivateKey, err = wechatpay.LoadPrivateKey(files.MerchantPrivateKey); err != nil {
		t.Fatal(err)
	}
	if cfg.PublicKey, err = wechatpay.LoadPublicKey(files.PublicKey); err != nil {
		t.Fatal(err)
	}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryByOutTradeNo(ctx, "SB-000016"); !wechatpay.IsNotFound(err) {
		t.Errorf("query: %v", err)
	}
	if s.Rejected() != 0 {
		t.Errorf("%d rejected", s.Rejected())
	}
}

// TestConcurrentPayments: many buyers at once; every request verifies, every
// notification arrives once, the states add up (run with -race).
func TestConcurrentPayments(t *testing.T) {
	t.Parallel()
	s, c, rc := fixture(t, wechatpaytest.Options{})
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := fmt.Sprintf("SB-C%05d", i)
			if _, err := c.PrepayJSAPI(ctx, prepay(no, int64(100+i))); err != nil {
				errs <- err
				return
			}
			if _, err := c.PrepayJSAPI(ctx, prepay(no, int64(100+i))); err != nil { // a retry
				errs <- err
				return
			}
			if status, err := s.Pay(no, "oBuyer1"); err != nil || status != 204 {
				errs <- fmt.Errorf("pay %s: %d %v", no, status, err)
				return
			}
			if tr, err := c.QueryByOutTradeNo(ctx, no); err != nil || tr.Amount.Total != int64(100+i) {
				errs <- fmt.Errorf("query %s: %v", no, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for _, n := range rc.got {
		if seen[n.Transaction.OutTradeNo] {
			t.Errorf("%s notified twice", n.Transaction.OutTradeNo)
		}
		seen[n.Transaction.OutTradeNo] = true
	}
	if len(seen) != n || len(rc.errs) != 0 {
		t.Errorf("%d notified, %d refused", len(seen), len(rc.errs))
	}
}
