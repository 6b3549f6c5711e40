package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/commerce"
	"shopbot/qrscan"
)

// The app serves the Telegram webhook when TELEGRAM_TOKEN is set: it
// registers the webhook and commands at start, refuses a wrong secret and
// answers a /start through the fake Bot API.
func TestTelegramWiring(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: "wiring-secret-0123456789", Mode: telegram.ModeWebhook}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	<-a.startTelegram(ctx)
	if api.Count("setWebhook") != 1 || api.Count("setMyCommands") == 0 {
		t.Fatalf("setWebhook %d, setMyCommands %d", api.Count("setWebhook"), api.Count("setMyCommands"))
	}
	post := func(secret string, body []byte) int {
		req := httptest.NewRequest(http.MethodPost, telegramtest.WebhookPath, bytes.NewReader(body))
		req.Header.Set(telegramtest.SecretHeader, secret)
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	update := telegramtest.TextUpdate(1001, 777, 777, "/start", "ru")
	if code := post("wrong", update); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret = %d; want 401", code)
	}
	if n := len(api.Messages(777)); n != 0 {
		t.Fatalf("a forged update made %d messages", n)
	}
	if code := post("wiring-secret-0123456789", update); code != http.StatusOK {
		t.Fatalf("webhook = %d", code)
	}
	msg, ok := api.Last(777)
	if !ok || !strings.Contains(msg.Text, "Здравствуйте") {
		t.Fatalf("reply to /start = %+v; want the Russian greeting", msg)
	}
	if code := post("wiring-secret-0123456789", update); code != http.StatusOK || len(api.Messages(777)) != 1 {
		t.Fatalf("redelivered update: HTTP %d, %d messages; want 200 and still 1", code, len(api.Messages(777)))
	}
}

// With Telegram on, a drop's QR code opens the drop in the bot, and the
// seller is shown that link too.
func TestDropQROpensTheBot(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: "qr-secret-0123456789", Mode: telegram.ModeWebhook}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	products, err := a.Store.Products(ctx, commerce.ProductFilter{Limit: 1})
	if err != nil || len(products) == 0 {
		t.Fatalf("products: %v", err)
	}
	d, err := a.drops.Create(ctx, commerce.Drop{ProductID: products[0].ID, Units: 10, Price: products[0].Price,
		StartsAt: time.Now().Add(time.Hour), PerBuyerLimit: 1, ReservationTTL: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	png, err := dropPages{a}.qr(ctx, d.Code)
	if err != nil {
		t.Fatal(err)
	}
	text, err := qrscan.Decode(png)
	want := "https://t.me/" + a.tg.Username() + "?start=d_" + d.Code
	if err != nil || text != want {
		t.Fatalf("QR = %q, %v; want %q", text, err, want)
	}
	if links := (dropPages{a}).links(d.Code); links.Bot != want || links.Page != "https://shop.example/d/"+d.Code {
		t.Fatalf("links %+v", links)
	}
}
