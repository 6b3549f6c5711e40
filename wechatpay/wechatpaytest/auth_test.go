package wechatpaytest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

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
		at = sg.cfg.Clock()
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
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s := wechatpaytest.New(t, wechatpaytest.Options{Clock: func() time.Time { return now }})
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
		{"5 minutes old", signer{cfg: cfg, at: now.Add(-5 * time.Minute)}},
		{"5 minutes ahead", signer{cfg: cfg, at: now.Add(5 * time.Minute)}},
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
	for _, at := range []time.Time{now, now.Add(-5*time.Minute + time.Second), now.Add(5*time.Minute - time.Second)} {
		if status, code := (signer{cfg: cfg, at: at}).call(t, "POST", path, body); status != 404 || code != wechatpay.CodeOrderNotExist {
			t.Errorf("request signed at %v: %d %s", at.Sub(now), status, code)
		}
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
	skewed.Clock = func() time.Time { return now.Add(5 * time.Minute) }
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
