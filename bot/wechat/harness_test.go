package wechat_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/wechat"
	"shopbot/bot/wechat/wechattest"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
	"shopbot/templates"
)

// The published example of WeChat's message encryption (the same values
// appear in Tencent's WXBizMsgCrypt samples for every language).
const (
	appID     = "wx5823bf96d3bd56c7"
	token     = "QDG6eK"
	aesKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	secret    = "app-secret-must-never-show"
	publicURL = "https://shop.example.com"
	ghID      = "gh_3f1e2d9c8b7a"
)

var texts = templates.MustLoad()

// counter collects OnEvent names.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(name string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[name]++
	c.mu.Unlock()
}

func (c *counter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// slowSessions delays every session load, to make the router overrun the
// reply budget.
type slowSessions struct {
	chatstate.SessionStore
	delay atomic.Int64 // nanoseconds
}

func (s *slowSessions) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	if d := time.Duration(s.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	return s.SessionStore.LoadSession(ctx, key)
}

// syncBuffer is a log sink safe for the adapter's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is an Adapter with a real Router on a demo-seeded SQLite store,
// a fake WeChat API and a fake clock, plus a WeChat-server side: it signs,
// encrypts and posts callbacks and opens the replies.
type harness struct {
	t      testing.TB
	a      *wechat.Adapter
	api    *wechattest.FakeAPI
	mux    *http.ServeMux
	clock  *testenv.Clock
	ev     *counter
	routed atomic.Int64 // messages the router handled (not duplicates)
	placed atomic.Int64
	store  *sqlstore.Store
	shop   *commerce.Shop
	slow   *slowSessions
	logs   *syncBuffer
	msgID  atomic.Int64
	opts   wechat.Options

	locMu     sync.Mutex
	locations []string
}

func newHarness(t testing.TB, mods ...func(*wechat.Options)) *harness {
	t.Helper()
	return newRouterHarness(t, nil, mods...)
}

// newRouterHarness is newHarness with the router's options changed by
// routerMod (the store is open by then).
func newRouterHarness(t testing.TB, routerMod func(*harness, *bot.Options), mods ...func(*wechat.Options)) *harness {
	t.Helper()
	st := testenv.DemoSQLite(t)
	var err error
	h := &harness{t: t, clock: testenv.NewClock(time.Date(2030, 5, 1, 10, 0, 0, 0, time.UTC)), ev: &counter{},
		store: st, logs: &syncBuffer{}}
	h.msgID.Store(7000000000000000000)
	h.shop = commerce.NewShop(commerce.ShopOptions{Store: st})
	h.slow = &slowSessions{SessionStore: st}
	ro := bot.Options{
		Shop: h.shop, Sessions: h.slow, Dedupe: st, Texts: texts,
		Log: slog.New(slog.NewTextHandler(h.logs, nil)),
		Events: func(e bot.Event) {
			switch e {
			case bot.EventMessage:
				h.routed.Add(1)
			case bot.EventOrderPlaced:
				h.placed.Add(1)
			}
		},
	}
	if routerMod != nil {
		routerMod(h, &ro)
	}
	router := bot.NewRouter(ro)
	h.api = wechattest.NewFakeAPI(appID, secret)
	t.Cleanup(h.api.Close)
	h.opts = wechat.Options{
		AppID: appID, AppSecret: secret, Token: token, AESKey: aesKey,
		APIBase: h.api.URL(), QRImageBase: h.api.URL(), PublicURL: publicURL,
		Router: router, Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock: h.clock.Now, OnEvent: h.ev.add, HTTPClient: loopbackClient(),
		Templates: map[string]string{"order_arrived": "TPL-ARRIVED"},
		OnLocation: func(_ context.Context, openID string, lat, lng float64) {
			h.locMu.Lock()
			h.locations = append(h.locations, fmt.Sprintf("%s %.4f %.4f", openID, lat, lng))
			h.locMu.Unlock()
		},
	}
	for _, m := range mods {
		m(&h.opts)
	}
	h.a, err = wechat.New(h.opts)
	if err != nil {
		t.Fatal(err)
	}
	h.mux = http.NewServeMux()
	h.a.Register(h.mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.a.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h
}

// loopbackClient dials only loopback IP addresses: the fakes are there,
// and a fuzzed image message must not send the adapter to any other host
// (nor make it resolve a name).
func loopbackClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	dial := t.DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("test client: refusing to dial %q", addr)
		}
		return dial(ctx, network, addr)
	}
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// wait lets background deliveries finish.
func (h *harness) wait() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.a.Shutdown(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// client plays WeChat's servers (from the specification, not the library).
var client = wechattest.Client{AppID: appID, Token: token, AESKey: aesKey, GhID: ghID}

func sign(parts ...string) string { return wechattest.Sign(parts...) }

func wxEncrypt(msg, app string) string { return client.EncryptFor(msg, app, 0) }

func wxEncryptRaw(msg, app string, forcePad byte) string {
	return client.EncryptFor(msg, app, forcePad)
}

func wxEncryptPlain(plain []byte, forcePad byte) string { return client.EncryptPlain(plain, forcePad) }

func wxDecrypt(enc string) (string, error) { return client.Decrypt(enc) }

func envelopeXML(enc string) []byte { return client.Envelope(enc) }

// query is a signed safe-mode callback query for enc at the clock's time.
func (h *harness) query(enc string) url.Values {
	return h.queryAt(enc, h.clock.Now())
}

// queryAt is query with the timestamp of at.
func (h *harness) queryAt(enc string, at time.Time) url.Values { return client.Query(enc, at) }

func (h *harness) do(method string, q url.Values, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/wechat?"+q.Encode(), bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	return rec
}

// post sends inner XML as WeChat does in safe mode.
func (h *harness) post(inner string) *httptest.ResponseRecorder {
	enc := wxEncrypt(inner, appID)
	return h.do(http.MethodPost, h.query(enc), envelopeXML(enc))
}

type reply = wechattest.Reply

// open checks a callback answer: 200, then either "success" (a zero reply)
// or an encrypted reply with a valid msg_signature, which it decrypts.
func (h *harness) open(rec *httptest.ResponseRecorder) reply {
	h.t.Helper()
	if rec.Code != http.StatusOK {
		h.t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	r, err := client.Open(rec.Body.Bytes())
	if err != nil {
		h.t.Fatalf("%v: %s", err, rec.Body)
	}
	return r
}

func textXML(from, content string, msgID int64, created int64) string {
	return client.TextXML(from, content, msgID, created)
}

func eventXML(from, event, key string, created int64) string {
	return client.EventXML(from, event, key, created)
}

// send posts a text message with a fresh MsgId and returns the passive
// reply's content ("" for "success").
func (h *harness) send(from, text string) string {
	h.t.Helper()
	h.clock.Advance(time.Second)
	r := h.open(h.post(textXML(from, text, h.msgID.Add(1), h.clock.Now().Unix())))
	if r.Content != "" && (r.ToUserName != from || r.FromUserName != ghID || r.MsgType != "text") {
		h.t.Fatalf("reply addressed %q→%q type %q", r.FromUserName, r.ToUserName, r.MsgType)
	}
	return r.Content
}

// event posts an event and returns the passive reply's content.
func (h *harness) event(from, event, key string) string {
	h.t.Helper()
	h.clock.Advance(time.Second)
	return h.open(h.post(eventXML(from, event, key, h.clock.Now().Unix()))).Content
}

// options parses the "[n] label" cells of a rendered reply, in order.
func options(text string) (labels []string) {
	for _, line := range strings.Split(text, "\n") {
		for _, cell := range strings.Split(line, "   ") {
			cell = strings.TrimSpace(cell)
			if !strings.HasPrefix(cell, "[") {
				continue
			}
			num, label, ok := strings.Cut(cell[1:], "] ")
			if n, err := strconv.Atoi(num); ok && err == nil && n == len(labels)+1 {
				labels = append(labels, label)
			}
		}
	}
	return labels
}

// pick returns the number of the option whose label starts with prefix.
func (h *harness) pick(text, prefix string) string {
	h.t.Helper()
	for i, l := range options(text) {
		if strings.HasPrefix(l, prefix) {
			return strconv.Itoa(i + 1)
		}
	}
	h.t.Fatalf("no option %q in:\n%s", prefix, text)
	return ""
}

func zh(key string, data any) string { return texts.Text("zh-CN", key, data) }

func commerceFilterAll() commerce.ProductFilter {
	return commerce.ProductFilter{Limit: 1000, WithHidden: true}
}

func productBySKU(t testing.TB, ps []commerce.Product, sku string) commerce.Product {
	t.Helper()
	for _, p := range ps {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("no product %s", sku)
	return commerce.Product{}
}
