// Package wechatpaytest is a fake WeChat Pay API v3 for tests and
// benchmarks: an httptest.Server that checks every request the way WeChat
// Pay does (Authorization signature, mchid, merchant serial, 5-minute
// window) and signs every answer with its own "WeChat Pay public key", keeps
// transactions and refunds, lets a test play the buyer (Pay) and WeChat Pay
// (CompleteRefund), delivers notifications sealed with the APIv3 key, and
// injects failures.
//
// Its crypto is written apart from package wechatpay's (from the protocol,
// with the standard library), so the client is tested against a second
// reading of the protocol and not against itself.
//
// Nothing is sent unprompted: Pay, CompleteRefund, NotifyTransaction and
// NotifyRefund deliver a notification synchronously and return the status
// the receiver answered.
package wechatpaytest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/wechatpay"
)

// Options configure a Server; every field has a default.
type Options struct {
	MchID          string          // default "1900000109"
	AppID          string          // default "wxd930ea5d5a258f4f"
	APIv3Key       []byte          // 32 bytes; default random per server
	MerchantKey    *rsa.PrivateKey // the merchant's key pair; default one generated once per process
	MerchantSerial string          // the merchant certificate's serial; default a fixed fake one
	// Clock is the server's time, and the Config's: default time.Now.
	Clock func() time.Time
	// RefundImmediately makes refunds SUCCESS at once (no notification is
	// sent; NotifyRefund sends it); otherwise they are PROCESSING until
	// CompleteRefund.
	RefundImmediately bool
	// NotifyHandler receives the notifications in-process (the request's URL
	// is the notify_url; only its path matters to a mux). Nil: they are
	// POSTed to notify_url with NotifyClient. SetNotifyHandler changes it.
	NotifyHandler http.Handler
	NotifyClient  *http.Client // default a client with a 5 s timeout
	// RefundNotifyURL is where refund notifications go when the refund
	// request named none (WeChat Pay uses the merchant platform's setting).
	RefundNotifyURL string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	URL string // the base URL, for Config.BaseURL

	srv         *httptest.Server
	mux         *http.ServeMux
	mchID       string
	appID       string
	apiV3Key    []byte
	merchant    *rsa.PrivateKey
	serial      string
	clock       func() time.Time
	refundNow   bool
	refundURL   string
	client      *http.Client
	wechatKey   *rsa.PrivateKey
	publicKeyID string

	rejected atomic.Int64
	requests atomic.Int64
	seq      atomic.Int64

	mu            sync.Mutex
	orders        map[string]*order  // by out_trade_no
	refunds       map[string]*refund // by out_refund_no
	faults        map[Op][]Fault
	dropNotify    bool
	notifyHandler http.Handler
	deliveries    []Delivery
}

// Op names an endpoint, for Inject.
type Op string

// The endpoints.
const (
	OpPrepay      Op = "prepay" // jsapi and native
	OpQuery       Op = "query"
	OpClose       Op = "close"
	OpRefund      Op = "refund"
	OpQueryRefund Op = "query_refund"
)

// Fault is a one-time failure of an endpoint (Inject). By default the
// request is answered with Status and Code, signed, and not carried out.
type Fault struct {
	Status  int    // e.g. 500; default 500
	Code    string // default SYSTEM_ERROR
	Message string
	// After: the request is carried out, then its answer is replaced (the
	// caller cannot know it worked).
	After bool
	// Unsigned, BadSignature, Stale spoil the answer's signature headers
	// instead of (with Status 0) or beside an error answer.
	Unsigned, BadSignature, Stale bool
}

// Delivery is one notification the server delivered (or dropped).
type Delivery struct {
	EventType string
	ID        string // the notification id; the same event has the same id
	OutNo     string // out_trade_no or out_refund_no
	Status    int    // the receiver's answer; 0 when dropped or not delivered
	Err       error  // why it did not reach the receiver
}

// testKeys are generated once per process: RSA key generation is slow.
var testKeys struct {
	once                    sync.Once
	merchant, wechat, other *rsa.PrivateKey
}

func keys() (merchant, wechat, other *rsa.PrivateKey) {
	testKeys.once.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		testKeys.merchant, testKeys.wechat, testKeys.other = gen(), gen(), gen()
	})
	return testKeys.merchant, testKeys.wechat, testKeys.other
}

// New starts a server that closes when tb's test ends.
func New(tb testing.TB, o Options) *Server {
	tb.Helper()
	s, err := Start(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a server; Close stops it.
func Start(o Options) (*Server, error) {
	merchant, wechat, _ := keys()
	s := &Server{
		mchID: o.MchID, appID: o.AppID, apiV3Key: o.APIv3Key, merchant: o.MerchantKey,
		serial: o.MerchantSerial, clock: o.Clock, refundNow: o.RefundImmediately,
		refundURL: o.RefundNotifyURL, client: o.NotifyClient, notifyHandler: o.NotifyHandler,
		wechatKey: wechat, orders: map[string]*order{}, refunds: map[string]*refund{}, faults: map[Op][]Fault{},
	}
	if s.mchID == "" {
		s.mchID = "1900000109"
	}
	if s.appID == "" {
		s.appID = "wxd930ea5d5a258f4f"
	}
	if s.apiV3Key == nil {
		s.apiV3Key = []byte(randomHex(16))
	}
	if len(s.apiV3Key) != 32 {
		return nil, fmt.Errorf("wechatpaytest: APIv3Key has %d bytes, want 32", len(s.apiV3Key))
	}
	if s.merchant == nil {
		s.merchant = merchant
	}
	if s.serial == "" {
		s.serial = "3775B6A45ACD588826D15E583A95F5DD00000000"
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 5 * time.Second}
	}
	s.publicKeyID = "PUB_KEY_ID_fake" + randomHex(8)
	s.routes()
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Config is a client configuration for this server: its merchant, keys,
// BaseURL and clock.
func (s *Server) Config() wechatpay.Config {
	return wechatpay.Config{
		MchID: s.mchID, AppID: s.appID, SerialNo: s.serial,
		PrivateKey: s.merchant, APIv3Key: append([]byte(nil), s.apiV3Key...),
		PublicKey: &s.wechatKey.PublicKey, PublicKeyID: s.publicKeyID,
		BaseURL: s.URL, HTTPClient: s.srv.Client(), Clock: s.clock,
	}
}

// Client is a wechatpay.Client of Config.
func (s *Server) Client() *wechatpay.Client {
	c, err := wechatpay.New(s.Config())
	if err != nil {
		panic(err) // Config is valid by construction
	}
	return c
}

// MchID, AppID and PublicKeyID are the server's merchant and key id.
func (s *Server) MchID() string       { return s.mchID }
func (s *Server) AppID() string       { return s.appID }
func (s *Server) PublicKeyID() string { return s.publicKeyID }

// Rejected counts the requests answered 401 SIGN_ERROR: a test of a
// correct client asserts it is 0.
func (s *Server) Rejected() int { return int(s.rejected.Load()) }

// Requests counts every request received.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Inject queues a one-time fault of op: the next request of op fails so.
func (s *Server) Inject(op Op, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], f)
}

// DropNotifications: while on, notifications are recorded but not sent
// (WeChat Pay failing to reach the shop); the shop must query.
func (s *Server) DropNotifications(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNotify = on
}

// SetNotifyHandler delivers notifications to h in-process from now on
// (nil: over the network).
func (s *Server) SetNotifyHandler(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyHandler = h
}

// Deliveries lists the notifications delivered so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// sha256RSA signs message the way WeChat Pay does.
func sha256RSA(key *rsa.PrivateKey, message []byte) string {
	sum := sha256.Sum256(message)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// answer is what an endpoint returns: a status and a JSON body (nil: none).
type answer struct {
	status int
	body   any
}

func apiError(status int, code, message string) answer {
	return answer{status, map[string]string{"code": code, "message": message}}
}

// ServeHTTP checks the request's signature, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if reason := s.checkSignature(r, body); reason != "" {
		s.rejected.Add(1)
		// WeChat Pay does not sign the answer to a request it could not
		// authenticate.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"code": wechatpay.CodeSignError, "message": reason})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mux.ServeHTTP(w, r)
}

// checkSignature is WeChat Pay's check of a request: "" or why it fails.
func (s *Server) checkSignature(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	scheme, params, ok := strings.Cut(auth, " ")
	if !ok || scheme != "WECHATPAY2-SHA256-RSA2048" {
		return "missing or unknown Authorization scheme"
	}
	p := map[string]string{}
	for _, kv := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return "malformed Authorization parameter"
		}
		if _, dup := p[k]; dup {
			return "repeated Authorization parameter " + k
		}
		p[k] = v[1 : len(v)-1]
	}
	for _, k := range []string{"mchid", "nonce_str", "timestamp", "serial_no", "signature"} {
		if p[k] == "" {
			return "Authorization lacks " + k
		}
	}
	if p["mchid"] != s.mchID {
		return "mchid is not the merchant's"
	}
	if p["serial_no"] != s.serial {
		return "serial_no is not the merchant certificate's"
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		return "timestamp is not a number"
	}
	if d := s.clock().Sub(time.Unix(ts, 0)); d >= 5*time.Minute || d <= -5*time.Minute {
		return "timestamp outside the 5-minute window"
	}
	sig, err := base64.StdEncoding.DecodeString(p["signature"])
	if err != nil {
		return "signature is not base64"
	}
	msg := r.Method + "\n" + r.RequestURI + "\n" + p["timestamp"] + "\n" + p["nonce_str"] + "\n" + string(body) + "\n"
	sum := sha256.Sum256([]byte(msg))
	if rsa.VerifyPKCS1v15(&s.merchant.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return "signature does not verify"
	}
	return ""
}

// endpoint wraps an operation: its faults, and the signed answer.
func (s *Server) endpoint(op Op, fn func(r *http.Request, body []byte) answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var a answer
		f, faulty := s.takeFault(op)
		switch {
		case r.Header.Get("User-Agent") == "":
			a = apiError(400, wechatpay.CodeInvalidRequest, "User-Agent is required")
		case r.Header.Get("Wechatpay-Serial") != "" && r.Header.Get("Wechatpay-Serial") != s.publicKeyID:
			a = apiError(400, wechatpay.CodeParamError, "unknown Wechatpay-Serial")
		case len(body) > 0 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
			a = apiError(415, wechatpay.CodeInvalidRequest, "Content-Type must be application/json")
		case faulty && !f.After && f.Status != 0:
			a = apiError(f.Status, f.Code, f.Message)
		default:
			a = fn(r, body)
			if faulty && f.Status != 0 {
				a = apiError(f.Status, f.Code, f.Message)
			}
		}
		s.writeAnswer(w, a, f)
	}
}

func (s *Server) takeFault(op Op) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	s.faults[op] = q[1:]
	if f.Status == 0 && !f.Unsigned && !f.BadSignature && !f.Stale {
		f.Status = 500
	}
	if f.Status != 0 && f.Code == "" {
		f.Code = wechatpay.CodeSystemError
	}
	if f.Status != 0 && f.Message == "" {
		f.Message = "injected " + f.Code
	}
	return f, true
}

// writeAnswer signs and writes a: Wechatpay-Serial, -Timestamp, -Nonce,
// -Signature over "TIMESTAMP\nNONCE\nBODY\n", spoiled as f says.
func (s *Server) writeAnswer(w http.ResponseWriter, a answer, f Fault) {
	var body []byte
	if a.body != nil {
		body, _ = json.Marshal(a.body)
	}
	at := s.clock()
	if f.Stale {
		at = at.Add(-6 * time.Minute)
	}
	key := s.wechatKey
	if f.BadSignature {
		_, _, key = keys()
	}
	if !f.Unsigned {
		s.signHeaders(w.Header(), key, s.publicKeyID, at, body)
	}
	w.Header().Set("Request-ID", "fake-"+randomHex(8))
	if body != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	w.Write(body)
}

func (s *Server) signHeaders(h http.Header, key *rsa.PrivateKey, serial string, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := randomHex(16)
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sha256RSA(key, []byte(ts+"\n"+nonce+"\n"+string(body)+"\n")))
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v3/pay/transactions/jsapi", s.endpoint(OpPrepay, s.prepay(tradeJSAPI)))
	s.mux.HandleFunc("POST /v3/pay/transactions/native", s.endpoint(OpPrepay, s.prepay(tradeNative)))
	s.mux.HandleFunc("GET /v3/pay/transactions/out-trade-no/{no}", s.endpoint(OpQuery, s.query))
	s.mux.HandleFunc("POST /v3/pay/transactions/out-trade-no/{no}/close", s.endpoint(OpClose, s.closeOrder))
	s.mux.HandleFunc("POST /v3/refund/domestic/refunds", s.endpoint(OpRefund, s.refund))
	s.mux.HandleFunc("GET /v3/refund/domestic/refunds/{no}", s.endpoint(OpQueryRefund, s.queryRefund))
	s.mux.HandleFunc("/", s.endpoint("", func(*http.Request, []byte) answer {
		return apiError(404, wechatpay.CodeNotFound, "no such endpoint")
	}))
}

// wireTime is how WeChat Pay writes a time.
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04:05-07:00")
}
