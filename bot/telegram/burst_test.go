package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The tests here run in testing/synctest bubbles: the Sender sleeps on the
// bubble's fake clock, which jumps ahead whenever every goroutine waits, so
// minutes of rate-limited sending take a moment and no outcome depends on
// the machine's speed. The fake Bot API is reached in process and checks
// the flood limits on the same clock with exact windows.

// burstUpdates is a burst of n /start messages, update ids 1…n, each from a
// user of its own: in the user's private chat, except every tenth, which is
// sent in one of two groups (20 replies a minute there). want counts the
// replies each chat must get.
func burstUpdates(n int) (updates []tgbotapi.Update, want map[int64]int) {
	groups := []*tgbotapi.Chat{
		{ID: -1001, Type: "supergroup", Title: "Buyers A"},
		{ID: -1002, Type: "supergroup", Title: "Buyers B"},
	}
	want = map[int64]int{}
	for i := 1; i <= n; i++ {
		u := &tgbotapi.User{ID: int64(500000 + i), FirstName: "Buyer " + strconv.Itoa(i), LanguageCode: "en"}
		chat := private(u)
		if i%10 == 0 {
			chat = groups[(i/10)%2]
		}
		updates = append(updates, textUpdate(i, chat, u, "/start"))
		want[chat.ID]++
	}
	return updates, want
}

// waitUntil polls cond every simulated 100 ms and reports an error after
// limit of simulated time (a lost reply would otherwise wait forever). It
// does not stop the test, so that the caller still stops Poll: the bubble
// must end with no goroutine left.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("%s: not done after %v (simulated)", what, limit)
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// replied reports whether chat got the replies it should have, none of
// them the router's error text.
func replied(e *testEnv, chat int64, want int) bool {
	ms := e.api.Messages(chat)
	if len(ms) != want {
		return false
	}
	for _, m := range ms {
		if strings.Contains(m.Text, "went wrong") {
			return false
		}
	}
	return true
}

// lastOffset is the offset of the last getUpdates call: everything below
// it is confirmed.
func lastOffset(e *testEnv) int {
	gs := e.api.Calls("getUpdates")
	n, _ := strconv.Atoi(gs[len(gs)-1].Params.Get("offset"))
	return n
}

// TestPollBurst: 2,000 updates wait at the Bot API at once — far more than
// the replies that fit in one update's old 10 s deadline at 30 messages/s,
// and 100 of them in each of two groups, where 20 replies a minute are
// allowed. Poll takes them 100 per getUpdates call and every chat gets
// every reply, the fake Bot API sees no flood-limit violation, and the
// last offset confirms the whole burst.
func TestPollBurst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble(), withOptions(func(o *Options) { o.Mode = ModePolling }))
		updates, want := burstUpdates(2000)
		for _, u := range updates {
			e.api.pushUpdate(u)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.a.Poll(ctx) }()
		total := 0
		for _, n := range want {
			total += n
		}
		if waitUntil(t, time.Hour, "replies", func() bool { return e.api.Count("sendMessage") >= total }) {
			waitUntil(t, time.Minute, "confirmation", func() bool { return e.api.Pending() == 0 })
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Poll: %v", err)
		}

		missing := 0
		for chat, n := range want {
			if !replied(e, chat, n) {
				missing++
				if missing <= 5 {
					t.Errorf("chat %d: %d messages, want %d", chat, len(e.api.Messages(chat)), n)
				}
			}
		}
		if missing > 0 {
			t.Errorf("%d of %d chats lack replies", missing, len(want))
		}
		if n := e.api.Count("sendMessage"); n != total {
			t.Errorf("%d messages sent, want %d", n, total)
		}
		if v := e.api.Violations(); v != 0 {
			t.Errorf("the fake Bot API saw %d flood-limit violations", v)
		}
		if n := e.events.get(EventSendFailed); n != 0 {
			t.Errorf("%d sends failed", n)
		}
		if off := lastOffset(e); off != 2001 {
			t.Errorf("last offset %d, want 2001", off)
		}
		// Telegram hands out at most 100 updates per call: the burst took
		// at least 20 batches.
		if n := e.api.Count("getUpdates"); n < 20 {
			t.Errorf("%d getUpdates calls", n)
		}
	})
}

// TestPollShutdownLosesNothing: polling stops in the middle of a burst
// (600 updates, mixed as in TestPollBurst).
// Every update below the offset confirmed at exit has its reply; every
// other one is still waiting at the Bot API, and a second Poll answers
// them, each once.
func TestPollShutdownLosesNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble(), withOptions(func(o *Options) { o.Mode = ModePolling }))
		const burst = 600
		updates, want := burstUpdates(burst)
		for _, u := range updates {
			e.api.pushUpdate(u)
		}
		run := func(stopAfter time.Duration, stopWhen func() bool) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- e.a.Poll(ctx) }()
			if stopWhen == nil {
				time.Sleep(stopAfter)
			} else {
				waitUntil(t, stopAfter, "second run", stopWhen)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Poll: %v", err)
			}
		}
		run(20*time.Second, nil)

		off := lastOffset(e)
		if off <= 1 || off > burst {
			t.Fatalf("confirmed offset %d after 20 s: want part of the burst", off)
		}
		t.Logf("stopped at offset %d of %d", off, burst)
		if got, wantPending := e.api.Pending(), burst-(off-1); got != wantPending {
			t.Errorf("%d updates still queued at the Bot API, want %d (offset %d)", got, wantPending, off)
		}
		for _, u := range updates[:off-1] {
			if chat := u.Message.Chat.ID; chat > 0 && !replied(e, chat, 1) {
				t.Errorf("update %d confirmed without its reply", u.UpdateID)
			}
		}

		run(time.Hour, func() bool { return e.api.Pending() == 0 })
		for chat, n := range want {
			if !replied(e, chat, n) {
				t.Errorf("chat %d: %d messages, want %d", chat, len(e.api.Messages(chat)), n)
			}
		}
		if v := e.api.Violations(); v != 0 {
			t.Errorf("the fake Bot API saw %d flood-limit violations", v)
		}
	})
}

// TestSenderCancelledWaitReturnsSlot: a burst of sends whose contexts end
// while they wait for the limiter gives its slots back, so a message sent
// afterwards goes out at once instead of behind the dead bookings.
func TestSenderCancelledWaitReturnsSlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, inBubble(), noRouter())
		s := e.a.Sender()
		// 300 messages to distinct chats at 30/s need 10 s; each gives up after 2 s.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		done := make(chan error, 300)
		for i := range 300 {
			chat := int64(7000 + i)
			go func() {
				_, err := s.Send(ctx, chat, tgbotapi.NewMessage(chat, "burst"))
				done <- err
			}()
		}
		sent, gaveUp := 0, 0
		for range 300 {
			switch err := <-done; {
			case err == nil:
				sent++
			case errors.Is(err, context.DeadlineExceeded):
				gaveUp++
			default:
				t.Fatalf("send: %v", err)
			}
		}
		if sent == 0 || gaveUp == 0 || sent > 90 {
			t.Fatalf("sent %d, gave up %d: want the deadline to cut the burst", sent, gaveUp)
		}
		// The next message, 1 s later, finds the schedule free again.
		time.Sleep(time.Second)
		start := time.Now()
		if _, err := s.Send(context.Background(), 1, tgbotapi.NewMessage(1, "after")); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited > 0 {
			t.Errorf("a send after the cancelled burst waited %v (simulated) for dead bookings", waited)
		}
		if v := e.api.Violations(); v != 0 {
			t.Errorf("%d flood-limit violations", v)
		}
	})
}
