package bot_test

import (
	"fmt"
	"testing"

	"shopbot/bot"
)

// TestWelcome: the session-less welcome the web page greets a visitor with
// is the /start answer of a new user, in each language, and stores
// nothing: no session, no audience row.
func TestWelcome(t *testing.T) {
	h := newHarness(t, harnessOptions{broadcasts: true})
	for _, lang := range []string{"en", "ru", "zh-CN", ""} {
		id := "visitor_" + lang
		m := bot.Message{Channel: bot.ChannelWeb, ChatID: id, UserID: id, FirstName: "Ann", Lang: lang}
		got := h.router.Welcome(m)
		var data []byte
		var err error
		if data, _, err = h.store.LoadSession(h.ctx, bot.SessionKey(m)); err != nil || data != nil {
			t.Fatalf("%q: Welcome stored a session: %s, %v", lang, data, err)
		}
		if _, err := h.store.ChatUser(h.ctx, bot.ChannelWeb, id); err == nil {
			t.Fatalf("%q: Welcome recorded the audience", lang)
		}
		want := h.user(t, id, lang).send("/start")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: Welcome = %+v\nwant the /start answer %+v", lang, got, want)
		}
		checkRoutes(t, h.router, m, got)
	}
}
