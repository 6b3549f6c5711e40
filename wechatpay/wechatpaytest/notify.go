package wechatpaytest

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"shopbot/wechatpay"
)

// Tamper is how a notification built by TransactionNotification or
// RefundNotification departs from a genuine one.
type Tamper int

const (
	Genuine       Tamper = iota // as WeChat Pay sends it
	Forged                      // signed with another key under the right serial: ErrBadSignature
	Stale                       // timestamped 6 minutes before the clock: ErrStale
	WrongSerial                 // Wechatpay-Serial of another key: ErrUnknownSerial
	BodyChanged                 // one byte of the body changed after signing: ErrBadSignature
	WrongAPIv3Key               // sealed with another APIv3 key: ErrDecrypt
	WrongMerchant               // the resource names another mchid (sealed and signed): ErrWrongMerchant
	WrongAppID                  // a payment resource names another appid: ErrWrongMerchant
	// WrongAmount: a payment's total and payer_total, or a refund's refund,
	// are one fen more than the order's — sealed and signed genuinely; only
	// the shop, comparing with its order, can catch it.
	WrongAmount
)

func (t Tamper) String() string {
	names := []string{"Genuine", "Forged", "Stale", "WrongSerial", "BodyChanged", "WrongAPIv3Key", "WrongMerchant", "WrongAppID", "WrongAmount"}
	if int(t) < len(names) {
		return names[t]
	}
	return "Tamper(" + strconv.Itoa(int(t)) + ")"
}

// TransactionNotification builds, without sending, the TRANSACTION.SUCCESS
// notification of a paid order, tampered as t says. The same order gives
// the same notification id (a redelivery). Deliver sends it.
func (s *Server) TransactionNotification(outTradeNo string, t Tamper) (*http.Request, error) {
	s.mu.Lock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNoOrder, outTradeNo)
	}
	if o.transactionID == "" {
		s.mu.Unlock()
		return nil, fmt.Errorf("wechatpaytest: notification of %s: not paid", outTradeNo)
	}
	res := s.transactionBody(o)
	url := o.params.NotifyURL
	s.mu.Unlock()
	res.TradeState = wechatpay.TradeSuccess // the event is the payment, whatever came after
	res.TradeStateDesc = stateDesc[wechatpay.TradeSuccess]
	switch t {
	case WrongMerchant:
		res.MchID = "1900000001"
	case WrongAppID:
		res.AppID = "wx0000000000000000"
	case WrongAmount:
		res.Amount.Total++
		res.Amount.PayerTotal++
	}
	return s.notification(url, "EV-"+res.TransactionID, wechatpay.EventTransactionSuccess, "支付成功", "transaction", res, t)
}

// refundNotice is the resource of a REFUND.* notification.
type refundNotice struct {
	MchID               string        `json:"mchid"`
	OutTradeNo          string        `json:"out_trade_no"`
	TransactionID       string        `json:"transaction_id"`
	OutRefundNo         string        `json:"out_refund_no"`
	RefundID            string        `json:"refund_id"`
	RefundStatus        string        `json:"refund_status"`
	SuccessTime         string        `json:"success_time,omitempty"`
	UserReceivedAccount string        `json:"user_received_account"`
	Amount              refundAmounts `json:"amount"`
}

// RefundNotification builds, without sending, the REFUND.* notification
// of a finished refund (its status names the event), tampered as t says.
func (s *Server) RefundNotification(outRefundNo string, t Tamper) (*http.Request, error) {
	if t == WrongAppID {
		return nil, errors.New("wechatpaytest: a refund notification carries no appid")
	}
	s.mu.Lock()
	f, ok := s.refunds[outRefundNo]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNoRefund, outRefundNo)
	}
	if f.status == wechatpay.RefundProcessing {
		s.mu.Unlock()
		return nil, fmt.Errorf("wechatpaytest: notification of refund %s: still PROCESSING", outRefundNo)
	}
	a := s.refundAnswer(f)
	url := f.params.NotifyURL
	if url == "" {
		url = s.refundURL
	}
	s.mu.Unlock()
	if url == "" {
		return nil, fmt.Errorf("wechatpaytest: refund %s: no notify_url and no Options.RefundNotifyURL", outRefundNo)
	}
	res := refundNotice{MchID: s.mchID, OutTradeNo: a.OutTradeNo, TransactionID: a.TransactionID,
		OutRefundNo: a.OutRefundNo, RefundID: a.RefundID, RefundStatus: a.Status, SuccessTime: a.SuccessTime,
		UserReceivedAccount: a.UserReceivedAccount, Amount: a.Amount}
	res.Amount.Currency = ""
	switch t {
	case WrongMerchant:
		res.MchID = "1900000001"
	case WrongAmount:
		res.Amount.Refund++
		res.Amount.PayerRefund++
	}
	summary := map[string]string{wechatpay.RefundSuccess: "退款成功", wechatpay.RefundAbnormal: "退款异常", wechatpay.RefundClosed: "退款关闭"}[a.Status]
	return s.notification(url, "EV-"+a.RefundID+"-"+a.Status, "REFUND."+a.Status, summary, "refund", res, t)
}

// notification seals resource, wraps and signs it, tampered as t says.
func (s *Server) notification(url, id, event, summary, originalType string, resource any, t Tamper) (*http.Request, error) {
	plain, err := json.Marshal(resource)
	if err != nil {
		return nil, err
	}
	key := s.apiV3Key
	if t == WrongAPIv3Key {
		key = []byte(strings.Repeat("k", 32))
	}
	nonce := randomHex(6) // 12 characters, as WeChat Pay's
	sealed, err := seal(key, []byte(nonce), plain, []byte(originalType))
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{
		"id": id, "create_time": wireTime(s.clock()), "resource_type": "encrypt-resource",
		"event_type": event, "summary": summary,
		"resource": map[string]string{
			"original_type": originalType, "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(sealed), "associated_data": originalType, "nonce": nonce,
		},
	})
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	at, signer, serial := s.clock(), s.wechatKey, s.publicKeyID
	switch t {
	case Stale:
		at = at.Add(-6 * time.Minute)
	case Forged:
		_, _, signer = keys()
	case WrongSerial:
		serial = "PUB_KEY_ID_0000000000000000000000000000000000"
	}
	s.signHeaders(h, signer, serial, at, body)
	if t == BodyChanged {
		i := bytes.Index(body, []byte(id)) + len(id) - 1
		body[i] ^= 0x01
	}
	r, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("wechatpaytest: notify_url %q: %w", url, err)
	}
	r.Header = h
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Mozilla/4.0")
	r.Header.Set("Request-ID", "fake-"+randomHex(8))
	return r, nil
}

// seal is AEAD_AES_256_GCM as WeChat Pay seals a resource: the ciphertext
// followed by the 16-byte tag.
func seal(key, nonce, plain, associatedData []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return gcm.Seal(nil, nonce, plain, associatedData), nil
}

// NotifyTransaction delivers the genuine TRANSACTION.SUCCESS of a paid
// order (again: WeChat Pay retries until answered 2xx), unless
// notifications are dropped. It returns the receiver's status.
func (s *Server) NotifyTransaction(outTradeNo string) (int, error) {
	r, err := s.TransactionNotification(outTradeNo, Genuine)
	if err != nil {
		return 0, err
	}
	return s.deliver(r, wechatpay.EventTransactionSuccess, outTradeNo, true)
}

// NotifyRefund delivers the genuine REFUND.* notification of a finished
// refund, unless notifications are dropped.
func (s *Server) NotifyRefund(outRefundNo string) (int, error) {
	r, err := s.RefundNotification(outRefundNo, Genuine)
	if err != nil {
		return 0, err
	}
	st, _ := s.Refund(outRefundNo)
	return s.deliver(r, "REFUND."+st.Status, outRefundNo, true)
}

// Deliver sends a notification built by TransactionNotification or
// RefundNotification (dropping does not apply) and returns the receiver's
// status.
func (s *Server) Deliver(r *http.Request) (int, error) {
	return s.deliver(r, "", "", false)
}

func (s *Server) deliver(r *http.Request, event, outNo string, droppable bool) (int, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, err
	}
	var env struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}
	json.Unmarshal(body, &env)
	if event == "" {
		event = env.EventType
	}
	d := Delivery{EventType: event, ID: env.ID, OutNo: outNo}
	s.mu.Lock()
	h, drop := s.notifyHandler, s.dropNotify && droppable
	s.mu.Unlock()
	if !drop {
		d.Status, d.Err = s.send(h, r, body)
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	return d.Status, d.Err
}

func (s *Server) send(h http.Handler, r *http.Request, body []byte) (int, error) {
	if h != nil {
		in := httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
		for k, v := range r.Header {
			in.Header[k] = v
		}
		in.RemoteAddr = "101.226.103.1:443" // a WeChat Pay callback address
		w := httptest.NewRecorder()
		h.ServeHTTP(w, in)
		return w.Code, nil
	}
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	resp, err := s.client.Do(out)
	if err != nil {
		return 0, fmt.Errorf("wechatpaytest: delivering to %s: %w", r.URL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// PayJSAPI is the buyer paying in WeChat's browser with the page's
// parameters: they are checked as WeChat does (appId, signType RSA, a
// timestamp within 5 minutes, paySign by the merchant's key over
// "appId\ntimeStamp\nnonceStr\npackage\n", a known prepay_id), then the
// order is paid as by Pay.
func (s *Server) PayJSAPI(p wechatpay.JSAPIPayParams, openID string) (int, error) {
	ts, err := strconv.ParseInt(p.TimeStamp, 10, 64)
	switch {
	case p.AppID != s.appID:
		return 0, errors.New("wechatpaytest: jsapi: appId is not the merchant's")
	case p.SignType != "RSA":
		return 0, errors.New("wechatpaytest: jsapi: signType is not RSA")
	case err != nil:
		return 0, errors.New("wechatpaytest: jsapi: timeStamp is not a number")
	case s.clock().Sub(time.Unix(ts, 0)).Abs() >= 5*time.Minute:
		return 0, errors.New("wechatpaytest: jsapi: timeStamp outside the 5-minute window")
	case p.NonceStr == "" || !strings.HasPrefix(p.Package, "prepay_id="):
		return 0, errors.New("wechatpaytest: jsapi: no nonceStr or package")
	}
	sig, err := base64.StdEncoding.DecodeString(p.PaySign)
	sum := sha256.Sum256([]byte(p.AppID + "\n" + p.TimeStamp + "\n" + p.NonceStr + "\n" + p.Package + "\n"))
	if err != nil || rsa.VerifyPKCS1v15(&s.merchant.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return 0, errors.New("wechatpaytest: jsapi: paySign does not verify")
	}
	no, ok := s.OrderByPrepayID(strings.TrimPrefix(p.Package, "prepay_id="))
	if !ok {
		return 0, fmt.Errorf("%w: prepay_id %s", ErrNoOrder, p.Package)
	}
	return s.Pay(no, openID)
}
