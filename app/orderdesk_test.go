package app

import (
	"strings"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/internal/testenv"
)

// orderInWebChat places and confirms an order of one snack in the web
// chat and returns its number.
func orderInWebChat(t *testing.T, s *shop, user string) string {
	t.Helper()
	r := s.say(user, "text", "/start")
	r = s.say(user, "action", button(t, r, "Shop"))
	r = s.say(user, "action", button(t, r, "Snacks"))
	r = s.say(user, "action", r[0].Buttons[0][0].Action)
	r = s.say(user, "action", button(t, r, "Add 1"))
	r = s.say(user, "action", button(t, r, "Check out"))
	s.say(user, "action", button(t, r, "Shanghai"))
	s.say(user, "text", "Wang Fang")
	r = s.say(user, "text", "13900139000")
	number := orderNumberRe.FindStringSubmatch(lastText(r))[1]
	s.say(user, "action", button(t, r, "Confirm"))
	return number
}

// An order placed in the web chat reaches the seller's Telegram chat at
// once, through the job queue, with a button that opens it.
func TestNewOrderNoticeReachesSellerTelegram(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	const sellerChat = 4242
	cfg := sqliteConfig(t)
	cfg.Admins = []string{"tg:4242"}
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), WebhookSecret: "desk-secret-0123456789", Mode: telegram.ModeWebhook}
	s := start(t, cfg)
	number := orderInWebChat(t, s, testenv.UniqueName("desk"))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range api.Messages(sellerChat) {
			if !strings.Contains(m.Text, "№"+number) {
				continue
			}
			if len(m.Markup) == 0 || !strings.HasPrefix(m.Markup[0][0].CallbackData, bot.VerbSellerOrder.Of()) {
				t.Fatalf("notice without the button to open the order: %+v", m)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no notice of order %s in the seller's Telegram chat: %+v", number, api.Messages(sellerChat))
}
