package telegram

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/chatstate"
	"shopbot/templates"
)

// Updates over a user's message limit are acknowledged (200) and not
// handled: the first of the flood gets "slow down", the others nothing.
func TestWebhookMessageLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRouter(func(_ *testEnv, o *bot.Options) {
		o.Limiter = chatstate.NewLocalLimiter(0.001, 2, nil)
	}))
	for i := range 6 {
		e.deliver(t, textUpdate(100+i, private(alice), alice, "/start"))
	}
	msgs := e.api.Messages(alice.ID)
	slow := templates.MustLoad().Text("en", "err_slow_down", nil)
	n := 0
	for _, m := range msgs {
		if m.Text == slow {
			n++
		}
	}
	if n != 1 || e.events.get(EventLimited) != 4 {
		t.Fatalf("slow-down messages %d, limited updates %d; want 1 and 4 (messages: %d)", n, e.events.get(EventLimited), len(msgs))
	}
}

// brokenStore is a session store that is down; its errors name the
// session key, as real stores' do.
type brokenStore struct{ chatstate.SessionStore }

func (brokenStore) LoadSession(_ context.Context, key string) ([]byte, int64, error) {
	return nil, 0, fmt.Errorf("redis: load session %q: connection refused", key)
}

// A message that fails on our side is acknowledged (200: Telegram is not
// asked to redeliver, see the package comment) and answered with the
// localized "try again"; the log records the failure without the user's id.
func TestWebhookFailureOnOurSide(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRouter(func(_ *testEnv, o *bot.Options) { o.Sessions = brokenStore{o.Sessions} }))
	user := &tgbotapi.User{ID: 700123456, FirstName: "Vera", LanguageCode: "ru"}
	b := fmt.Sprintf(`{"update_id":7001,"message":{"message_id":1,"date":1,"text":"/start","from":{"id":%d,"first_name":"Vera","language_code":"ru"},"chat":{"id":%d,"type":"private"}}}`, user.ID, user.ID)
	if rec := e.post(b, testSecret); rec.Code != http.StatusOK {
		t.Fatalf("webhook = %d; want 200", rec.Code)
	}
	msgs := e.api.Messages(user.ID)
	if len(msgs) != 1 || msgs[0].Text != templates.MustLoad().Text("ru", "error_internal", nil) {
		t.Fatalf("messages %+v; want the Russian try-again text", msgs)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "telegram update failed") || !strings.Contains(logs, "connection refused") {
		t.Fatalf("failure not logged: %s", logs)
	}
	if strings.Contains(logs, "700123456") {
		t.Errorf("the log names the user: %s", logs)
	}
}
