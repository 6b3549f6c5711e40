package wechatpay

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testdata/notification_transaction.json was sealed by Python's
// cryptography package (testdata/mkvector.py) and signed by openssl:
//
//	printf '1554208460\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\n%s\n' "$(cat notification_transaction.json)" \
//	  | openssl dgst -sha256 -sign wechatpay_key.pem | base64 -w0
const (
	vectorNotifyNonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
	vectorNotifySig   = "Q97E37K36L904VcppiJCOBnP9Mqnm2pGLfdUmzop9pqG2LKGqcmiDWHaQw0j/fzzNx6pY+Xa+J9O88p1WluDq4GYSubFds6jaB6tARsnLDrHRV4dd3qUSwX9JMmb/8R7WWaqx1HcqsYUvr0ud0apI3PVQiZiW2tzuMB5037xZ7ZNUF6ZA31zP1rrdyTEBpAb3qlDCgEEGC69JslfLyUcXNsUdqk9DLZXQm2N9trqibgw2YF9Gh3BF74rfLMHrWxkKXWWGuVX5wHjQZJPQ22SYZ74J8p1A/xmHCES/aJKLJFpVAEMmgePFGB02ogOls6+50XjV2esOGTeTV7rhgnt7Q=="
)

func vectorNotification(t testing.TB) (http.Header, []byte) {
	t.Helper()
	body, err := os.ReadFile("testdata/notification_transaction.json")
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderSerial, testPubKeyID)
	h.Set(HeaderTimestamp, strconv.Itoa(vectorTime))
	h.Set(HeaderNonce, vectorNotifyNonce)
	h.Set(HeaderSignature, vectorNotifySig)
	return h, body
}

// TestNotificationVector: the notification made by other tools parses.
func TestNotificationVector(t *testing.T) {
	t.Parallel()
	c := testClient(t, loadTestKeys(t), "")
	h, body := vectorNotification(t)
	n, err := c.ParseNotificationBody(h, body)
	if err != nil {
		t.Fatal(err)
	}
	if n.ID != "EV-2018022511223320873" || n.EventType != EventTransactionSuccess || n.Summary != "支付成功" ||
		n.Refund != nil || !n.CreateTime.Equal(time.Date(2026, 1, 1, 2, 20, 31, 0, time.UTC)) {
		t.Errorf("notification %+v", n)
	}
	tr := n.Transaction
	if tr == nil || tr.OutTradeNo != "SB20260101-42" || tr.TradeState != TradeSuccess || tr.Amount.Total != 12800 ||
		tr.Payer.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" || tr.TransactionID != "4200000000202601010000000001" ||
		!tr.SuccessTime.Equal(time.Date(2026, 1, 1, 2, 20, 30, 0, time.UTC)) {
		t.Errorf("transaction %+v", tr)
	}

	// The same through ParseNotification, from a request.
	r := httptest.NewRequest("POST", "/pay/wechat/notify", bytes.NewReader(body))
	r.Header = h
	if _, err := c.ParseNotification(r); err != nil {
		t.Errorf("ParseNotification: %v", err)
	}
}

// TestNotificationAnyChangedByte: any changed byte of the body is refused.
func TestNotificationAnyChangedByte(t *testing.T) {
	t.Parallel()
	c := testClient(t, loadTestKeys(t), "")
	h, body := vectorNotification(t)
	for i := range body {
		b := bytes.Clone(body)
		b[i] ^= 0x20
		if n, err := c.ParseNotificationBody(h, b); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("byte %d changed: %v, %v", i, n, err)
		}
	}
}

// notifier makes notifications as WeChat Pay does, from the test keys.
type notifier struct {
	key    *rsa.PrivateKey
	apiKey []byte
	serial string
	at     time.Time
}

func newNotifier(k testKeys) notifier {
	return notifier{key: k.wechat, apiKey: testAPIv3Key, serial: testPubKeyID, at: time.Unix(vectorTime, 0)}
}

// seal encrypts plain as an AEAD_AES_256_GCM resource.
func (n notifier) seal(t testing.TB, plain []byte, originalType string) map[string]string {
	t.Helper()
	block, err := aes.NewCipher(n.apiKey)
	if err != nil {
		t.Fatal(err)
	}
	gcm, _ := cipher.NewGCM(block)
	nonce := "0123456789ab"
	return map[string]string{
		"algorithm": "AEAD_AES_256_GCM", "original_type": originalType,
		"associated_data": originalType, "nonce": nonce,
		"ciphertext": base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), plain, []byte(originalType))),
	}
}

func (n notifier) body(t testing.TB, event string, resource map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id": "EV-1", "create_time": "2026-01-01T10:20:31+08:00", "resource_type": "encrypt-resource",
		"event_type": event, "summary": "s", "resource": resource,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (n notifier) sign(t testing.TB, body []byte) http.Header {
	t.Helper()
	ts := strconv.FormatInt(n.at.Unix(), 10)
	sig, err := Sign(n.key, ResponseMessage(ts, "N1", body))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(HeaderSerial, n.serial)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, "N1")
	h.Set(HeaderSignature, sig)
	return h
}

const (
	paidResource     = `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"SB20260101-42","transaction_id":"42","trade_type":"NATIVE","trade_state":"SUCCESS","success_time":"2026-01-01T10:20:30+08:00","payer":{"openid":"o1"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"}}`
	refundedResource = `{"mchid":"1230000109","out_trade_no":"SB20260101-42","transaction_id":"42","out_refund_no":"R-1","refund_id":"50","refund_status":"SUCCESS","success_time":"2026-01-02T10:00:00+08:00","user_received_account":"支付用户零钱","amount":{"total":100,"refund":40,"payer_total":100,"payer_refund":40}}`
)

// TestNotifications: each event and each way a notification is refused,
// with its sentinel error.
func TestNotifications(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	c := testClient(t, k, "")
	other := testKeys{wechat: k.merchant} // some other key pair
	for _, tc := range []struct {
		name     string
		event    string
		resource string
		edit     func(n *notifier)         // before sealing and signing
		editRes  func(r map[string]string) // after sealing
		want     error
		check    func(t *testing.T, n *Notification) // when want is nil
	}{
		{name: "paid", event: EventTransactionSuccess, resource: paidResource, check: func(t *testing.T, n *Notification) {
			if n.Transaction == nil || n.Transaction.Amount.Total != 100 || n.Transaction.TradeType != TradeTypeNative {
				t.Errorf("transaction %+v", n.Transaction)
			}
		}},
		{name: "refunded", event: EventRefundSuccess, resource: refundedResource, check: func(t *testing.T, n *Notification) {
			r := n.Refund
			if n.Transaction != nil || r == nil || r.OutRefundNo != "R-1" || r.Amount.Refund != 40 || r.RefundStatus != RefundSuccess ||
				!r.SuccessTime.Equal(time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC)) {
				t.Errorf("refund %+v", r)
			}
		}},
		{name: "refund abnormal", event: EventRefundAbnormal, resource: strings.Replace(strings.Replace(refundedResource, `"SUCCESS"`, `"ABNORMAL"`, 1), `"success_time":"2026-01-02T10:00:00+08:00",`, "", 1),
			check: func(t *testing.T, n *Notification) {
				if n.Refund == nil || n.Refund.RefundStatus != RefundAbnormal || !n.Refund.SuccessTime.IsZero() {
					t.Errorf("refund %+v", n.Refund)
				}
			}},
		{name: "refund closed", event: EventRefundClosed, resource: strings.Replace(refundedResource, `"SUCCESS"`, `"CLOSED"`, 1)},
		{name: "another event", event: "MCHTRANSFER.BILL.FINISHED", resource: `{"mchid":"1230000109","x":1}`, check: func(t *testing.T, n *Notification) {
			if n.Transaction != nil || n.Refund != nil || string(n.Resource) != `{"mchid":"1230000109","x":1}` {
				t.Errorf("notification %+v", n)
			}
		}},
		{name: "another event, another merchant", event: "MCHTRANSFER.BILL.FINISHED", resource: `{"mchid":"1900000001"}`, want: ErrWrongMerchant},
		{name: "paid to another mchid", event: EventTransactionSuccess, resource: strings.Replace(paidResource, testMchID, "1900000001", 1), want: ErrWrongMerchant},
		{name: "paid to another appid", event: EventTransactionSuccess, resource: strings.Replace(paidResource, testAppID, "wx0000000000000000", 1), want: ErrWrongMerchant},
		{name: "refund of another mchid", event: EventRefundSuccess, resource: strings.Replace(refundedResource, testMchID, "1900000001", 1), want: ErrWrongMerchant},
		{name: "success that is not paid", event: EventTransactionSuccess, resource: strings.Replace(paidResource, `"trade_state":"SUCCESS"`, `"trade_state":"NOTPAY"`, 1), want: ErrMalformed},
		{name: "refund status not the event's", event: EventRefundClosed, resource: refundedResource, want: ErrMalformed},
		{name: "resource not JSON", event: EventTransactionSuccess, resource: "paid", want: ErrMalformed},
		{name: "bad success time", event: EventTransactionSuccess, resource: strings.Replace(paidResource, "2026-01-01T10:20:30+08:00", "yesterday", 1), want: ErrMalformed},
		{name: "another APIv3 key", event: EventTransactionSuccess, resource: paidResource, edit: func(n *notifier) { n.apiKey = []byte("fedcba9876543210fedcba9876543210") }, want: ErrDecrypt},
		{name: "associated data changed", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) { r["associated_data"] = "refund" }, want: ErrDecrypt},
		{name: "nonce changed", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) { r["nonce"] = "0123456789ac" }, want: ErrDecrypt},
		{name: "short nonce", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) { r["nonce"] = "0123" }, want: ErrMalformed},
		{name: "other algorithm", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) { r["algorithm"] = "AEAD_SM4_GCM" }, want: ErrMalformed},
		{name: "ciphertext not base64", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) { r["ciphertext"] = "!!" }, want: ErrMalformed},
		{name: "ciphertext shorter than a tag", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) { r["ciphertext"] = "AAAA" }, want: ErrMalformed},
		{name: "ciphertext byte flipped", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) {
			b, _ := base64.StdEncoding.DecodeString(r["ciphertext"])
			b[3] ^= 1
			r["ciphertext"] = base64.StdEncoding.EncodeToString(b)
		}, want: ErrDecrypt},
		{name: "tag byte flipped", event: EventTransactionSuccess, resource: paidResource, editRes: func(r map[string]string) {
			b, _ := base64.StdEncoding.DecodeString(r["ciphertext"])
			b[len(b)-1] ^= 1
			r["ciphertext"] = base64.StdEncoding.EncodeToString(b)
		}, want: ErrDecrypt},
		{name: "stale", event: EventTransactionSuccess, resource: paidResource, edit: func(n *notifier) { n.at = n.at.Add(-5 * time.Minute) }, want: ErrStale},
		{name: "from the future", event: EventTransactionSuccess, resource: paidResource, edit: func(n *notifier) { n.at = n.at.Add(6 * time.Minute) }, want: ErrStale},
		{name: "4m59s old", event: EventTransactionSuccess, resource: paidResource, edit: func(n *notifier) { n.at = n.at.Add(-5*time.Minute + time.Second) }},
		{name: "wrong serial", event: EventTransactionSuccess, resource: paidResource, edit: func(n *notifier) { n.serial = "PUB_KEY_ID_0000" }, want: ErrUnknownSerial},
		{name: "forged", event: EventTransactionSuccess, resource: paidResource, edit: func(n *notifier) { n.key = other.wechat }, want: ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNotifier(k)
			if tc.edit != nil {
				tc.edit(&n)
			}
			originalType := "transaction"
			if strings.HasPrefix(tc.event, "REFUND.") {
				originalType = "refund"
			}
			res := n.seal(t, []byte(tc.resource), originalType)
			if tc.editRes != nil {
				tc.editRes(res)
			}
			body := n.body(t, tc.event, res)
			got, err := c.ParseNotificationBody(n.sign(t, body), body)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if got != nil {
					t.Fatalf("a refused notification is returned: %+v", got)
				}
				if Reason(err) == "other" {
					t.Errorf("Reason(%v) = other", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "EV-1" || got.EventType != tc.event {
				t.Errorf("notification %+v", got)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// TestNotificationEnvelope: a signed body that is no notification.
func TestNotificationEnvelope(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	c := testClient(t, k, "")
	n := newNotifier(k)
	res := n.seal(t, []byte(paidResource), "transaction")
	for name, body := range map[string]string{
		"not JSON":          "hello",
		"no id":             `{"event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource"}`,
		"plain resource":    `{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource_type":"plain"}`,
		"bad create time":   strings.Replace(string(n.body(t, EventTransactionSuccess, res)), "2026-01-01T10:20:31+08:00", "now", 1),
		"no resource":       `{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource"}`,
		"resource a string": `{"id":"EV-1","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","resource":"x"}`,
	} {
		if _, err := c.ParseNotificationBody(n.sign(t, []byte(body)), []byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Too large: refused before anything else, even signed.
	big := bytes.Repeat([]byte(" "), MaxNotificationBytes+1)
	r := httptest.NewRequest("POST", "/n", bytes.NewReader(big))
	r.Header = n.sign(t, big)
	if _, err := c.ParseNotification(r); !errors.Is(err, ErrMalformed) {
		t.Errorf("a body over the limit: %v", err)
	}
}

func TestWriteAnswers(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	WriteAck(w)
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Errorf("WriteAck: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	WriteFail(w, 400, `bad "signature"`)
	if w.Code != 400 || w.Body.String() != `{"code":"FAIL","message":"bad \"signature\""}` ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("WriteFail: %d %q %q", w.Code, w.Body, w.Header())
	}
}

// FuzzParseNotification: any signed body (the fuzzer's bytes, signed as
// WeChat Pay would) is read without a panic, and what is accepted is for
// this merchant.
func FuzzParseNotification(f *testing.F) {
	k := loadTestKeys(f)
	c := testClient(f, k, "")
	n := newNotifier(k)
	_, vector := vectorNotification(f)
	f.Add(vector, false)
	f.Add(n.body(f, EventRefundSuccess, n.seal(f, []byte(refundedResource), "refund")), false)
	f.Add([]byte(`{"id":"x","event_type":"REFUND.X","resource_type":"encrypt-resource","resource":{}}`), false)
	f.Add([]byte("{}"), true)
	f.Fuzz(func(t *testing.T, body []byte, unsigned bool) {
		h := n.sign(t, body)
		if unsigned {
			h.Del(HeaderSignature)
		}
		got, err := c.ParseNotificationBody(h, body)
		checkAccepted(t, got, err)
		if unsigned && err == nil {
			t.Fatal("an unsigned notification is accepted")
		}
	})
}

// FuzzNotificationResource: any plaintext resource, sealed and signed as
// WeChat Pay would, is read without a panic.
func FuzzNotificationResource(f *testing.F) {
	k := loadTestKeys(f)
	c := testClient(f, k, "")
	n := newNotifier(k)
	f.Add(EventTransactionSuccess, []byte(paidResource))
	f.Add(EventRefundSuccess, []byte(refundedResource))
	f.Add("X", []byte(`{"mchid":null}`))
	f.Fuzz(func(t *testing.T, event string, plain []byte) {
		body := n.body(t, event, n.seal(t, plain, "transaction"))
		got, err := c.ParseNotificationBody(n.sign(t, body), body)
		checkAccepted(t, got, err)
	})
}

func checkAccepted(t *testing.T, n *Notification, err error) {
	t.Helper()
	if err != nil {
		if n != nil {
			t.Fatalf("refused (%v) but returned", err)
		}
		return
	}
	switch {
	case n.Transaction != nil:
		if n.Transaction.MchID != testMchID || n.Transaction.AppID != testAppID || n.Refund != nil {
			t.Fatalf("accepted %+v", n)
		}
	case n.Refund != nil:
		if n.Refund.MchID != testMchID {
			t.Fatalf("accepted %+v", n)
		}
	case strings.HasPrefix(n.EventType, "TRANSACTION.") || strings.HasPrefix(n.EventType, "REFUND."):
		t.Fatalf("%s without its resource", n.EventType)
	}
}
