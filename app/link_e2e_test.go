package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/bot/web"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/qrscan"
)

var codeRE = regexp.MustCompile(`[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}`)

// One buyer across Telegram, the WeChat account and the web chat, through
// the platforms' fakes and the app's own HTTP interface: a code from
// Telegram entered and confirmed in WeChat (a numbered option), a code
// from the web chat opened in Telegram and confirmed with its button. The
// person's orders are then listed in each, and a notice about the WeChat
// order reaches the chat used last, the web chat's inbox.
func TestLinkAcrossPlatforms(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: "link-secret-0123456", Mode: telegram.ModeWebhook}
	wx, closeWX := fakeWeChat(&cfg)
	defer closeWX()
	clock := testenv.NewClock(time.Now())
	cfg.clock = clock
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	const tgUser, openID = int64(4242), "oLinkWX01"
	var webUser string // issued by the server in the web chat's cookie
	var upd int64 = 5000

	telegramSays := func(body []byte) telegramtest.Message {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, telegramtest.WebhookPath, bytes.NewReader(body))
		req.Header.Set(telegramtest.SecretHeader, "link-secret-0123456")
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("telegram webhook = %d", rec.Code)
		}
		m, ok := api.Last(tgUser)
		if !ok {
			t.Fatal("no Telegram reply")
		}
		return m
	}
	tgText := func(text string) telegramtest.Message {
		upd++
		return telegramSays(telegramtest.TextUpdate(upd, tgUser, tgUser, text, "en"))
	}
	weChatSays := func(text string) string {
		t.Helper()
		upd++
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, wx.Request(wx.TextXML(openID, text, upd, time.Now().Unix()), time.Now()))
		reply, err := wx.Open(rec.Body.Bytes())
		if rec.Code != http.StatusOK || err != nil {
			t.Fatalf("POST /wechat %q = %d, %v", text, rec.Code, err)
		}
		return reply.Content
	}
	var webCookie *http.Cookie
	webSays := func(body map[string]any) []bot.Reply {
		t.Helper()
		b, _ := json.Marshal(body)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/chat", bytes.NewReader(b))
		if webCookie != nil {
			req.AddCookie(webCookie)
		}
		a.Handler().ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if parts := strings.Split(c.Value, "."); c.Name == web.IdentityCookie && len(parts) == 4 {
				webCookie, webUser = c, parts[2]
			}
		}
		var out chatResponse
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("POST /api/chat %v = %d %s", body, rec.Code, rec.Body)
		}
		return out.Replies
	}

	// Telegram asks for a code; WeChat enters it and confirms with "1".
	m := tgText("/link")
	code := codeRE.FindString(m.Text)
	if code == "" {
		t.Fatalf("Telegram /link shows no code: %q", m.Text)
	}
	got := weChatSays("/link " + code)
	if !strings.Contains(got, "Telegram") || !strings.Contains(got, "1") {
		t.Fatalf("WeChat confirmation = %q", got)
	}
	if got = weChatSays("1"); !strings.Contains(got, "✅") {
		t.Fatalf("WeChat after confirming = %q", got)
	}

	// The web chat asks for a code, with a QR code of the Telegram link;
	// Telegram opens the link and confirms with its button.
	replies := webSays(map[string]any{"text": "/link"})
	code = strings.ReplaceAll(codeRE.FindString(replies[0].Text), "-", "")
	if code == "" || replies[0].Image == "" {
		t.Fatalf("web /link = %+v", replies[0])
	}
	qr := httptest.NewRecorder()
	a.Handler().ServeHTTP(qr, httptest.NewRequest(http.MethodGet, replies[0].Image, nil))
	want := "https://t.me/" + a.tg.Username() + "?start=link_" + code
	if text, err := qrscan.Decode(qr.Body.Bytes()); err != nil || text != want {
		t.Fatalf("link QR = %q, %v; want %q", text, err, want)
	}
	tgText("/start link_" + code)
	msg, data, ok := api.WithButton(tgUser, string(bot.VerbLinkConfirm)+":")
	if !ok {
		t.Fatal("Telegram shows no confirmation button")
	}
	upd++
	telegramSays(api.CallbackOn(upd, tgUser, msg, data, "en"))

	ids, err := a.Persons().Identities(ctx, commerce.Identity("web:"+webUser))
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []commerce.Identity{"tg:4242", commerce.Identity("web:" + webUser), "wx:" + openID}) {
		t.Fatalf("the person's identities = %v, %v", ids, err)
	}

	// An order placed in WeChat is the person's: listed in the web chat.
	wxBuyer := commerce.Buyer{Channel: "wx", UserID: openID}
	p, err := a.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(p) == 0 {
		t.Fatal(err)
	}
	pts, _ := a.Store.PickupPoints(ctx)
	var cart commerce.Cart
	if err := cart.Add(p[0].ID, 1, 10, p[0].Price); err != nil {
		t.Fatal(err)
	}
	o, _, err := a.Shop.PlaceOrder(ctx, commerce.Checkout{Buyer: wxBuyer, ChatID: openID, Lang: "en", Cart: cart,
		PickupPointID: pts[0].ID, ContactName: "Li", Phone: "137 1111 0001", IdempotencyKey: "wx-order-1"})
	if err != nil || o.Phone != "+8613711110001" {
		t.Fatalf("order = %+v, %v; want the phone in E.164", o, err)
	}
	clock.Advance(2 * time.Minute)
	replies = webSays(map[string]any{"text": "/orders"})
	if !strings.Contains(replies[0].Text, o.Number) {
		t.Fatalf("web chat's orders lack the WeChat order %s: %q", o.Number, replies[0].Text)
	}

	// A notice about it goes to the chat used last: the web chat.
	n := bot.Notice{Kind: bot.NoticeDropStarted, Channel: "wx", ChatID: openID, UserID: openID}
	to, err := a.Router.NoticeTarget(ctx, n)
	if err != nil || to.Channel != bot.ChannelWeb || to.ChatID != webUser {
		t.Fatalf("notice target = %+v, %v; want the web chat", to, err)
	}
	if err := (deliverer{a}).Deliver(ctx, to.Channel, to.ChatID, []bot.Reply{{Text: "hello"}}); err != nil {
		t.Fatal(err)
	}
	if inbox, err := a.Store.Pull(ctx, "web:"+webUser, 10); err != nil || len(inbox) != 1 {
		t.Fatalf("web inbox = %d, %v", len(inbox), err)
	}
}
