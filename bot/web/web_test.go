package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/internal/testenv"
	"shopbot/store/sqlstore"
	"shopbot/templates"
)

var texts = templates.MustLoad()

// countRows counts the rows of a table.
func countRows(t *testing.T, st *sqlstore.Store, table string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// brokenSessions fails every load while broken is set.
type brokenSessions struct {
	chatstate.SessionStore
	broken atomic.Bool
}

func (b *brokenSessions) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	if b.broken.Load() {
		// As a store's errors do, it names the session key (and so the user).
		return nil, 0, fmt.Errorf("sqlite: load session %q: disk I/O error (SQLITE_IOERR)", key)
	}
	return b.SessionStore.LoadSession(ctx, key)
}

type server struct {
	*httptest.Server
	store    *sqlstore.Store
	sessions *brokenSessions
	renders  atomic.Int64
	clock    *testenv.Clock
	router   *bot.Router
	logs     *syncBuffer
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newServer serves the web chat on a fresh demo-seeded SQLite store, with
// the history, visitors and inbox of that store; mods change the options.
func newServer(t *testing.T, mods ...func(*server, *web.Options)) *server {
	t.Helper()
	return newServerWith(t, nil, mods...)
}

// newServerWith is newServer with the router's options changed by ro.
func newServerWith(t *testing.T, ro func(*bot.Options), mods ...func(*server, *web.Options)) *server {
	t.Helper()
	st := testenv.DemoSQLite(t)
	s := &server{store: st, sessions: &brokenSessions{SessionStore: st},
		clock: testenv.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := bot.Options{
		Shop:     commerce.NewShop(commerce.ShopOptions{Store: st}),
		Sessions: s.sessions, Dedupe: st, Texts: texts, Audience: st, Broadcasts: st, Log: log,
	}
	if ro != nil {
		ro(&opts)
	}
	s.router = bot.NewRouter(opts)
	o := web.Options{Router: s.router, Log: log, Image: func(key string) ([]byte, error) {
		s.renders.Add(1)
		return demo.RenderImage(key, 128)
	}, Inbox: st, History: st, Visitors: st, Now: s.clock.Now}
	for _, m := range mods {
		m(s, &o)
	}
	h := web.New(o)
	mux := http.NewServeMux()
	h.Register(mux)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *server) do(t *testing.T, method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	return do(t, s.Client(), method, s.URL+path, contentType, body, nil)
}

func do(t *testing.T, hc *http.Client, method, url, contentType string, body io.Reader, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// client is one browser: its own cookie jar, redirects not followed.
type client struct {
	s      *server
	t      *testing.T
	hc     *http.Client
	header http.Header // sent with every request
}

func (s *server) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{s: s, t: t, hc: hc, header: http.Header{}}
}

func (c *client) do(method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	c.t.Helper()
	return do(c.t, c.hc, method, c.s.URL+path, contentType, body, c.header)
}

// cookie is the client's cookie named name, or nil.
func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.s.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// identity is the web identity the client's cookie names ("" without one).
func (c *client) identity() string {
	ck := c.cookie(web.IdentityCookie)
	if ck == nil {
		return ""
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 4 {
		c.t.Fatalf("identity cookie %q", ck.Value)
	}
	return parts[2]
}

// chat posts a request and decodes a 200 answer.
func (c *client) chat(req map[string]any) (wireResponse, []byte) {
	c.t.Helper()
	return c.chatStatus(req, http.StatusOK)
}

// chatStatus posts a request and decodes its answer, which must have status.
func (c *client) chatStatus(req map[string]any, status int) (wireResponse, []byte) {
	c.t.Helper()
	body, _ := json.Marshal(req)
	resp, b := c.do(http.MethodPost, "/api/chat", "application/json", bytes.NewReader(body))
	if resp.StatusCode != status {
		c.t.Fatalf("POST /api/chat %s: %s %s; want %d", body, resp.Status, b, status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("Content-Type %q", ct)
	}
	var out wireResponse
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		c.t.Fatalf("response %s: %v", b, err)
	}
	return out, b
}

type wireReply struct {
	Text    string `json:"text"`
	Buttons [][]struct {
		Text   string `json:"text"`
		Action string `json:"action"`
	} `json:"buttons"`
	Image string `json:"image"`
	Edit  bool   `json:"edit"`
}

type wireResponse struct {
	Replies   []wireReply `json:"replies"`
	Duplicate bool        `json:"duplicate"`
}

func TestPage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	resp, body := s.do(t, http.MethodGet, "/", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
	if !bytes.Contains(bytes.ToLower(body), []byte("<!doctype html>")) || !bytes.Contains(body, []byte("/api/chat")) {
		t.Errorf("page does not look like the chat page: %.200s", body)
	}
	if resp, _ := s.do(t, http.MethodGet, "/nope", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: %s; want 404", resp.Status)
	}
	if resp, _ := s.do(t, http.MethodGet, "/api/chat", "", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/chat: %s; want 405", resp.Status)
	}
}

func TestChatHappyPath(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client(t)
	out, raw := c.chat(map[string]any{"user": "browser_0001", "text": "/start", "lang": "en-US", "name": "Ann", "id": "m1"})

	// The wire shape: {"replies":[{"text","buttons":[[{"text","action"}]]}]}.
	var shape map[string]any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	replies, ok := shape["replies"].([]any)
	if !ok || len(replies) == 0 {
		t.Fatalf("replies missing: %s", raw)
	}
	first := replies[0].(map[string]any)
	if _, ok := first["text"].(string); !ok {
		t.Errorf("reply text missing: %s", raw)
	}
	rows, ok := first["buttons"].([]any)
	if !ok || len(rows) == 0 {
		t.Fatalf("buttons missing: %s", raw)
	}
	btn := rows[0].([]any)[0].(map[string]any)
	if _, ok := btn["text"].(string); !ok {
		t.Errorf("button text missing: %s", raw)
	}
	if _, ok := btn["action"].(string); !ok {
		t.Errorf("button action missing: %s", raw)
	}
	if _, dup := shape["duplicate"]; dup {
		t.Errorf("a first message is marked duplicate: %s", raw)
	}

	if want := texts.Text("en", "welcome", map[string]any{"Name": "Ann"}); out.Replies[0].Text != want {
		t.Errorf("reply %q; want %q", out.Replies[0].Text, want)
	}

	// A product card carries its picture, which the server renders.
	products, err := s.store.Products(t.Context(), commerce.ProductFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, p := range products {
		if p.SKU == "COS-001" {
			id = p.ID
		}
	}
	out, _ = c.chat(map[string]any{"user": "browser_0001", "action": fmt.Sprintf("p:%d", id), "id": "m2"})
	if out.Replies[0].Image != "/img/demo:COS-001.png" {
		t.Fatalf("image %q", out.Replies[0].Image)
	}
	resp, png := s.do(t, http.MethodGet, out.Replies[0].Image, "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("GET %s: %s %q %.8q", out.Replies[0].Image, resp.Status, resp.Header.Get("Content-Type"), png)
	}

	// Pressing its add button puts it in the cart.
	add := ""
	for _, row := range out.Replies[0].Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Action, "add:") {
				add = b.Action
			}
		}
	}
	out, _ = c.chat(map[string]any{"user": "browser_0001", "action": add})
	if !strings.HasPrefix(out.Replies[0].Text, "Added 1 × Hyaluronic acid serum") {
		t.Errorf("add reply %q", out.Replies[0].Text)
	}

	// Without a Content-Type, and with a charset, JSON is still accepted.
	for _, ct := range []string{"", "application/json; charset=utf-8"} {
		resp, b := s.do(t, http.MethodPost, "/api/chat", ct, strings.NewReader(" {\"user\":\"browser_0001\",\"text\":\"/help\"}\r\n"))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("Content-Type %q: %s %s", ct, resp.Status, b)
		}
	}
}

func TestChatDuplicateID(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c1, c2 := s.client(t), s.client(t)
	req := map[string]any{"user": "browser_dup1", "text": "/start", "lang": "ru", "id": "same"}
	out, _ := c1.chat(req)
	if out.Duplicate || len(out.Replies) == 0 {
		t.Fatalf("first: %+v", out)
	}
	out, raw := c1.chat(req)
	if !out.Duplicate || len(out.Replies) != 0 {
		t.Fatalf("second: %s; want duplicate with no replies", raw)
	}
	if !bytes.Contains(raw, []byte(`"replies":[]`)) || !bytes.Contains(raw, []byte(`"duplicate":true`)) {
		t.Errorf("second: %s", raw)
	}
	// Ids are per browser: another browser's "same" is a new message, even
	// with the first one's "user" in its body.
	out, _ = c2.chat(map[string]any{"user": "browser_dup1", "text": "/start", "id": "same"})
	if out.Duplicate {
		t.Error("another user's message id counted as a duplicate")
	}
	// Without an id nothing is de-duplicated.
	for range 2 {
		if out, _ := c1.chat(map[string]any{"user": "browser_dup1", "text": "/help"}); out.Duplicate {
			t.Error("message without id counted as a duplicate")
		}
	}
}

// A message that fails on our side (the session store down) is answered
// 503 with the localized "try again" as its reply, nothing of the error;
// the log tells what failed without the user's id. The same message id is
// handled once the store is back.
func TestChatStoreDown(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client(t)
	s.sessions.broken.Store(true)
	req := map[string]any{"text": "/start", "lang": "ru", "id": "x1"}
	out, raw := c.chatStatus(req, http.StatusServiceUnavailable)
	if len(out.Replies) != 1 || out.Replies[0].Text != texts.Text("ru", "error_internal", nil) {
		t.Fatalf("store down: %s", raw)
	}
	if bytes.Contains(bytes.ToLower(raw), []byte("sqlite")) {
		t.Errorf("internal error leaked: %s", raw)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "web chat message failed") || !strings.Contains(logs, "SQLITE_IOERR") {
		t.Fatalf("the failure is not logged: %s", logs)
	}
	if id := c.identity(); strings.Contains(logs, id) {
		t.Errorf("the log names the web identity %s: %s", id, logs)
	}
	// The same message id is processed once the store is back.
	s.sessions.broken.Store(false)
	out, raw = c.chat(req)
	if out.Duplicate || out.Replies[0].Text != texts.Text("ru", "welcome", map[string]any{"Name": ""}) {
		t.Fatalf("after recovery: %s", raw)
	}
}

// Messages over a browser's limit are answered 429: the first of a flood
// with the localized "slow down", the rest with no replies; another
// browser is not held back.
func TestChatMessageLimit(t *testing.T) {
	t.Parallel()
	s := newServerWith(t, func(o *bot.Options) { o.Limiter = chatstate.NewLocalLimiter(0.001, 2, nil) })
	c := s.client(t)
	for i := range 2 {
		c.chat(map[string]any{"text": "/start", "lang": "en", "id": fmt.Sprint("f", i)})
	}
	out, raw := c.chatStatus(map[string]any{"text": "/start", "lang": "en", "id": "f2"}, http.StatusTooManyRequests)
	if len(out.Replies) != 1 || out.Replies[0].Text != texts.Text("en", "err_slow_down", nil) {
		t.Fatalf("first message over the limit: %s", raw)
	}
	for i := 3; i < 6; i++ {
		out, raw = c.chatStatus(map[string]any{"text": "/start", "lang": "en", "id": fmt.Sprint("f", i)}, http.StatusTooManyRequests)
		if len(out.Replies) != 0 {
			t.Fatalf("message %d of the flood: %s; want no replies", i, raw)
		}
	}
	s.client(t).chat(map[string]any{"text": "/start", "lang": "en"})
}

func TestChatRejects(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const user = "browser_rej1"
	big := `{"user":"` + user + `","text":"` + strings.Repeat("a", web.MaxBody) + `"}`
	cases := []struct {
		name, contentType, body string
		status                  int
	}{
		{"malformed JSON", "application/json", `{"user":`, http.StatusBadRequest},
		{"not an object", "application/json", `["user"]`, http.StatusBadRequest},
		{"empty body", "application/json", ``, http.StatusBadRequest},
		{"null", "application/json", `null`, http.StatusBadRequest},
		{"two objects", "application/json", `{"user":"` + user + `","text":"a"}{"user":"` + user + `","text":"b"}`, http.StatusBadRequest},
		{"trailing garbage", "application/json", `{"user":"` + user + `","text":"a"} x`, http.StatusBadRequest},
		{"trailing bracket", "application/json", `{"user":"` + user + `","text":"a"}]`, http.StatusBadRequest},
		{"trailing brace", "application/json", `{"user":"` + user + `","text":"a"}}`, http.StatusBadRequest},
		{"body over 64 KiB", "application/json", big, http.StatusRequestEntityTooLarge},
		{"padding over 64 KiB", "application/json", `{"user":"` + user + `","text":"a"}` + strings.Repeat(" ", web.MaxBody), http.StatusRequestEntityTooLarge},
		{"text and action", "application/json", `{"user":"` + user + `","text":"a","action":"cats"}`, http.StatusBadRequest},
		{"neither text nor action", "application/json", `{"user":"` + user + `"}`, http.StatusBadRequest},
		{"user too long", "application/json", `{"user":"` + strings.Repeat("a", 65) + `","text":"a"}`, http.StatusBadRequest},
		{"user a number", "application/json", `{"user":12345678,"text":"a"}`, http.StatusBadRequest},
		{"unknown field", "application/json", `{"user":"` + user + `","text":"a","admin":true}`, http.StatusBadRequest},
		{"bad id", "application/json", `{"user":"` + user + `","text":"a","id":"a b"}`, http.StatusBadRequest},
		{"id too long", "application/json", `{"user":"` + user + `","text":"a","id":"` + strings.Repeat("1", 65) + `"}`, http.StatusBadRequest},
		{"text over 4096 bytes", "application/json", `{"user":"` + user + `","text":"` + strings.Repeat("я", 2049) + `"}`, http.StatusRequestEntityTooLarge},
		{"action over 64 bytes", "application/json", `{"user":"` + user + `","action":"` + strings.Repeat("p", 65) + `"}`, http.StatusBadRequest},
		{"name too long", "application/json", `{"user":"` + user + `","text":"a","name":"` + strings.Repeat("n", 65) + `"}`, http.StatusBadRequest},
		{"lang too long", "application/json", `{"user":"` + user + `","text":"a","lang":"` + strings.Repeat("l", 65) + `"}`, http.StatusBadRequest},
		{"wrong Content-Type", "text/plain", `{"user":"` + user + `","text":"a"}`, http.StatusUnsupportedMediaType},
		{"form Content-Type", "application/x-www-form-urlencoded", `user=` + user + `&text=a`, http.StatusUnsupportedMediaType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			resp, b := s.do(t, http.MethodPost, "/api/chat", c.contentType, strings.NewReader(c.body))
			if resp.StatusCode != c.status {
				t.Fatalf("%s: %s %s; want %d", c.name, resp.Status, b, c.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var out map[string]any
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("error body %s: %v", b, err)
			}
			msg, _ := out["error"].(string)
			if msg == "" || len(out) != 1 {
				t.Errorf("error body %s; want {\"error\": …}", b)
			}
		})
	}
	// Nothing rejected reached the router, nor got an identity.
	for _, table := range []string{"sessions", "web_identities", "chat_users", "web_history"} {
		if n := countRows(t, s.store, table); n != 0 {
			t.Errorf("a rejected request left %d rows in %s", n, table)
		}
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var first []byte
	for i := range 2 {
		resp, b := s.do(t, http.MethodGet, "/img/demo:SNK-001.png", "", nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("GET image: %s %q", resp.Status, resp.Header.Get("Content-Type"))
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("not a PNG: %.8q", b)
		}
		if resp.Header.Get("Cache-Control") == "" {
			t.Error("no Cache-Control")
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Error("the same image differs between requests")
		}
	}
	if n := s.renders.Load(); n != 1 {
		t.Errorf("rendered %d times; want 1 (cached)", n)
	}
	for _, path := range []string{
		"/img/demo:NOPE-999.png", "/img/demo:SNK-001.jpg", "/img/demo:SNK-001", "/img/SNK-001.png",
		"/img/.png", "/img/" + strings.Repeat("a", 200) + ".png", "/img/demo:SNK-001.png/x",
	} {
		if resp, _ := s.do(t, http.MethodGet, path, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s; want 404", path, resp.Status)
		}
	}

	// Without an image renderer nothing is served.
	mux := http.NewServeMux()
	web.New(web.Options{}).Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/img/demo:SNK-001.png", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("no renderer: %d; want 404", rec.Code)
	}
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func FuzzParseChatRequest(f *testing.F) {
	for _, seed := range []string{
		`{"user":"browser_0001","text":"/start"}`,
		`{"user":"browser_0001","action":"p:1","lang":"en","id":"m-1","name":"Ann"}`,
		`{"user":"browser_0001","text":"a","action":"b"}`,
		`{"user":"browser_0001"}`,
		`{"user":"short","text":"a"}`,
		`{"text":"no user"}`,
		`{"user":"browser_0001","text":"a"}]`,
		`{"user":"browser_0001","text":"a"} {}`,
		`{"user":"browser_0001","text":"a","x":1}`,
		`{"USER":"browser_0001","Text":"a"}`,
		`{"user":"browser_0001","text":"\ud800\udc00\u0000"}`,
		`{"user":"browser_0001","text":"` + strings.Repeat("\xff", 1500) + `"}`,
		`null`, `[]`, `"x"`, ``, `{`, `{"user":null,"text":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, status, msg := web.ParseChatRequest(http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(body)), web.MaxBody))
		if status != 0 {
			if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d for %q", status, body)
			}
			if msg == "" || !utf8.ValidString(msg) {
				t.Fatalf("status %d with message %q", status, msg)
			}
			return
		}
		if msg != "" {
			t.Fatalf("accepted with message %q", msg)
		}
		switch {
		case len(req.User) > 64:
			t.Fatalf("accepted user %q", req.User)
		case req.ID != "" && !idRe.MatchString(req.ID):
			t.Fatalf("accepted id %q", req.ID)
		case (req.Text == "") == (req.Action == ""):
			t.Fatalf("accepted text %q with action %q", req.Text, req.Action)
		case len(req.Text) > 4096:
			t.Fatalf("accepted text of %d bytes", len(req.Text))
		case len(req.Action) > bot.MaxActionLen:
			t.Fatalf("accepted action of %d bytes", len(req.Action))
		case len(req.Name) > 64 || len(req.Lang) > 64:
			t.Fatalf("accepted name %q / lang %q", req.Name, req.Lang)
		case len(body) > web.MaxBody:
			t.Fatalf("accepted a body of %d bytes", len(body))
		}
		// The body was exactly one JSON object.
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", body, err)
		}
		// What was accepted survives a round trip unchanged.
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		req2, status, msg := web.ParseChatRequest(bytes.NewReader(again))
		if status != 0 || req2 != req {
			t.Fatalf("round trip of %q: %+v, %d %q; want %+v", again, req2, status, msg, req)
		}
	})
}

// TestUploadedImages: a seller's picture comes from the Upload function on
// every request, with its type and cache headers; unknown, malformed and
// failing keys are not served.
func TestUploadedImages(t *testing.T) {
	t.Parallel()
	const key = "up-0123456789abcdef0123456789abcdef.jpg"
	var calls atomic.Int64
	h := web.New(web.Options{Upload: func(_ context.Context, file string) ([]byte, string, error) {
		calls.Add(1)
		switch file {
		case key:
			return []byte("\xff\xd8jpeg"), "image/jpeg", nil
		case "up-ffffffffffffffffffffffffffffffff.png":
			return nil, "", errors.New("database down")
		}
		return nil, "", commerce.ErrNotFound
	}})
	mux := http.NewServeMux()
	h.Register(mux)
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if len(hdr) == 2 {
			req.Header.Set(hdr[0], hdr[1])
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	rec := get("/img/" + key)
	if rec.Code != 200 || rec.Body.String() != "\xff\xd8jpeg" || rec.Header().Get("Content-Type") != "image/jpeg" ||
		rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	if rec := get("/img/"+key, "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", rec.Code)
	}
	before := calls.Load()
	for _, path := range []string{"/img/up-00000000000000000000000000000000.jpg", "/img/up-0123.jpg", "/img/up-0123456789abcdef0123456789abcdef.gif",
		"/img/up-0123456789ABCDEF0123456789ABCDEF.jpg"} {
		if rec := get(path); rec.Code != http.StatusNotFound || rec.Header().Get("Cache-Control") != "" {
			t.Errorf("GET %s: %d %v; want 404 without caching", path, rec.Code, rec.Header())
		}
	}
	if calls.Load() != before+1 {
		t.Errorf("malformed keys reached the database: %d calls", calls.Load()-before)
	}
	if rec := get("/img/up-ffffffffffffffffffffffffffffffff.png"); rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "database") {
		t.Errorf("failing store: %d %q", rec.Code, rec.Body.String())
	}
	// Without Upload nothing of the kind is served.
	mux2 := http.NewServeMux()
	web.New(web.Options{}).Register(mux2)
	rec = httptest.NewRecorder()
	mux2.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/img/"+key, nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("without Upload: %d", rec.Code)
	}
}
