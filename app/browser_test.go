package app

// The web chat page (GET /) in a real browser: Debian's chromium, driven
// with chromedp, on the real App's handler — its page, script, cookie and
// JSON API — over a demo SQLite shop and, with DATABASE_URL and REDIS_URL,
// Postgres and Redis. The page marks its conversation aria-busy while it
// loads or waits for an answer; the tests wait for that and for what they
// expect to see, and their time limit only guards against a hang. Without
// chromium they are skipped (they fail under .ci/run, which installs it).
//
//	go test ./app -run Browser -args -screens=DIR   also copies the screenshots into DIR

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/qrscan"
	"shopbot/templates"
)

var screensDir = flag.String("screens", "", "also copy the browser tests' screenshots (PNG) into this directory")

// browserHang bounds each wait for the browser: a guard against a hang,
// never a pause.
const browserHang = 30 * time.Second

// The viewport of a small phone, the usual buyer's; the screenshots add a
// desktop's.
const phoneWidth, phoneHeight = 360, 780

// TestWebChatInBrowser runs the chat page's checks in one chromium, on
// SQLite and on Postgres with Redis.
func TestWebChatInBrowser(t *testing.T) {
	t.Parallel()
	browser := startChromium(t)
	for _, store := range []struct {
		name string
		cfg  func(*testing.T) Config
	}{{"SQLite", sqliteConfig}, {"PostgresRedis", postgresRedisConfig}} {
		t.Run(store.name, func(t *testing.T) {
			t.Run("Welcome", func(t *testing.T) { browserWelcome(t, browser, store.cfg) })
			t.Run("TypeAndPress", func(t *testing.T) { browserTypeAndPress(t, browser, store.cfg) })
			t.Run("History", func(t *testing.T) { browserHistory(t, browser, store.cfg) })
			t.Run("StartLink", func(t *testing.T) { browserStartLink(t, browser, store.cfg) })
			t.Run("Failures", func(t *testing.T) { browserFailures(t, browser, store.cfg) })
		})
	}
	t.Run("Screenshots", func(t *testing.T) { browserScreenshots(t, browser) })
}

// startChromium starts a headless chromium for the test, in a fresh
// profile directory (chromedp makes one and removes it), with nothing of
// its own going to the network.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, --no-first-run, --disable-background-networking, --disable-sync
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "en-US"),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser to exit
	})
	if err := chromedp.Do(ctx); err != nil { // starts it, bound to ctx (no time limit)
		t.Fatalf("start %s: %v", exe, err)
	}
	return ctx
}

// webShop is the App served over HTTP for the browser.
type webShop struct {
	app     *App
	srv     *httptest.Server
	browser context.Context
	logs    *syncLog
	// proxyDown makes a proxy in front of the App answer /api/ with 503
	// and an HTML page of its own.
	proxyDown atomic.Bool
}

// openWebShop opens the App on cfg, its public URL the test server's.
func openWebShop(t *testing.T, browser context.Context, cfg Config) *webShop {
	t.Helper()
	s := &webShop{browser: browser, logs: &syncLog{}}
	s.srv = httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + s.srv.Listener.Addr().String()
	// The server's log, shown when the test fails. The handlers finish
	// before the server closes, and the App is not served (no jobs run).
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := Open(t.Context(), cfg, log)
	if err != nil {
		s.srv.Listener.Close()
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	s.app = a
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.proxyDown.Load() && strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
			return
		}
		a.Handler().ServeHTTP(w, r)
	})
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs)
		}
	})
	return s
}

// syncLog is the server's log, written by its goroutines.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// page is one visitor's tab: a browser context of its own (its own
// cookies and storage), with a phone's viewport.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	mark int
}

// visitor opens a tab for a new visitor of test t whose browser asks for
// acceptLanguage.
func (s *webShop) visitor(t *testing.T, acceptLanguage string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, bound to ctx
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx, base: s.srv.URL}
	p.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait))
	tctx, tcancel := context.WithTimeout(ctx, browserHang)
	defer tcancel()
	if _, err := chromedp.Call(tctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": acceptLanguage}}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserHang)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserHang)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// idle is true when the page has loaded its conversation and no message
// waits for an answer.
const idle = `document.getElementById("log").getAttribute("aria-busy") === "false"`

// until waits for the JavaScript condition cond with the page idle.
func (p *page) until(cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserHang)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("("+cond+") && "+idle, chromedp.WithPollingTimeout(browserHang))); err != nil {
		p.t.Fatalf("waiting for %s: %v\nthe page shows %s", cond, err, p.dump())
	}
}

// open loads path and waits for its conversation.
func (p *page) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + path))
	p.until("true")
}

// reload reloads the page and waits for its conversation.
func (p *page) reload() {
	p.t.Helper()
	p.do(chromedp.Reload())
	p.until("true")
}

// cookie is the page's identity cookie as the browser keeps it, or nil.
func (p *page) cookie() *network.Cookie {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserHang)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{p.base + "/"}})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == web.IdentityCookie {
			return c
		}
	}
	return nil
}

// identity is the buyer the page's cookie names (1.<gen>.<id>.<mac>).
func (p *page) identity() commerce.Identity {
	p.t.Helper()
	c := p.cookie()
	if c == nil {
		p.t.Fatal("the page has no identity cookie")
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 4 {
		p.t.Fatalf("identity cookie %q", c.Value)
	}
	return commerce.Identity(bot.ChannelWeb + ":" + parts[2])
}

// shown is one entry of the conversation as the page shows it.
type shown struct {
	Side    string   `json:"side"` // me, bot, or err (the page's own error line)
	Text    string   `json:"text"` // without the buttons
	Buttons []string `json:"buttons"`
	Image   bool     `json:"image"`
}

func (s shown) String() string {
	return fmt.Sprintf("%s %q %q image=%v", s.Side, s.Text, s.Buttons, s.Image)
}

const conversationJS = `Array.from(document.getElementById("log").children).map(el => {
  if (el.classList.contains("err")) return {side: "err", text: el.textContent, buttons: [], image: false};
  const b = el.querySelector(".bubble");
  return {
    side: el.classList.contains("me") ? "me" : "bot",
    text: Array.from(b.childNodes).filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join(""),
    buttons: Array.from(b.querySelectorAll("button")).map(x => x.textContent),
    image: b.querySelector("img") !== null,
  };
})`

// conversation is what the page shows, oldest first.
func (p *page) conversation() []shown {
	p.t.Helper()
	return eval[[]shown](p, conversationJS)
}

func (p *page) dump() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	c, err := chromedp.Run(ctx, chromedp.Evaluate[[]shown](conversationJS))
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, s := range c {
		b.WriteString("\n  " + s.String())
	}
	return b.String()
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// snapshot remembers what the conversation shows, for changed.
const snapshot = `window.shown = document.getElementById("log").innerText + "|" + document.getElementById("log").children.length; true`

// changed is true once the conversation shows something else than at the
// last snapshot (a new message, or one edited in place).
const changed = `document.getElementById("log").innerText + "|" + document.getElementById("log").children.length !== window.shown`

// press clicks the latest button labelled label, with the mouse, and
// waits until the answer is shown.
func (p *page) press(label string) {
	p.t.Helper()
	p.mark++
	found := eval[bool](p, fmt.Sprintf(`(() => {
  const all = Array.from(document.querySelectorAll("#log button")).filter(b => b.textContent === %s);
  if (!all.length) return false;
  all[all.length - 1].setAttribute("data-press", "%d");
  return true;
})()`, jsString(label), p.mark))
	if !found {
		p.t.Fatalf("no button %q; the page shows %s", label, p.dump())
	}
	eval[bool](p, snapshot)
	p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-press="%d"]`, p.mark))))
	p.until(changed)
}

// say types text into the message box, sends it with Enter and waits
// until the answer is shown.
func (p *page) say(text string) {
	p.t.Helper()
	eval[bool](p, snapshot)
	p.do(chromedp.SendKeys(chromedp.ID("t"), text+"\n"))
	p.until(changed)
}

// last is the latest entry of the conversation.
func (p *page) last() shown {
	p.t.Helper()
	c := p.conversation()
	if len(c) == 0 {
		p.t.Fatal("the page shows nothing")
	}
	return c[len(c)-1]
}

// browse goes from the welcome to a product card in lang — 🛍 Shop, the
// first category, its first product — and presses + on it; it returns the
// card as first shown.
func (p *page) browse(lang string) shown {
	p.t.Helper()
	p.press(text(lang, "btn_shop", nil))
	cats := p.last()
	if cats.Text != text(lang, "categories", nil) || len(cats.Buttons) < 3 {
		p.t.Fatalf("🛍 Shop shows %v", cats)
	}
	p.press(cats.Buttons[0])
	list := p.last()
	if !strings.Contains(list.Text, cats.Buttons[0]) {
		p.t.Fatalf("the category %q shows %v", cats.Buttons[0], list)
	}
	p.press(list.Buttons[0])
	card := p.last()
	qty1 := text(lang, "qty_label", map[string]any{"Qty": 1})
	if !card.Image || len(card.Buttons) < 4 || !slices.Equal(card.Buttons[:3], []string{"−", qty1, "+"}) {
		p.t.Fatalf("the product card is %v", card)
	}
	// The click lands where "+" is: wait until the picture above it has
	// loaded and moved it down.
	p.until(lastPictureDrawn)
	p.press("+")
	return card
}

// lastPictureDrawn: the last message's picture has arrived and is drawn.
const lastPictureDrawn = `(() => { const i = document.querySelector("#log .msg:last-child img"); return i && i.complete && i.naturalWidth > 0; })()`

// text renders a template key the way the bot does.
func text(lang, key string, data any) string {
	return strings.TrimSpace(browserTexts.Text(lang, key, data))
}

var browserTexts = templates.MustLoad()

// welcome is the welcome the page shows a new visitor in lang.
func welcome(a *App, lang string) shown {
	r := a.Router.Welcome(bot.Message{Channel: bot.ChannelWeb, Lang: lang})[0]
	var labels []string
	for _, row := range r.Buttons {
		for _, b := range row {
			labels = append(labels, b.Text)
		}
	}
	return shown{Side: "bot", Text: r.Text, Buttons: labels}
}

func sameConversation(a, b []shown) bool {
	return slices.EqualFunc(a, b, func(x, y shown) bool {
		return x.Side == y.Side && x.Text == y.Text && x.Image == y.Image && slices.Equal(x.Buttons, y.Buttons)
	})
}

// browserWelcome: a first visit shows the welcome with its buttons in the
// page's language, from Accept-Language or ?lang=, and the identity cookie
// is HttpOnly.
func browserWelcome(t *testing.T, browser context.Context, cfg func(*testing.T) Config) {
	s := openWebShop(t, browser, cfg(t))
	for _, tc := range []struct {
		acceptLanguage, path, lang string
	}{
		{"zh-CN,zh;q=0.9", "/", "zh-CN"},
		{"en-GB,en;q=0.8", "/", "en"},
		{"ru-RU,ru;q=0.9,en;q=0.5", "/", "ru"},
		{"en-US", "/?lang=zh-CN", "zh-CN"},
		{"zh-CN", "/?lang=ru", "ru"},
		{"ru", "/?lang=en", "en"},
	} {
		t.Run(tc.acceptLanguage+tc.path, func(t *testing.T) {
			p := s.visitor(t, tc.acceptLanguage)
			p.open(tc.path)
			want := welcome(s.app, tc.lang)
			if !strings.HasSuffix(want.Text, text(tc.lang, "welcome", map[string]any{"Name": ""})) || want.Buttons[0] != text(tc.lang, "btn_shop", nil) {
				t.Fatalf("the router's welcome in %s is %v", tc.lang, want)
			}
			if got := p.conversation(); !sameConversation(got, []shown{want}) {
				t.Errorf("the page shows %v; want the welcome %v", got, want)
			}
			if got := eval[string](p, `document.documentElement.lang + "|" + document.getElementById("t").placeholder`); got != tc.lang+"|"+text(tc.lang, "webchat_placeholder", nil) {
				t.Errorf("page language|placeholder = %q", got)
			}
			if got := eval[string](p, `document.cookie`); strings.Contains(got, web.IdentityCookie) {
				t.Errorf("document.cookie = %q: the page's script sees the identity", got)
			}
			if id := p.cookie(); id == nil || !id.HTTPOnly || id.SameSite != network.CookieSameSiteLax {
				t.Errorf("identity cookie = %+v; want it HttpOnly, SameSite=Lax", id)
			}
		})
	}
}

// browserTypeAndPress: typing a message and pressing buttons work, and the
// quantity stepper edits the product card in place.
func browserTypeAndPress(t *testing.T, browser context.Context, cfg func(*testing.T) Config) {
	s := openWebShop(t, browser, cfg(t))
	p := s.visitor(t, "en-US,en")
	p.open("/")

	p.say("/help")
	c := p.conversation()
	if len(c) != 3 || c[1].Side != "me" || c[1].Text != "/help" || c[2].Side != "bot" || !strings.HasPrefix(c[2].Text, text("en", "help", nil)) {
		t.Fatalf("after typing /help the page shows %v", c)
	}

	// 🛍 Shop answers with a new message, a category edits it into the
	// category's products, a product answers with its card, and + edits
	// the card.
	p.press(text("en", "btn_shop", nil))
	if n := len(p.conversation()); n != 4 {
		t.Fatalf("🛍 Shop: %d messages, want 4", n)
	}
	p.press(p.last().Buttons[0])
	if n := len(p.conversation()); n != 4 {
		t.Fatalf("a category: %d messages, want the 4th edited", n)
	}
	p.press(p.last().Buttons[0])
	card := p.last()
	qty1 := text("en", "qty_label", map[string]any{"Qty": 1})
	if n := len(p.conversation()); n != 5 || !card.Image || len(card.Buttons) < 4 || !slices.Equal(card.Buttons[:3], []string{"−", qty1, "+"}) {
		t.Fatalf("a product: %d messages, the card %v", n, card)
	}
	// Its picture arrived and was drawn.
	p.until(lastPictureDrawn)

	eval[bool](p, `document.querySelector("#log .msg:last-child .bubble").dataset.card = "1"; true`)
	p.press("+")
	c = p.conversation()
	qty2 := text("en", "qty_label", map[string]any{"Qty": 2})
	if len(c) != 5 || c[4].Buttons[1] != qty2 || c[4].Text != card.Text || !c[4].Image {
		t.Fatalf("after + the page shows %v", c)
	}
	if add := c[4].Buttons[3]; add == card.Buttons[3] || !strings.Contains(add, "2") {
		t.Errorf("the add button is %q after +, %q before", add, card.Buttons[3])
	}
	if !eval[bool](p, `document.querySelector("#log .msg:last-child .bubble").dataset.card === "1"`) {
		t.Errorf("+ made a new message; want the card edited")
	}
}

// browserHistory: after a reload the page shows the conversation again
// (the edited card as it was last shown) and sends no second welcome.
func browserHistory(t *testing.T, browser context.Context, cfg func(*testing.T) Config) {
	s := openWebShop(t, browser, cfg(t))
	p := s.visitor(t, "ru-RU,ru")
	p.open("/")
	p.say("привет")
	p.browse("ru")
	before := p.conversation()
	if len(before) != 5 || before[0].Text != welcome(s.app, "ru").Text {
		t.Fatalf("before the reload the page shows %v", before)
	}

	p.reload()
	after := p.conversation()
	// The welcome was never part of the conversation; the rest is kept.
	if !sameConversation(after, before[1:]) {
		t.Fatalf("after a reload the page shows %v\nwant %v", after, before[1:])
	}
	// Another reload changes nothing: nothing was said on the page's behalf.
	p.reload()
	if again := p.conversation(); !sameConversation(again, after) {
		t.Fatalf("after a second reload the page shows %v\nwant %v", again, after)
	}
}

// browserStartLink: /link in the web chat on a computer shows a QR code of
// the web chat's link page (/?start=link_CODE); a phone opens it. The
// phone's page says "/start link_CODE" once, without a bubble of the
// buyer's, drops it from the address, and its confirmation links the two.
// Reloads say nothing again.
func browserStartLink(t *testing.T, browser context.Context, cfg func(*testing.T) Config) {
	s := openWebShop(t, browser, cfg(t))
	computer := s.visitor(t, "en")
	computer.open("/")
	computer.say("/link")
	offer := computer.last()
	qr := eval[string](computer, `document.querySelector("#log .msg:last-child img").getAttribute("src")`)
	if !strings.Contains(offer.Text, "/link") || !strings.HasPrefix(qr, "/link/") {
		t.Fatalf("/link shows %v, picture %q", offer, qr)
	}
	computer.until(`(() => { const i = document.querySelector("#log .msg:last-child img"); return i.complete && i.naturalWidth > 0; })()`)
	res, err := s.srv.Client().Get(s.srv.URL + qr)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(res.Body)
	res.Body.Close()
	open, err := qrscan.Decode(png)
	if err != nil || !strings.HasPrefix(open, s.srv.URL+"/?start=link_") {
		t.Fatalf("the QR code says %q, %v; want the web chat's link page", open, err)
	}

	phone := s.visitor(t, "en-US,en")
	phone.open(strings.TrimPrefix(open, s.srv.URL))
	if got := eval[string](phone, `location.href`); got != s.srv.URL+"/" {
		t.Errorf("the address is %q after the start; want %q", got, s.srv.URL+"/")
	}
	c := phone.conversation()
	confirm := text("en", "btn_link_confirm", nil)
	if len(c) != 2 || c[1].Side != "bot" || !strings.Contains(c[1].Text, text("en", "link_channel_web", nil)) || !slices.Contains(c[1].Buttons, confirm) {
		t.Fatalf("after opening the link the page shows %v; want the welcome and the confirmation", c)
	}
	phone.press(confirm)
	if done := phone.last(); len(phone.conversation()) != 3 || done.Side != "bot" || !strings.HasPrefix(done.Text, "✅") {
		t.Fatalf("after confirming the page shows %v", phone.conversation())
	}
	ids, err := s.app.Persons().Identities(t.Context(), computer.identity())
	if err != nil || !slices.Contains(ids, phone.identity()) {
		t.Fatalf("the computer's person has %v, %v; want the phone's %s too", ids, err, phone.identity())
	}
	before := phone.conversation()

	phone.reload()
	after := phone.conversation()
	for _, e := range after {
		if e.Side == "me" {
			t.Errorf("after a reload the page shows the buyer saying %q", e.Text)
		}
	}
	if !sameConversation(after, before[1:]) {
		t.Errorf("after a reload the page shows %v\nwant %v", after, before[1:])
	}
}

// browserFailures: a message that fails on the server's side shows the
// localized "try again", and a server that is gone the page's own network
// text; never a Go error.
func browserFailures(t *testing.T, browser context.Context, cfg func(*testing.T) Config) {
	s := openWebShop(t, browser, cfg(t))
	p := s.visitor(t, "ru")
	p.open("/")

	// The database goes away.
	if err := s.app.Store.DB().Close(); err != nil {
		t.Fatal(err)
	}
	p.press(text("ru", "btn_shop", nil))
	if got, want := p.conversation(), []shown{welcome(s.app, "ru"), {Side: "bot", Text: text("ru", "error_internal", nil)}}; !sameConversation(got, want) {
		t.Errorf("with the database closed the page shows %v; want %v", got, want)
	}

	// A proxy in front answers 503 with a page of its own.
	s.proxyDown.Store(true)
	p.say("привет")
	failed := []shown{{Side: "me", Text: "привет"}, {Side: "err", Text: text("ru", "webchat_network_error", nil)}}
	if c := p.conversation(); !sameConversation(c[2:], failed) {
		t.Errorf("with the proxy answering 503 the page shows %v; want %v", c[2:], failed)
	}

	// The server goes away.
	s.srv.CloseClientConnections()
	s.srv.Close()
	p.say("привет")
	c := p.conversation()
	if !sameConversation(c[4:], failed) {
		t.Errorf("with the server gone the page shows %v; want %v", c[4:], failed)
	}
	for _, e := range c {
		for _, word := range []string{"sql", "database", "closed", "rror", "connect", "<", "{"} {
			if strings.Contains(e.Text, word) {
				t.Errorf("the page shows %q, with %q in it", e.Text, word)
			}
		}
	}
}

// layoutFaultsJS lists what the page shows broken: a button or the
// placeholder cut off, the brand broken over two lines, a page wider than
// the screen, a picture that did not load.
const layoutFaultsJS = `(() => {
  const faults = [];
  for (const b of document.querySelectorAll("#log button, form button"))
    if (b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1) faults.push("button cut off: " + b.textContent);
  const input = document.getElementById("t");
  input.value = input.placeholder;
  if (input.scrollWidth > input.clientWidth) faults.push("placeholder cut off: " + input.placeholder);
  input.value = "";
  const brand = document.querySelector("header b");
  if (brand.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(brand).lineHeight)) faults.push("brand on two lines: " + brand.textContent);
  if (document.documentElement.scrollWidth > window.innerWidth) faults.push("page wider than the screen: " + document.documentElement.scrollWidth);
  for (const i of document.images) if (!i.complete || i.naturalWidth === 0) faults.push("picture missing: " + i.src);
  return faults;
})()`

// browserScreenshots takes screenshots of the chat in each language after
// a few steps — a category's products on a phone, then a product card at
// quantity 2 on a phone and a desktop — and checks each for the faults of
// layoutFaultsJS.
func browserScreenshots(t *testing.T, browser context.Context) {
	s := openWebShop(t, browser, sqliteConfig(t))
	dir := os.Getenv("SHOPBOT_SCREENSHOTS") // keep them to look at
	if dir == "" {
		dir = t.TempDir()
	}
	phone := viewport{"phone", phoneWidth, phoneHeight}
	desktop := viewport{"desktop", 1280, 800}
	for _, lang := range templates.Locales {
		p := s.visitor(t, lang)
		p.open("/")
		p.say("/help")
		p.press(text(lang, "btn_shop", nil))
		p.press(p.last().Buttons[0])
		p.screenshot(dir, lang+"-list", phone)
		p.press(p.last().Buttons[0])
		p.press("+")
		p.until(`Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)`)
		p.screenshot(dir, lang+"-card", phone)
		p.screenshot(dir, lang+"-card", desktop)
	}
}

type viewport struct {
	name          string
	width, height int64
}

// screenshot checks the page for faults in viewport vp, scrolled to the
// latest message, and saves a PNG of it as webchat-<name>-<vp>.png in dir
// (and -screens).
func (p *page) screenshot(dir, name string, vp viewport) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulatePortrait),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("log").scrollTop = 1e9`))
	if faults := eval[[]string](p, layoutFaultsJS); len(faults) > 0 {
		p.t.Errorf("%s, %s: %q", name, vp.name, faults)
	}
	ctx, cancel := context.WithTimeout(p.ctx, browserHang)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatal(err)
	}
	file := fmt.Sprintf("webchat-%s-%s.png", name, vp.name)
	for _, d := range []string{dir, *screensDir} {
		if d == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, file), shot, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	p.t.Logf("screenshot %s", filepath.Join(dir, file))
}
