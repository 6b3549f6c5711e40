package wechatpay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// scripted answers each request with the status and body of answer, signed
// as WeChat Pay signs, and records the last request.
type scripted struct {
	t      *testing.T
	key    testKeys
	answer func(method, uri string, body map[string]any) (int, string)
	method string
	uri    string
	body   map[string]any
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.method, s.uri = r.Method, r.RequestURI
	b, _ := io.ReadAll(r.Body)
	s.body = nil
	if len(b) > 0 {
		if err := json.Unmarshal(b, &s.body); err != nil {
			s.t.Errorf("request body %q: %v", b, err)
		}
	}
	status, out := s.answer(r.Method, r.RequestURI, s.body)
	signAnswer(s.t, s.key.wechat, w.Header(), time.Unix(vectorTime, 0), []byte(out))
	w.WriteHeader(status)
	io.WriteString(w, out)
}

func startScripted(t *testing.T, answer func(method, uri string, body map[string]any) (int, string)) (*Client, *scripted) {
	k := loadTestKeys(t)
	s := &scripted{t: t, key: k, answer: answer}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return testClient(t, k, srv.URL), s
}

// jsonEqual: got (decoded JSON) equals want (JSON text).
func jsonEqual(t *testing.T, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	ws, _ := json.Marshal(w)
	if string(g) != string(ws) {
		t.Errorf("request body\n got %s\nwant %s", g, ws)
	}
}

var testPrepay = Prepay{
	Description: "Spring drop: tea ×2",
	OutTradeNo:  "SB20260101-42",
	NotifyURL:   "https://shop.example/pay/wechat/notify",
	TimeExpire:  time.Date(2026, 1, 1, 2, 30, 0, 500, time.UTC),
	Amount:      Amount{Total: 12800},
	PayerOpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	Attach:      "o42",
}

func TestPrepay(t *testing.T) {
	t.Parallel()
	c, s := startScripted(t, func(method, uri string, body map[string]any) (int, string) {
		if strings.HasSuffix(uri, "/native") {
			return 200, `{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}`
		}
		return 200, `{"prepay_id":"wx26112221580621e9b071c00d9e093b0000"}`
	})
	id, err := c.PrepayJSAPI(context.Background(), testPrepay)
	if err != nil || id != "wx26112221580621e9b071c00d9e093b0000" {
		t.Fatalf("PrepayJSAPI = %q, %v", id, err)
	}
	if s.method != "POST" || s.uri != "/v3/pay/transactions/jsapi" {
		t.Errorf("%s %s", s.method, s.uri)
	}
	jsonEqual(t, s.body, `{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Spring drop: tea ×2",
		"out_trade_no":"SB20260101-42","time_expire":"2026-01-01T10:30:00+08:00","attach":"o42",
		"notify_url":"https://shop.example/pay/wechat/notify","amount":{"total":12800,"currency":"CNY"},
		"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}`)

	native := testPrepay
	native.PayerOpenID, native.TimeExpire, native.Attach = "", time.Time{}, ""
	url, err := c.PrepayNative(context.Background(), native)
	if err != nil || url != "weixin://wxpay/bizpayurl?pr=p4lpSuKzz" {
		t.Fatalf("PrepayNative = %q, %v", url, err)
	}
	jsonEqual(t, s.body, `{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Spring drop: tea ×2",
		"out_trade_no":"SB20260101-42","notify_url":"https://shop.example/pay/wechat/notify","amount":{"total":12800,"currency":"CNY"}}`)
}

// TestPrepayChecks: what WeChat Pay would refuse is refused before a call.
func TestPrepayChecks(t *testing.T) {
	t.Parallel()
	calls := 0
	c, _ := startScripted(t, func(string, string, map[string]any) (int, string) { calls++; return 200, `{"prepay_id":"x"}` })
	for name, edit := range map[string]func(p *Prepay){
		"no description":        func(p *Prepay) { p.Description = "" },
		"long description":      func(p *Prepay) { p.Description = strings.Repeat("茶", 43) },
		"short number":          func(p *Prepay) { p.OutTradeNo = "12345" },
		"number with a slash":   func(p *Prepay) { p.OutTradeNo = "SB2026/0101" },
		"zero amount":           func(p *Prepay) { p.Amount.Total = 0 },
		"dollars":               func(p *Prepay) { p.Amount.Currency = "USD" },
		"no openid":             func(p *Prepay) { p.PayerOpenID = "" },
		"relative notify url":   func(p *Prepay) { p.NotifyURL = "/pay/notify" },
		"notify url with query": func(p *Prepay) { p.NotifyURL = "https://shop.example/n?o=1" },
		"long attach":           func(p *Prepay) { p.Attach = strings.Repeat("a", 129) },
	} {
		p := testPrepay
		edit(&p)
		if _, err := c.PrepayJSAPI(context.Background(), p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := c.PrepayNative(context.Background(), testPrepay); err == nil {
		t.Error("native prepay with an openid: accepted")
	}
	if calls != 0 {
		t.Errorf("%d calls made", calls)
	}
}

func TestQueryAndClose(t *testing.T) {
	t.Parallel()
	answer := `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"A/B C 42",
		"transaction_id":"4200000000202601010000000001","trade_type":"JSAPI","trade_state":"SUCCESS",
		"trade_state_desc":"支付成功","bank_type":"OTHERS","attach":"o42","success_time":"2026-01-01T10:20:30+08:00",
		"payer":{"openid":"oUpF8u"},"amount":{"total":12800,"payer_total":12000,"currency":"CNY","payer_currency":"CNY"}}`
	c, s := startScripted(t, func(method, uri string, body map[string]any) (int, string) {
		if method == "POST" {
			return 204, ""
		}
		return 200, answer
	})
	tr, err := c.QueryByOutTradeNo(context.Background(), "A/B C 42")
	if err != nil {
		t.Fatal(err)
	}
	if s.method != "GET" || s.uri != "/v3/pay/transactions/out-trade-no/A%2FB%20C%2042?mchid=1230000109" || s.body != nil {
		t.Errorf("%s %s %v", s.method, s.uri, s.body)
	}
	want := Transaction{AppID: testAppID, MchID: testMchID, OutTradeNo: "A/B C 42",
		TransactionID: "4200000000202601010000000001", TradeType: TradeTypeJSAPI, TradeState: TradeSuccess,
		TradeStateDesc: "支付成功", BankType: "OTHERS", Attach: "o42",
		SuccessTime: time.Date(2026, 1, 1, 2, 20, 30, 0, time.UTC),
		Payer:       Payer{OpenID: "oUpF8u"},
		Amount:      TransactionAmount{Total: 12800, PayerTotal: 12000, Currency: "CNY", PayerCurrency: "CNY"}}
	if !tr.SuccessTime.Equal(want.SuccessTime) {
		t.Errorf("success time %v", tr.SuccessTime)
	}
	tr.SuccessTime = want.SuccessTime
	if *tr != want || !tr.Paid() {
		t.Errorf("transaction\n got %+v\nwant %+v", *tr, want)
	}
	if _, err := c.QueryByOutTradeNo(context.Background(), "other-order"); !errors.Is(err, ErrWrongMerchant) {
		t.Errorf("an answer for another order: %v", err)
	}

	if err := c.Close(context.Background(), "A/B C 42"); err != nil {
		t.Fatal(err)
	}
	if s.method != "POST" || s.uri != "/v3/pay/transactions/out-trade-no/A%2FB%20C%2042/close" {
		t.Errorf("%s %s", s.method, s.uri)
	}
	jsonEqual(t, s.body, `{"mchid":"1230000109"}`)
}

func TestCloseOfAPaidOrder(t *testing.T) {
	t.Parallel()
	c, _ := startScripted(t, func(string, string, map[string]any) (int, string) {
		return 400, `{"code":"ORDERPAID","message":"订单已支付"}`
	})
	err := c.Close(context.Background(), "SB20260101-42")
	var e *APIError
	if !errors.As(err, &e) || e.Code != CodeOrderPaid || e.Status != 400 || e.Temporary() {
		t.Fatalf("Close = %v", err)
	}
}

func TestRefundCalls(t *testing.T) {
	t.Parallel()
	answer := `{"refund_id":"50000000382019052709732678859","out_refund_no":"R-1","transaction_id":"42000","out_trade_no":"SB20260101-42",
		"channel":"ORIGINAL","user_received_account":"招商银行信用卡0403","status":"PROCESSING","create_time":"2026-01-02T10:00:00+08:00",
		"amount":{"total":12800,"refund":2800,"payer_total":12800,"payer_refund":2800,"currency":"CNY"}}`
	c, s := startScripted(t, func(string, string, map[string]any) (int, string) { return 200, answer })
	r, err := c.Refund(context.Background(), RefundRequest{OutTradeNo: "SB20260101-42", OutRefundNo: "R-1", Reason: "缺货",
		NotifyURL: "https://shop.example/pay/wechat/refund", Amount: RefundAmount{Refund: 2800, Total: 12800}})
	if err != nil {
		t.Fatal(err)
	}
	if s.uri != "/v3/refund/domestic/refunds" {
		t.Errorf("uri %s", s.uri)
	}
	jsonEqual(t, s.body, `{"out_trade_no":"SB20260101-42","out_refund_no":"R-1","reason":"缺货",
		"notify_url":"https://shop.example/pay/wechat/refund","amount":{"refund":2800,"total":12800,"currency":"CNY"}}`)
	if r.Status != RefundProcessing || r.Amount.Refund != 2800 || r.RefundID == "" || !r.SuccessTime.IsZero() ||
		!r.CreateTime.Equal(time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("refund %+v", r)
	}
	if _, err := c.QueryRefund(context.Background(), "R-1"); err != nil {
		t.Fatal(err)
	}
	if s.method != "GET" || s.uri != "/v3/refund/domestic/refunds/R-1" {
		t.Errorf("%s %s", s.method, s.uri)
	}
	if _, err := c.QueryRefund(context.Background(), "R-2"); !errors.Is(err, ErrMalformed) {
		t.Errorf("an answer for another refund: %v", err)
	}
	for name, r := range map[string]RefundRequest{
		"no order":         {OutRefundNo: "R-1", Amount: RefundAmount{Refund: 1, Total: 2}},
		"both order names": {OutTradeNo: "SB20260101-42", TransactionID: "42", OutRefundNo: "R-1", Amount: RefundAmount{Refund: 1, Total: 2}},
		"more than total":  {OutTradeNo: "SB20260101-42", OutRefundNo: "R-1", Amount: RefundAmount{Refund: 3, Total: 2}},
		"no refund number": {OutTradeNo: "SB20260101-42", Amount: RefundAmount{Refund: 1, Total: 2}},
	} {
		if _, err := c.Refund(context.Background(), r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestJSAPIParams: paySign is openssl's signature of the exact message.
func TestJSAPIParams(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	c := testClient(t, k, "")
	p, err := c.JSAPIParams("wx201410272009395522657a690389285100")
	if err != nil {
		t.Fatal(err)
	}
	const wantSig = "eYJIAC+FtCpoHYLv9nGeyujQFqVC94mXYt2O/II2/+uZ+k7DDg9Mq0wUcPqKntVx3sEOCwYoFYHXaCGKWnhQyH2pgjTZYKh+/uCXa1RN/WBsEwtOeI1Z3I3IC+w9HUSmrYKc+STBuTjjIhiuZptTKOuKBWFzMStvK8W1BJN57lluVKXWz2GOatlUGpvpOZkMajuQlVGHYlQVZmFX9IpOzWVmynCjQ/sR9XoZerC7+0mMQFBVBQ3d348LMrtbLoz/eR7G6Msu9fcDqr9t6sXqziQUD16mXlGXkwGLlERcGCsdV8WtFzSCkbQus7JF5u9N8kyt9KjQQfQLMEndqitbSg=="
	want := JSAPIPayParams{AppID: testAppID, TimeStamp: "1554208460", NonceStr: vectorNonce,
		Package: "prepay_id=wx201410272009395522657a690389285100", SignType: "RSA", PaySign: wantSig}
	if p != want {
		t.Errorf("JSAPIParams\n got %+v\nwant %+v", p, want)
	}
	msg := "wxd678efh567hg6787\n1554208460\n" + vectorNonce + "\nprepay_id=wx201410272009395522657a690389285100\n"
	if JSAPIMessage(p.AppID, p.TimeStamp, p.NonceStr, p.Package) != msg {
		t.Error("JSAPIMessage differs")
	}
	if err := VerifySignature(&k.merchant.PublicKey, msg, p.PaySign); err != nil {
		t.Error(err)
	}
	b, _ := json.Marshal(p)
	for _, key := range []string{`"appId"`, `"timeStamp"`, `"nonceStr"`, `"package"`, `"signType"`, `"paySign"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

func TestTruncateDescription(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "tea", strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("茶", 50), "a" + strings.Repeat("茶", 50)} {
		got := TruncateDescription(in)
		switch {
		case len(got) > MaxDescriptionBytes || !utf8.ValidString(got):
			t.Errorf("%q → %q (%d bytes)", in, got, len(got))
		case len(in) <= MaxDescriptionBytes && got != in:
			t.Errorf("%q cut to %q", in, got)
		case len(in) > MaxDescriptionBytes && (!strings.HasSuffix(got, "…") || !strings.HasPrefix(in, strings.TrimSuffix(got, "…"))):
			t.Errorf("%q → %q", in, got)
		}
	}
}
