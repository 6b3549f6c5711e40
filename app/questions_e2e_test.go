package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/bot/web"
	"shopbot/bot/wechat/wechattest"
	"shopbot/commerce"
	"shopbot/internal/testenv"
)

// A buyer asks in the web chat; the seller, in Telegram, gets the question
// with the buyer's language and answers by replying to it; the answer
// appears in the buyer's web chat. Through the app's HTTP interface, the
// Telegram fake and the job queue.
func TestQuestionWebToTelegram(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	const seller = int64(7070)
	cfg := sqliteConfig(t)
	cfg.Admins = []string{"tg:7070"}
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: "question-secret-01", Mode: telegram.ModeWebhook}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if err := a.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.queue.Stop(context.Background())

	var cookie *http.Cookie
	webSays := func(body map[string]any) []bot.Reply {
		t.Helper()
		b, _ := json.Marshal(body)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/chat", bytes.NewReader(b))
		req.Header.Set("Accept-Language", "ru")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		a.Handler().ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == web.IdentityCookie {
				cookie = c
			}
		}
		var out chatResponse
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("POST /api/chat %v = %d %s", body, rec.Code, rec.Body)
		}
		return out.Replies
	}
	texts := a.Router.Texts()

	// The buyer's words find nothing; "Ask the seller" sends them.
	if r := webSays(map[string]any{"text": "/lang ru"}); len(r) == 0 {
		t.Fatal("no answer to /lang ru")
	}
	r := webSays(map[string]any{"text": "Доставляете в Москву?"})
	if len(r) == 0 || r[0].Text != texts.Text("ru", "search_none", map[string]any{"Ask": true}) {
		t.Fatalf("search answer %+v", r)
	}
	r = webSays(map[string]any{"action": bot.VerbAskSeller.Of()})
	if len(r) == 0 || !strings.HasPrefix(r[0].Text, "✅") {
		t.Fatalf("asking = %+v", r)
	}

	// The seller is told in Telegram, with the buyer's language.
	var question telegramtest.Message
	waitFor(t, 10*time.Second, "the question in the seller's Telegram chat", func() bool {
		var ok bool
		question, ok = api.Last(seller)
		return ok && strings.Contains(question.Text, "Доставляете в Москву?")
	})
	if !strings.Contains(question.Text, "Русский") {
		t.Fatalf("the seller's notice lacks the buyer's language:\n%s", question.Text)
	}

	// The seller replies to it.
	body := api.ReplyUpdate(9001, seller, question, "Да, за 10 дней.", "en")
	req := httptest.NewRequest(http.MethodPost, telegramtest.WebhookPath, bytes.NewReader(body))
	req.Header.Set(telegramtest.SecretHeader, "question-secret-01")
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("telegram webhook = %d", rec.Code)
	}
	if m, _ := api.Last(seller); !strings.HasPrefix(m.Text, "✅") {
		t.Fatalf("the seller's confirmation: %q", m.Text)
	}

	// The answer reaches the buyer's web chat.
	waitFor(t, 10*time.Second, "the answer in the web chat", func() bool {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/inbox", nil)
		req.AddCookie(cookie)
		a.Handler().ServeHTTP(rec, req)
		return strings.Contains(rec.Body.String(), "Да, за 10 дней.")
	})
	all, err := a.questions.Recent(ctx, 5)
	if err != nil || len(all) != 1 || all[0].Status != commerce.ConversationAnswered {
		t.Fatalf("conversations %+v, %v", all, err)
	}
}

// A WeChat buyer is answered with a customer-service message within 48
// hours of their last message; later the seller is told the answer cannot
// be delivered, and nothing is sent. With the app's injected clock.
func TestQuestionWeChatWindow(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewFakeAPI()
	defer tg.Close()
	const seller = int64(7171)
	cfg := sqliteConfig(t)
	cfg.Admins = []string{"tg:7171"}
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: tg.Endpoint(), WebhookSecret: "question-secret-02", Mode: telegram.ModeWebhook}
	var key [32]byte
	wx := wechattest.Client{AppID: "wxtest00000000002", Token: "testtoken", GhID: "gh_test",
		AESKey: strings.TrimRight(base64.StdEncoding.EncodeToString(key[:]), "=")}
	wxAPI := wechattest.NewFakeAPI(wx.AppID, "testsecret")
	defer wxAPI.Close()
	cfg.WeChat = WeChatConfig{AppID: wx.AppID, Secret: "testsecret", Token: wx.Token, AESKey: wx.AESKey, APIBase: wxAPI.URL()}
	clock := testenv.NewClock(time.Now())
	cfg.clock = clock
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if err := a.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.queue.Stop(context.Background())

	const openID = "oQuestionWX01"
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, wx.Request(wx.TextXML(openID, "/human 有现货吗？", 1, clock.Now().Unix()), clock.Now()))
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /wechat = %d", rec.Code)
	}
	var conv commerce.Conversation
	waitFor(t, 10*time.Second, "the WeChat question", func() bool {
		all, _ := a.questions.Recent(ctx, 5)
		if len(all) == 1 {
			conv = all[0]
		}
		return len(all) == 1
	})
	upd := int64(100)
	sellerSays := func(text string) string {
		t.Helper()
		upd++
		req := httptest.NewRequest(http.MethodPost, telegramtest.WebhookPath, bytes.NewReader(telegramtest.TextUpdate(upd, seller, seller, text, "en")))
		req.Header.Set(telegramtest.SecretHeader, "question-secret-02")
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		m, _ := tg.Last(seller)
		return m.Text
	}
	n := strconv.FormatInt(conv.ID, 10)
	kf := func() int { return len(wxAPI.KF()) }
	before := kf()

	// 47 hours later: delivered as a customer-service message.
	clock.Advance(47 * time.Hour)
	if got := sellerSays("/reply " + n + " 有的，明天发货。"); !strings.HasPrefix(got, "✅") {
		t.Fatalf("answer within the window: %q", got)
	}
	waitFor(t, 10*time.Second, "the customer-service message", func() bool {
		for _, m := range wxAPI.KF()[before:] {
			if b, _ := json.Marshal(m); strings.Contains(string(b), "明天发货") && strings.Contains(string(b), openID) {
				return true
			}
		}
		return false
	})

	// 49 hours after the buyer's message: the seller is told, nothing is sent.
	clock.Advance(2 * time.Hour)
	sent := kf()
	got := sellerSays("/reply " + n + " 还需要吗？")
	want := a.Router.Texts().Text("en", "answer_outside_window", map[string]any{"N": conv.ID, "Channel": a.Router.Texts().Text("en", "link_channel_wx", nil)})
	if got != want {
		t.Fatalf("answer outside the window: %q; want %q", got, want)
	}
	time.Sleep(300 * time.Millisecond) // a job, were one raised, would have run
	if kf() != sent || len(wxAPI.Templates()) != 0 {
		t.Fatalf("an undeliverable answer was sent: kf %d → %d, templates %d", sent, kf(), len(wxAPI.Templates()))
	}
}
