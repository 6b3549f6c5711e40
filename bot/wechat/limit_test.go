package wechat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"shopbot/bot"
	"shopbot/bot/wechat"
	"shopbot/chatstate"
)

// Messages over a follower's limit are not handled: the first of a flood
// is answered "slow down" (passively), the others with a bare "success";
// the numbered options shown before stay valid.
func TestCallbackMessageLimit(t *testing.T) {
	t.Parallel()
	h := newRouterHarness(t, func(_ *harness, o *bot.Options) { o.Limiter = chatstate.NewLocalLimiter(0.001, 2, nil) })
	const user = "oLimitFlooder0000000000001"
	h.send(user, "/start")
	menu := h.send(user, "/help")
	if len(options(menu)) == 0 {
		t.Fatalf("no options in %q", menu)
	}
	if got := h.send(user, "/start"); got != zh("err_slow_down", nil) {
		t.Fatalf("first message over the limit: %q; want the slow-down text", got)
	}
	for range 3 {
		if got := h.send(user, "/start"); got != "" {
			t.Fatalf("a later message of the flood: %q; want no reply", got)
		}
	}
	if n := h.ev.get(wechat.EventLimited); n != 4 {
		t.Fatalf("%d limited; want 4", n)
	}
}

// failingSessions is a session store that is down; its errors name the
// session key, as real stores' do.
type failingSessions struct{ chatstate.SessionStore }

func (failingSessions) LoadSession(_ context.Context, key string) ([]byte, int64, error) {
	return nil, 0, fmt.Errorf("redis: load session %q: connection refused", key)
}

// A message that fails on our side is answered with the localized "try
// again" as the passive reply; the log has no openid.
func TestCallbackFailureOnOurSide(t *testing.T) {
	t.Parallel()
	h := newRouterHarness(t, func(_ *harness, o *bot.Options) { o.Sessions = failingSessions{o.Sessions} })
	const user = "oFailingUser00000000000001"
	if got := h.send(user, "/start"); got != zh("error_internal", nil) {
		t.Fatalf("reply %q; want the try-again text", got)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "router failed") || !strings.Contains(logs, "connection refused") {
		t.Fatalf("failure not logged: %s", logs)
	}
	if strings.Contains(logs, user) {
		t.Errorf("the log names the follower: %s", logs)
	}
}
