package telegram

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestWebhookSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body, _ := json.Marshal(textUpdate(1, private(alice), alice, "/start"))
	for _, secret := range []string{"", "wrong", testSecret[:len(testSecret)-1], testSecret + "x", strings.ToUpper(testSecret)} {
		if rec := e.post(string(body), secret); rec.Code != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, rec.Code)
		}
	}
	if n := e.events.get(EventUnauthorized); n != 5 {
		t.Errorf("unauthorized events = %d, want 5", n)
	}
	if n := e.events.get(EventUpdate); n != 0 {
		t.Errorf("an unauthorized update was processed (%d)", n)
	}
	if n := e.api.Count("sendMessage"); n != 0 {
		t.Fatalf("router answered an unauthorized update (%d messages)", n)
	}
	if strings.Contains(e.logs.String(), "/start") || strings.Contains(e.logs.String(), "Alice") {
		t.Errorf("an unauthorized body was logged:\n%s", e.logs)
	}
	// Nothing was claimed: the genuine delivery of the same update is new.
	e.deliver(t, textUpdate(1, private(alice), alice, "/start"))
	if n := e.api.Count("sendMessage"); n != 1 {
		t.Fatalf("genuine update: %d messages, want 1", n)
	}
}

func TestWebhookSecretRequired(t *testing.T) {
	t.Parallel()
	// In polling mode without a secret the webhook route rejects everything.
	e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.Mode, o.WebhookSecret = ModePolling, "" }))
	if rec := e.post(`{"update_id":1}`, ""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", rec.Code)
	}
}

func TestWebhookBadBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	huge := `{"update_id":7,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"text":"` + strings.Repeat("x", MaxWebhookBody) + `"}}`
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"too big", huge, http.StatusRequestEntityTooLarge},
		{"empty", "", http.StatusBadRequest},
		{"truncated", `{"update_id":1,`, http.StatusBadRequest},
		{"not an object", `[1,2]`, http.StatusBadRequest},
		{"null", `null`, http.StatusBadRequest},
		{"wrong type", `{"update_id":"1"}`, http.StatusBadRequest},
		{"zero id", `{"update_id":0}`, http.StatusBadRequest},
		{"negative id", `{"update_id":-5}`, http.StatusBadRequest},
		{"two objects", `{"update_id":1}{"update_id":2}`, http.StatusBadRequest},
		{"trailing garbage", `{"update_id":1} x`, http.StatusBadRequest},
		{"unknown update type", `{"update_id":3,"inline_query":{"id":"q","from":{"id":5,"first_name":"x"},"query":"hi","offset":""}}`, http.StatusOK},
		{"future update type", `{"update_id":4,"message_reaction":{"chat":{"id":1}}}`, http.StatusOK},
		{"trailing whitespace", "{\"update_id\":5}\n", http.StatusOK},
	} {
		if rec := e.post(tc.body, testSecret); rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.want)
		}
	}
	if n := e.events.get(EventBadRequest); n != 10 {
		t.Errorf("bad_request events = %d, want 10", n)
	}
	if n := e.events.get(EventIgnored); n != 3 {
		t.Errorf("ignored events = %d, want 3", n)
	}
	if n := len(e.api.Calls("sendMessage", "sendPhoto")); n != 0 {
		t.Errorf("%d messages sent for bad or ignored bodies", n)
	}
}

func TestWebhookReplayProcessedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := textUpdate(42, private(alice), alice, "/help")
	for range 3 {
		e.deliver(t, u)
	}
	if n := e.api.Count("sendMessage"); n != 1 {
		t.Fatalf("replayed update sent %d messages, want 1", n)
	}
	if n := e.events.get(EventDuplicate); n != 2 {
		t.Errorf("duplicate events = %d, want 2", n)
	}
	// A replayed callback is answered every time but acted on once.
	m := e.api.Messages(alice.ID)[0]
	_, data, ok := e.api.WithButton(alice.ID, "cats")
	if !ok {
		t.Fatal("no shop button on the help message")
	}
	for range 2 {
		e.press(t, 43, alice, m, data)
	}
	if n := e.api.Count("answerCallbackQuery"); n != 2 {
		t.Errorf("answerCallbackQuery = %d, want 2", n)
	}
	if n := e.api.Count("sendMessage"); n != 2 {
		t.Errorf("replayed callback: %d messages in total, want 2", n)
	}
}

func TestCallbackAlwaysAnswered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deliver(t, textUpdate(1, private(alice), alice, "/start"))
	menu := e.api.Messages(alice.ID)[0]
	// Tampered, oversized and stale data: answered, and the router says stale.
	for i, data := range []string{"zzz:1", "p:999999", "add:1:9999:1", strings.Repeat("q", 200)} {
		e.press(t, 10+i, alice, menu, data)
	}
	// A callback on an inline message (no chat message): answered, ignored.
	e.deliver(t, tgbotapi.Update{UpdateID: 20, CallbackQuery: &tgbotapi.CallbackQuery{ID: "inline1", From: alice, InlineMessageID: "im", Data: "cats"}})
	// A callback without data (a game button): answered, ignored.
	e.deliver(t, tgbotapi.Update{UpdateID: 21, CallbackQuery: &tgbotapi.CallbackQuery{ID: "nodata", From: alice, Message: e.api.asMessage(menu)}})
	// The answer call itself failing does not stop the reply.
	e.api.Inject("answerCallbackQuery", fault{Code: 400, Desc: "Bad Request: query is too old and response timeout expired or query ID is invalid"})
	e.press(t, 22, alice, menu, "help")
	// The router failing (database gone): answered, and the user gets the
	// localized error.
	before := e.api.Count("sendMessage") + e.api.Count("editMessageText")
	e.db.Close()
	e.press(t, 23, alice, menu, "cats")
	if n := e.api.Count("answerCallbackQuery"); n != 8 {
		t.Errorf("answerCallbackQuery = %d, want 8", n)
	}
	if after := e.api.Count("sendMessage") + e.api.Count("editMessageText"); after != before+1 {
		t.Errorf("router failure: %d messages, want 1", after-before)
	}
	msgs := e.api.Messages(alice.ID)
	if last := msgs[len(msgs)-1]; !strings.Contains(last.Text, "went wrong") {
		t.Errorf("router failure reply = %q", last.Text)
	}
	if n := e.events.get(EventIgnored); n != 2 {
		t.Errorf("ignored = %d, want 2", n)
	}
	if n := e.events.get(EventSendFailed); n != 0 {
		t.Errorf("a refused answerCallbackQuery counted as a failed send (%d)", n)
	}
}

func TestIgnoredUpdatesSendNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	edited := textUpdate(1, private(alice), alice, "/start")
	edited.EditedMessage, edited.Message = edited.Message, nil
	sticker := tgbotapi.Update{UpdateID: 2, Message: &tgbotapi.Message{MessageID: 2, From: alice, Chat: private(alice),
		Sticker: &tgbotapi.Sticker{FileID: "s", FileUniqueID: "s", Width: 1, Height: 1}}}
	service := tgbotapi.Update{UpdateID: 3, Message: &tgbotapi.Message{MessageID: 3, From: alice, Chat: group,
		NewChatMembers: []tgbotapi.User{{ID: fakeBotID, IsBot: true, FirstName: "Shop", UserName: fakeBotName}}}}
	chatter := textUpdate(4, group, alice, "anyone tried the serum?")
	for _, u := range []tgbotapi.Update{edited, sticker, service, chatter} {
		e.deliver(t, u)
	}
	if n := len(e.api.Calls("sendMessage", "sendPhoto")); n != 0 {
		t.Fatalf("%d messages sent for ignored updates", n)
	}
	if n := e.events.get(EventIgnored); n != 4 {
		t.Errorf("ignored = %d, want 4", n)
	}
}

func TestHugeText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// 600 KB of text (under the 1 MiB body limit): the router answers with
	// help, once.
	e.deliver(t, textUpdate(1, private(alice), alice, strings.Repeat("я", 300_000)))
	msgs := e.api.Messages(alice.ID)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "didn't understand") {
		t.Fatalf("got %+v", msgs)
	}
}

func TestGroupReplyQuotesTrigger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deliver(t, textUpdate(5, group, alice, "/help@"+fakeBotName))
	msgs := e.api.Messages(group.ID)
	if len(msgs) != 1 {
		t.Fatalf("group got %d messages, want 1", len(msgs))
	}
	if msgs[0].ReplyTo != 50 {
		t.Errorf("reply_to_message_id = %d, want 50", msgs[0].ReplyTo)
	}
}

func TestMyChatMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noRouter())
	for i, status := range []string{"kicked", "member"} {
		e.deliver(t, tgbotapi.Update{UpdateID: i + 1, MyChatMember: &tgbotapi.ChatMemberUpdated{
			Chat: *private(alice), From: *alice,
			OldChatMember: tgbotapi.ChatMember{User: &tgbotapi.User{ID: fakeBotID}, Status: "member"},
			NewChatMember: tgbotapi.ChatMember{User: &tgbotapi.User{ID: fakeBotID}, Status: status},
		}})
	}
	want := []reachEvent{{alice.ID, false}, {alice.ID, true}}
	if len(e.reach) != 2 || e.reach[0] != want[0] || e.reach[1] != want[1] {
		t.Errorf("reachability = %v, want %v", e.reach, want)
	}
	if e.events.get(EventBlocked) != 1 || e.events.get(EventUnblocked) != 1 {
		t.Errorf("events = %v", e.events.n)
	}
}

func TestProcessRecoversPanic(t *testing.T) {
	t.Parallel()
	// A router without a shop panics on a real message; the webhook still
	// acknowledges, logs and counts it.
	e := newEnv(t, noRouter())
	e.deliver(t, textUpdate(1, private(alice), alice, "/shop"))
	if e.events.get(EventPanic) != 1 {
		t.Fatalf("panic not counted: %v", e.events.n)
	}
	if !strings.Contains(e.logs.String(), "panicked") {
		t.Error("panic not logged")
	}
}

// TestWebhookWaitsForBusyChat: a message for a chat whose replies are
// still queued waits before routing; when Telegram hangs up meanwhile it is
// not routed (nor marked seen), so Telegram's redelivery is answered.
func TestWebhookWaitsForBusyChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A 429 told us to leave alice's chat alone for a minute.
	e.a.sender.lim.penalize(alice.ID, e.clock.Now().Add(time.Minute))
	u := textUpdate(7, private(alice), alice, "/help")
	body, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Telegram gave up on the delivery
	req := httptest.NewRequest(http.MethodPost, WebhookPath, strings.NewReader(string(body))).WithContext(ctx)
	req.Header.Set(secretHeader, testSecret)
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	if rec.Code == http.StatusOK || e.api.Count("sendMessage") != 0 || e.events.get(EventUpdate) != 0 {
		t.Fatalf("abandoned delivery: HTTP %d, %d messages, events %v", rec.Code, e.api.Count("sendMessage"), e.events.n)
	}
	start := e.clock.Now()
	e.deliver(t, u)
	if n := e.api.Count("sendMessage"); n != 1 || e.events.get(EventDuplicate) != 0 {
		t.Errorf("redelivery: %d messages, events %v", n, e.events.n)
	}
	if waited := e.clock.Now().Sub(start); waited < time.Minute {
		t.Errorf("routed after %v, before the chat was free", waited)
	}
}

// TestCallbackNotHeldByBusyChat: a pressed button is routed at once: its
// answer does not wait for the busy chat, only a message it sends there
// does.
func TestCallbackNotHeldByBusyChat(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble())
		start := time.Now()
		e.a.sender.lim.penalize(group.ID, start.Add(time.Minute))
		e.deliver(t, tgbotapi.Update{UpdateID: 8, CallbackQuery: &tgbotapi.CallbackQuery{ID: "busy", From: alice, Data: "help",
			Message: &tgbotapi.Message{MessageID: 3, Chat: group, Date: 1, Text: "…"}, ChatInstance: "ci"}})
		answers := e.api.Calls("answerCallbackQuery")
		if len(answers) != 1 || !answers[0].At.Equal(start) {
			t.Errorf("answer calls %+v; want one at once (%v)", answers, start)
		}
		if sends := e.api.SendTimes(group.ID); len(sends) != 1 || sends[0].Sub(start) != time.Minute {
			t.Errorf("group message at %v; want after the minute", sends)
		}
	})
}
