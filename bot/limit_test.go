package bot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/chatstate"
)

// countingSessions counts the session loads and saves that reach the store.
type countingSessions struct {
	chatstate.SessionStore
	loads, saves atomic.Int64
}

func (c *countingSessions) LoadSession(ctx context.Context, key string) ([]byte, int64, error) {
	c.loads.Add(1)
	return c.SessionStore.LoadSession(ctx, key)
}

func (c *countingSessions) SaveSession(ctx context.Context, key string, data []byte, version int64, ttl time.Duration) (int64, error) {
	c.saves.Add(1)
	return c.SessionStore.SaveSession(ctx, key, data, version, ttl)
}

// Messages over an identity's limit are not handled (no session read or
// written, no update claimed); the first of a flood is answered "slow
// down" in the sender's language, the rest of the flood nothing; other
// identities are not held back; once the bucket refilled, messages are
// handled again, the refused update ids included.
func TestMessageLimit(t *testing.T) {
	t.Parallel()
	var counted *countingSessions
	h := newHarness(t, harnessOptions{
		wrapSessions: func(s chatstate.SessionStore) chatstate.SessionStore {
			counted = &countingSessions{SessionStore: s}
			return counted
		},
		// 1 a second in bursts of 3: the bucket fills in 3 s.
		limiter: func(now func() time.Time) chatstate.Limiter { return chatstate.NewLocalLimiter(1, 3, now) },
	})
	u := h.user(t, "flooder-1", "ru")
	for range 3 {
		u.send("/start")
	}
	loads, saves := counted.loads.Load(), counted.saves.Load()
	var refused []bot.Message
	for i := range 6 {
		m := u.base
		m.Text = "/cart"
		m.UpdateID = "flood-" + string(rune('a'+i))
		r, err := u.handle(m)
		if !errors.Is(err, bot.ErrSlowDown) {
			t.Fatalf("message %d over the limit: err %v; want ErrSlowDown", i+1, err)
		}
		switch {
		case i == 0 && (len(r) != 1 || r[0].Text != texts.Text("ru", "err_slow_down", nil)):
			t.Fatalf("first refusal answered %+v; want the Russian slow-down text", r)
		case i > 0 && len(r) != 0:
			t.Fatalf("refusal %d answered %+v; want nothing for the rest of a flood", i+1, r)
		}
		refused = append(refused, m)
	}
	if l, s := counted.loads.Load(), counted.saves.Load(); l != loads || s != saves {
		t.Fatalf("refused messages read the session %d times and wrote it %d times; want none", l-loads, s-saves)
	}
	// Someone else is not held back.
	h.user(t, "bystander-1", "en").send("/start")

	// A Telegram button press over the limit is answered with a toast.
	tg := &chat{h: h, t: t, base: bot.Message{Channel: bot.ChannelTelegram, ChatID: "5001", UserID: "5001", Lang: "en"}}
	for range 3 {
		tg.press("cats")
	}
	m := tg.base
	m.Action, m.UpdateID = "cats", "tg-flood"
	r, err := tg.handle(m)
	if !errors.Is(err, bot.ErrSlowDown) || len(r) != 1 || r[0].Toast != texts.Text("en", "err_slow_down", nil) || r[0].Text != "" {
		t.Fatalf("button over the limit: %+v, %v; want the slow-down toast", r, err)
	}

	// The bucket refills: the refused updates were never claimed, so a
	// redelivery of one is handled.
	h.clock.Advance(4 * time.Second)
	r, err = u.handle(refused[0])
	if err != nil || len(r) == 0 || r[0].Text == texts.Text("ru", "err_slow_down", nil) {
		t.Fatalf("after the refill: %+v, %v; want the cart", r, err)
	}
}

// A limiter that fails lets messages through: the limit protects the
// shop, it must not stop it. The log says so without the user's id.
func TestMessageLimitUnavailable(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := newHarness(t, harnessOptions{
		limiter: func(func() time.Time) chatstate.Limiter { return brokenLimiter{} },
		log:     slog.New(slog.NewTextHandler(&logs, nil)),
	})
	u := h.user(t, "limiter-down-user", "en")
	u.send("/start")
	if !strings.Contains(logs.String(), "message limit unavailable") || strings.Contains(logs.String(), "limiter-down-user") {
		t.Fatalf("log: %s", logs.String())
	}
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(_ context.Context, key string) (chatstate.Verdict, error) {
	return chatstate.Verdict{}, errors.New("redis: message limit for " + key + ": connection refused")
}
