package wechatpaytest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
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

// signer makes raw requests as a merchant would, to send what the client
// refuses to.
type signer struct {
	cfg   wechatpay.Config
	at    time.Time
	edit  func(auth string) string // of the Authorization header
	other *wechatpay.Config        // sign with this key instead
}

func (sg signer) call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	at := sg.at
	if at.IsZero() {
		at = time.Now()
	}
	nonce := wechatpay.RandomNonce()
	key := sg.cfg.PrivateKey
	if sg.other != nil {
		key = sg.other.PrivateKey
	}
	sig, err := wechatpay.Sign(key, wechatpay.RequestMessage(method, path, at.Unix(), nonce, []byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	auth := fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		sg.cfg.MchID, nonce, at.Unix(), sg.cfg.SerialNo, sig)
	if sg.edit != nil {
		auth = sg.edit(auth)
	}
	req, _ := http.NewRequest(method, sg.cfg.BaseURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("User-Agent", "test")
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Code string `json:"code"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &e)
	return resp.StatusCode, e.Code
}

// TestRejectsBadRequests: every way a request's signature can be wrong is
// answered 401 SIGN_ERROR, unsigned, and counted; the client never takes
// such an answer for an APIError.
func TestRejectsBadRequests(t *testing.T) {
	t.Parallel()
	s := wechatpaytest.New(t, wechatpaytest.Options{})
	other := wechatpaytest.New(t, wechatpaytest.Options{MerchantKey: otherKey()}).Config()
	cfg := s.Config()
	body := `{"mchid":"` + cfg.MchID + `"}`
	path := "/v3/pay/transactions/out-trade-no/SB-000007/close"
	for _, tc := range []struct {
		name string
		sg   signer
	}{
		{"no Authorization", signer{cfg: cfg, edit: func(string) string { return "" }}},
		{"other scheme", signer{cfg: cfg, edit: func(a string) string {
			return strings.Replace(a, "WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SM2-WITH-SM3", 1)
		}}},
		{"other mchid", signer{cfg: cfg, edit: func(a string) string { return strings.Replace(a, cfg.MchID, "1900000001", 1) }}},
		{"other serial", signer{cfg: cfg, edit: func(a string) string { return strings.Replace(a, cfg.SerialNo, "0000", 1) }}},
		{"no nonce", signer{cfg: cfg, edit: func(a string) string { return strings.Replace(a, `nonce_str="`, `nonce="`, 1) }}},
		{"5 minutes old", signer{cfg: cfg, at: time.Now().Add(-5*time.Minute - time.Second)}},
		{"5 minutes ahead", signer{cfg: cfg, at: time.Now().Add(5*time.Minute + time.Second)}},
		{"another key", signer{cfg: cfg, other: &other}},
		{"timestamp edited", signer{cfg: cfg, edit: func(a string) string {
			return timestampRE.ReplaceAllStringFunc(a, func(m string) string {
				ts, _ := strconv.ParseInt(m[len(`timestamp="`):len(m)-1], 10, 64)
				return `timestamp="` + strconv.FormatInt(ts-1, 10) + `"`
			})
		}}},
	} {
		before := s.Rejected()
		if status, code := tc.sg.call(t, "POST", path, body); status != 401 || code != wechatpay.CodeSignError {
			t.Errorf("%s: %d %s", tc.name, status, code)
		}
		if s.Rejected() != before+1 {
			t.Errorf("%s: not counted", tc.name)
		}
	}
	// A correctly signed request passes (and reaches the endpoint: 404 order).
	if status, code := (signer{cfg: cfg}).call(t, "POST", path, body); status != 404 || code != wechatpay.CodeOrderNotExist {
		t.Errorf("signed request: %d %s", status, code)
	}

	// The client of another merchant key: refused, and what comes back is
	// no APIError (the answer is unsigned).
	wrong := cfg
	wrong.PrivateKey = other.PrivateKey
	c, _ := wechatpay.New(wrong)
	err := c.Close(ctx, "SB-000007")
	var apiErr *wechatpay.APIError
	if errors.As(err, &apiErr) || !errors.Is(err, wechatpay.ErrUnknownSerial) {
		t.Errorf("client with a wrong key: %v", err)
	}
	// A client whose clock is 6 minutes off.
	skewed := cfg
	skewed.Clock = func() time.Time { return time.Now().Add(6 * time.Minute) }
	c, _ = wechatpay.New(skewed)
	if _, err := c.QueryByOutTradeNo(ctx, "SB-000007"); err == nil {
		t.Error("a skewed client is answered")
	}
}

var timestampRE = regexp.MustCompile(`timestamp="[0-9]+"`)

// otherKey is a merchant key other than the fake's default.
var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// TestServerChecksFields: what the client would refuse, sent raw, is
// refused by the fake as WeChat Pay refuses it.
func TestServerChecksFields(t *testing.T) {
	t.Parallel()
	s := wechatpaytest.New(t, wechatpaytest.Options{})
	cfg := s.Config()
	sg := signer{cfg: cfg}
	valid := map[string]any{"appid": cfg.AppID, "mchid": cfg.MchID, "description": "tea", "out_trade_no": "SB-000008",
		"notify_url": notifyURL, "amount": map[string]any{"total": 100, "currency": "CNY"}, "payer": map[string]any{"openid": "o1"}}
	for _, tc := range []struct {
		name  string
		field string
		value any // nil deletes
		code  string
	}{
		{"other mchid", "mchid", "1900000001", wechatpay.CodeParamError},
		{"other appid", "appid", "wx0000000000000000", "APPID_MCHID_NOT_MATCH"},
		{"no description", "description", nil, wechatpay.CodeParamError},
		{"short number", "out_trade_no", "SB-1", wechatpay.CodeParamError},
		{"http notify url", "notify_url", "http://shop.example/notify", wechatpay.CodeParamError},
		{"notify url with query", "notify_url", notifyURL + "?a=1", wechatpay.CodeParamError},
		{"zero amount", "amount", map[string]any{"total": 0, "currency": "CNY"}, wechatpay.CodeParamError},
		{"negative amount", "amount", map[string]any{"total": -5, "currency": "CNY"}, wechatpay.CodeParamError},
		{"dollars", "amount", map[string]any{"total": 100, "currency": "USD"}, wechatpay.CodeParamError},
		{"no payer", "payer", nil, wechatpay.CodeParamError},
		{"bad time_expire", "time_expire", "tomorrow", wechatpay.CodeParamError},
	} {
		p := map[string]any{}
		for k, v := range valid {
			p[k] = v
		}
		if tc.value == nil {
			delete(p, tc.field)
		} else {
			p[tc.field] = tc.value
		}
		b, _ := json.Marshal(p)
		if status, code := sg.call(t, "POST", "/v3/pay/transactions/jsapi", string(b)); status != 400 || code != tc.code {
			t.Errorf("%s: %d %s, want 400 %s", tc.name, status, code, tc.code)
		}
	}
	b, _ := json.Marshal(valid)
	if status, _ := sg.call(t, "POST", "/v3/pay/transactions/jsapi", string(b)); status != 200 {
		t.Errorf("valid prepay: %d", status)
	}
	if status, code := sg.call(t, "GET", "/v3/pay/transactions/out-trade-no/SB-000008?mchid=1900000001", ""); status != 400 || code != wechatpay.CodeParamError {
		t.Errorf("query for another mchid: %d %s", status, code)
	}
	if status, code := sg.call(t, "GET", "/v3/no/such/endpoint", ""); status != 404 || code != wechatpay.CodeNotFound {
		t.Errorf("unknown endpoint: %d %s", status, code)
	}
	if s.Rejected() != 0 {
		t.Errorf("%d rejected", s.Rejected())
	}
}

// TestEscapedNumbers: an out_trade_no needing escapes is signed and routed
// as sent (the fake checks the signature over the raw request target).
func TestEscapedNumbers(t *testing.T) {
	t.Parallel()
	s, c, _ := fixture(t, wechatpaytest.Options{})
	for _, no := range []string{"SB|0001*x", "SB-0001_y"} {
		if _, err := c.PrepayJSAPI(ctx, prepay(no, 100)); err != nil {
			t.Fatalf("%s: %v", no, err)
		}
		if _, err := s.Pay(no, "oBuyer1"); err != nil {
			t.Fatal(err)
		}
		tr, err := c.QueryByOutTradeNo(ctx, no)
		if err != nil || tr.OutTradeNo != no || !tr.Paid() {
			t.Errorf("%s: %+v, %v", no, tr, err)
		}
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
