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

// A picture Telegram refuses leaves a text post, which later edits with
// the image still in the reply update in place; a deleted post is gone.
func TestPostPhotoFallbackAndDelete(t *testing.T) {
	e := newEnv(t, noRouter())
	ctx := context.Background()
	const group = int64(-100124)
	e.api.Inject("sendPhoto", telegramtest.Fault{Code: 400, Desc: "Bad Request: wrong file identifier/HTTP URL specified"})
	id, err := e.a.Post(ctx, "-100124", bot.Reply{Text: "Serum — 5 left", Image: "/img/serum.png"})
	if err != nil {
		t.Fatal(err)
	}
	var msgID int
	if _, err := fmt.Sscan(id, &msgID); err != nil {
		t.Fatal(err)
	}
	if m, ok := e.api.Message(group, msgID); !ok || m.Photo != "" || m.Text != "Serum — 5 left" {
		t.Fatalf("fallback post = %+v, %v; want the text alone", m, ok)
	}
	if err := e.a.Edit(ctx, "-100124", id, bot.Reply{Text: "Serum — 4 left", Image: "/img/serum.png"}); err != nil {
		t.Fatalf("edit of the text fallback: %v", err)
	}
	if m, _ := e.api.Message(group, msgID); m.Text != "Serum — 4 left" {
		t.Fatalf("after edit: %q", m.Text)
	}
	if err := e.a.Delete(ctx, "-100124", id); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.api.Message(group, msgID); ok {
		t.Fatal("deleted post still there")
	}
	if err := e.a.Edit(ctx, "-100124", id, bot.Reply{Text: "Serum — 3 left", Image: "/img/serum.png"}); !errors.Is(err, bot.ErrGone) {
		t.Fatalf("edit of a deleted post: %v; want ErrGone", err)
	}
	if err := e.a.Delete(ctx, "-100124", id); err == nil {
		t.Fatal("deleting twice succeeded")
	}
}
