package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
)

// Long polling on a laptop (PublicURL is localhost): a product card
// uploads its picture, read from the app's own /img/ route, and the next
// card with it sends the file_id.
func TestTelegramUploadsPictures(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.PublicURL = "http://localhost:8080"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: "pics-secret-0123456789", Mode: telegram.ModePolling}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	post := func(body []byte) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, telegramtest.WebhookPath, bytes.NewReader(body))
		req.Header.Set(telegramtest.SecretHeader, "pics-secret-0123456789")
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("update: HTTP %d", rec.Code)
		}
	}
	for i, chat := range []int64{801, 802} {
		post(telegramtest.CallbackUpdate(int64(10+i), chat, chat, 1, "p:1", "en"))
	}
	calls := api.Calls("sendPhoto")
	if len(calls) != 2 || calls[0].Upload == nil || calls[1].Upload != nil {
		t.Fatalf("sendPhoto calls: %+v", calls)
	}
	if !bytes.HasPrefix(calls[0].Upload, []byte("\x89PNG")) {
		t.Errorf("uploaded %d bytes, not the PNG /img/ serves", len(calls[0].Upload))
	}
	first, _ := api.Last(801)
	if second, _ := api.Last(802); second.Photo != first.Photo || second.Caption == "" {
		t.Errorf("cards: %+v / %+v", first, second)
	}
	if _, _, err := a.telegramImage(context.Background(), "/img/no-such-picture.png"); err == nil {
		t.Error("a missing picture was read")
	}
}
