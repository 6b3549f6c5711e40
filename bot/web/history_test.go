package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/chatstate"
	"shopbot/internal/testenv"
	"shopbot/store/redis"
)

// historyStores are the places a web history lives: the database (the
// embedded default) and Redis (miniredis, and REDIS_URL when set).
func historyStores() []struct {
	name string
	open func(t *testing.T, s *server) chatstate.History
} {
	return []struct {
		name string
		open func(t *testing.T, s *server) chatstate.History
	}{
		{"database", func(_ *testing.T, s *server) chatstate.History { return s.store }},
		{"miniredis", func(t *testing.T, _ *server) chatstate.History {
			m := miniredis.RunT(t)
			c := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			return redis.NewWebHistory(c, "shopbot:", 30*24*time.Hour)
		}},
		{"redis", func(t *testing.T, _ *server) chatstate.History {
			u := testenv.RedisURL(t)
			c, err := redis.Open(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return redis.NewWebHistory(c, testenv.RedisPrefix(t, u, "webhistory"), 30*24*time.Hour)
		}},
	}
}

// readHistory is the client's GET /api/history.
func (c *client) history() []web.HistoryMessage {
	c.t.Helper()
	resp, body := c.do(http.MethodGet, "/api/history?lang=en", "", nil)
	var h web.HistoryResponse
	if err := json.Unmarshal(body, &h); err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /api/history: %s %s, %v", resp.Status, body, err)
	}
	return h.Messages
}

// plus is the action of a card's "+" button.
func plus(t *testing.T, replies []wireReply) string {
	t.Helper()
	for _, row := range replies[0].Buttons {
		for _, b := range row {
			if b.Text == "+" {
				return b.Action
			}
		}
	}
	t.Fatalf("no + in %+v", replies[0])
	return ""
}

// TestHistoryAfterReload: after a reload the page gets the conversation
// back (typed text, replies with their buttons and pictures, notices); an
// edited card is shown as it was last; another browser gets only the
// welcome; the history keeps the last 50 messages; on both stores.
func TestHistoryAfterReload(t *testing.T) {
	t.Parallel()
	for _, hs := range historyStores() {
		t.Run(hs.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, func(s *server, o *web.Options) { o.History = hs.open(t, s) })
			c := s.client(t)
			c.do(http.MethodGet, "/", "", nil)
			c.chat(map[string]any{"text": "/start", "lang": "en", "name": "Ann"})
			r, _ := c.chat(map[string]any{"action": "p:1", "lang": "en"})
			r, _ = c.chat(map[string]any{"action": plus(t, r.Replies), "lang": "en"}) // + → 2, an edit
			if !r.Replies[0].Edit {
				t.Fatalf("the stepper did not edit: %+v", r.Replies[0])
			}
			c.chat(map[string]any{"action": plus(t, r.Replies), "lang": "en"}) // + → 3
			notice, _ := json.Marshal([]bot.Reply{{Text: "Your order №K7Q2M9 has arrived."}})
			if err := s.store.Push(t.Context(), "web:"+c.identity(), notice); err != nil {
				t.Fatal(err)
			}
			c.do(http.MethodGet, "/api/inbox", "", nil)

			got := c.history()
			if len(got) != 4 {
				t.Fatalf("%d messages; want 4 (/start, welcome, the card as edited, the notice): %+v", len(got), got)
			}
			if !got[0].Me || got[0].Text != "/start" {
				t.Errorf("first: %+v; want the typed /start", got[0])
			}
			if got[1].Me || got[1].Text != texts.Text("en", "welcome", map[string]any{"Name": "Ann"}) || len(got[1].Buttons) == 0 {
				t.Errorf("second: %+v; want the welcome with its menu", got[1])
			}
			card := got[2]
			if card.Image == "" || card.Edit || !hasButton(card.Buttons, texts.Text("en", "qty_label", map[string]any{"Qty": 3})) {
				t.Errorf("card: %+v; want the product card at quantity 3, not marked as an edit", card)
			}
			if got[3].Text != "Your order №K7Q2M9 has arrived." {
				t.Errorf("last: %+v; want the notice", got[3])
			}

			// Another browser: only the welcome.
			other := s.client(t)
			other.do(http.MethodGet, "/", "", nil)
			if h := other.history(); len(h) != 1 || h[0].Text != texts.Text("en", "welcome", map[string]any{"Name": ""}) {
				t.Fatalf("another browser's history: %+v", h)
			}

			// The last 50 messages are kept.
			for i := range 30 {
				c.chat(map[string]any{"text": fmt.Sprintf("hello %d", i), "lang": "en"})
			}
			got = c.history()
			if len(got) != web.HistoryLen {
				t.Fatalf("%d messages kept; want %d", len(got), web.HistoryLen)
			}
			if last := got[len(got)-2]; !last.Me || last.Text != "hello 29" {
				t.Fatalf("newest but one: %+v", last)
			}
		})
	}
}

func hasButton(rows [][]bot.Button, text string) bool {
	for _, row := range rows {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}

// brokenHistory fails every call.
type brokenHistory struct{}

func (brokenHistory) AppendHistory(context.Context, string, [][]byte, int) error {
	return errors.New("redis: connection refused")
}

func (brokenHistory) History(context.Context, string, int) ([][]byte, error) {
	return nil, errors.New("redis: connection refused")
}

// TestHistoryDown: a history that cannot be kept or read costs the page
// its past, never the conversation.
func TestHistoryDown(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(_ *server, o *web.Options) { o.History = brokenHistory{} })
	c := s.client(t)
	if out, _ := c.chat(map[string]any{"text": "/start", "lang": "en"}); len(out.Replies) == 0 {
		t.Fatal("no answer")
	}
	if h := c.history(); len(h) != 1 || h[0].Text != texts.Text("en", "welcome", map[string]any{"Name": ""}) {
		t.Fatalf("history when it is down: %+v; want the welcome", h)
	}
}

// TestHistoryQuietText: a text the page says for the buyer ("quiet": the
// "/start link_…" of a /?start= link) is answered but not kept as the
// buyer's message, so a reload does not show it; a typed one is kept.
func TestHistoryQuietText(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client(t)
	c.do(http.MethodGet, "/", "", nil)
	if out, _ := c.chat(map[string]any{"text": "/start", "lang": "en", "quiet": true}); len(out.Replies) == 0 {
		t.Fatal("the quiet /start got no answer")
	}
	c.chat(map[string]any{"text": "/help", "lang": "en"})
	got := c.history()
	var me []string
	for _, m := range got {
		if m.Me {
			me = append(me, m.Text)
		}
	}
	if len(got) != 3 || len(me) != 1 || me[0] != "/help" {
		t.Fatalf("history %+v; want the welcome, the typed /help and its answer, and no quiet /start", got)
	}
}
