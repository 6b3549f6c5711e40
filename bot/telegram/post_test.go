package telegram

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
)

func TestPostAndEditInPlace(t *testing.T) {
	e := newEnv(t, noRouter())
	ctx := context.Background()
	const group = int64(-100123)
	for _, tc := range []struct {
		name  string
		first bot.Reply
		next  bot.Reply
		check func(m telegramtest.Message) string
	}{
		{"text", bot.Reply{Text: "23 left", Buttons: [][]bot.Button{{{Text: "+1", Action: "x:1"}}}},
			bot.Reply{Text: "sold out <b>"},
			func(m telegramtest.Message) string { return m.Text }},
		{"photo", bot.Reply{Text: "Serum — 5 left", Image: "/img/serum.png"},
			bot.Reply{Text: "Serum — 4 left", Image: "/img/serum.png"},
			func(m telegramtest.Message) string { return m.Caption }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := e.a.Post(ctx, "-100123", tc.first)
			if err != nil {
				t.Fatal(err)
			}
			n := len(e.api.Messages(group))
			if err := e.a.Edit(ctx, "-100123", id, tc.next); err != nil {
				t.Fatal(err)
			}
			// Editing to the same content again is not an error.
			if err := e.a.Edit(ctx, "-100123", id, tc.next); err != nil {
				t.Fatalf("repeated edit: %v", err)
			}
			if got := len(e.api.Messages(group)); got != n {
				t.Errorf("edits sent new messages: %d → %d", n, got)
			}
			var msgID int
			if _, err := fmt.Sscan(id, &msgID); err != nil {
				t.Fatal(err)
			}
			m, ok := e.api.Message(group, msgID)
			if !ok {
				t.Fatalf("message %s not found", id)
			}
			if got := tc.check(m); got != tc.next.Text {
				t.Errorf("after edit: %q; want %q", got, tc.next.Text)
			}
		})
	}
	if err := e.a.Edit(ctx, "-100123", "999999", bot.Reply{Text: "x"}); !errors.Is(err, bot.ErrGone) {
		t.Errorf("edit of an unknown message: %v; want ErrGone", err)
	}
	e.api.Inject("sendMessage", telegramtest.Fault{Code: 403, Desc: "Forbidden: bot was kicked from the group chat"})
	if _, err := e.a.Post(ctx, "-100123", bot.Reply{Text: "x"}); !errors.Is(err, bot.ErrGone) {
		t.Errorf("post to a group that removed the bot: %v; want ErrGone", err)
	}
	for _, bad := range []string{"", "abc", "0"} {
		if _, err := e.a.Post(ctx, bad, bot.Reply{Text: "x"}); err == nil {
			t.Errorf("Post(%q) accepted", bad)
		}
	}
}
