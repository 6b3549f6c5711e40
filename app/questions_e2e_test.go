package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/bot/web"
	"shopbot/commerce"
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
	r := webSays(map[string]any{"text": "/lang ru"})
	r = webSays(map[string]any{"text": "Доставляете в Москву?"})
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
